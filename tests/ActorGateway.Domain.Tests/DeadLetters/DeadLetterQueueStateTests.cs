using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.DeadLetters.DeadLetterQueueEvents;

namespace ActorGateway.Domain.Tests.DeadLetters;

public class DeadLetterQueueStateTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static DeadLetterEntry Entry(string id, string reason = ReasonCodes.MapBlankDisplayName, int attempts = 1) =>
        new(MessageId.Parse(id), reason, Stage.Mapping, "jdoe@contoso.com", "AddressMappingException", "blank display name", attempts, T0, "pickup/" + id + ".eml");

    [Fact]
    public void Should_start_empty()
    {
        Assert.Empty(DeadLetterQueueState.Empty.List());
        Assert.False(DeadLetterQueueState.Empty.Contains(MessageId.Parse("a")));
    }

    [Fact]
    public void Should_list_entries_in_the_order_they_arrived()
    {
        var state = DeadLetterQueueState.Empty
            .Apply(new DeadLetterRecorded(Entry("c")))
            .Apply(new DeadLetterRecorded(Entry("a")))
            .Apply(new DeadLetterRecorded(Entry("b")));

        Assert.Equal(["c", "a", "b"], state.List().Select(e => e.MessageId.Value));
        Assert.True(state.Contains(MessageId.Parse("a")));
        Assert.False(state.Contains(MessageId.Parse("d")));
    }

    [Fact]
    public void Should_ignore_a_second_record_of_the_same_message()
    {
        var first = Entry("a", ReasonCodes.MapBlankDisplayName);
        var state = DeadLetterQueueState.Empty.Apply(new DeadLetterRecorded(first));

        var again = state.Apply(new DeadLetterRecorded(Entry("a", ReasonCodes.NoRoute, attempts: 5)));

        Assert.Same(state, again);
        Assert.Equal([first], again.List());
    }

    [Fact]
    public void Should_round_trip_through_a_snapshot()
    {
        var state = DeadLetterQueueState.Empty
            .Apply(new DeadLetterRecorded(Entry("b")))
            .Apply(new DeadLetterRecorded(Entry("a", ReasonCodes.NoRoute)))
            .Apply(new DeadLetterRecorded(Entry("c", ReasonCodes.Unhandled, attempts: 4)));

        var snapshot = state.ToSnapshot();
        var restored = DeadLetterQueueState.FromSnapshot(snapshot);

        Assert.Equal(3, snapshot.Entries.Count);
        Assert.Equal(state.List(), restored.List());
        Assert.Equal(state.Order, restored.Order);
        Assert.True(restored.Contains(MessageId.Parse("c")));
    }

    [Fact]
    public void Should_round_trip_an_empty_queue()
    {
        Assert.Empty(DeadLetterQueueState.FromSnapshot(DeadLetterQueueState.Empty.ToSnapshot()).List());
    }

    [Fact]
    public void Should_keep_the_first_entry_when_a_snapshot_repeats_a_message()
    {
        var snapshot = new DeadLetterQueueSnapshot([Entry("a"), Entry("b"), Entry("a", ReasonCodes.NoRoute)]);

        var restored = DeadLetterQueueState.FromSnapshot(snapshot);

        Assert.Equal([Entry("a"), Entry("b")], restored.List());
    }

    [Fact]
    public void Should_copy_every_field_of_a_dead_lettered_event_into_an_entry()
    {
        var e = new MessageEvents.MessageDeadLettered(MessageId.Parse("m1"), ReasonCodes.ContentMissing, Stage.Delivery, null,
            "PermanentMessageException", "content gone", "at ...", 3, T0);

        var entry = DeadLetterEntry.From(e, "smtp");

        Assert.Equal(new DeadLetterEntry(MessageId.Parse("m1"), ReasonCodes.ContentMissing, Stage.Delivery, null,
            "PermanentMessageException", "content gone", 3, T0, "smtp"), entry);
    }
}
