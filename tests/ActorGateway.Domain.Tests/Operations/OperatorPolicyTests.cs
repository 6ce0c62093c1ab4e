using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using static ActorGateway.Domain.DeadLetters.DeadLetterQueueEvents;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Domain.Tests.Operations;

public class OperatorPolicyTests
{
    private static readonly MessageId Id = MessageId.Parse("m1");
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SourceAddress Alice = new(AddressRole.To, "alice@contoso.com", "Alice Smith");
    private static readonly SourceAddress Ghost = new(AddressRole.Cc, "ghost@contoso.com", "   ");

    private static MessageState Apply(params IMessageEvent[] events) => events.Aggregate(MessageState.Empty, (s, e) => s.Apply(e));

    private static MessageAccepted Accepted() =>
        new(Id, "pickup/a.eml", 100, new MessageEnvelope(new SourceAddress(AddressRole.Sender, "bob@fabrikam.com", "Bob"), [Alice, Ghost], "s", "<a@b>"), T0);

    private static RecipientsMapped AliceMappedGhostFailed() =>
        new(Id, new MappedAddress(AddressRole.Sender, "bob@fabrikam.com", "BOB@GW", "template"),
            [new MappedAddress(AddressRole.To, "alice@contoso.com", "ASMITH@VMNODE1", "template", "contoso", "spool")], T0.AddSeconds(1),
            [new RecipientFailure(AddressRole.Cc, "ghost@contoso.com", ReasonCodes.MapBlankDisplayName, Stage.Mapping, "blank")]);

    private static MessageDeadLettered DeadLettered(bool partial = false) =>
        new(Id, ReasonCodes.MapBlankDisplayName, Stage.Mapping, "ghost@contoso.com", "X", "blank", null, 1, T0.AddSeconds(3), Partial: partial);

    private static MessageState Quarantined() => Apply(Accepted(), DeadLettered());

    private static MessageState PartiallyDelivered() =>
        Apply(Accepted(), AliceMappedGhostFailed(), new MessageDelivered(Id, "spool", "out/m1.eml", false, 1, T0.AddSeconds(2), ["ASMITH@VMNODE1"]), DeadLettered(partial: true));

    [Theory]
    [InlineData(OperatorAction.Replay)]
    [InlineData(OperatorAction.Hold)]
    [InlineData(OperatorAction.Release)]
    [InlineData(OperatorAction.Purge)]
    public void Should_answer_not_found_for_a_message_without_events(OperatorAction action) =>
        Assert.Equal(OperatorVerdict.NotFound, OperatorPolicy.Decide(MessageState.Empty, action).Verdict);

    [Fact]
    public void Should_allow_replay_and_purge_only_of_a_quarantined_message()
    {
        var delivered = Apply(Accepted(), AliceMappedGhostFailed() with { Failed = null }, new MessageDelivered(Id, "spool", "x", false, 1, T0));
        var inFlight = Apply(Accepted());

        Assert.Equal(OperatorVerdict.Proceed, OperatorPolicy.Decide(Quarantined(), OperatorAction.Replay).Verdict);
        Assert.Equal(OperatorVerdict.Proceed, OperatorPolicy.Decide(Quarantined(), OperatorAction.Purge).Verdict);
        foreach (var state in new[] { delivered, inFlight })
        {
            foreach (var action in new[] { OperatorAction.Replay, OperatorAction.Purge })
            {
                var decision = OperatorPolicy.Decide(state, action);
                Assert.Equal((OperatorVerdict.Conflict, ReasonCodes.NotInQuarantine), (decision.Verdict, decision.Code));
            }
        }
    }

    [Fact]
    public void Should_refuse_to_replay_a_held_message_until_it_is_released()
    {
        var held = Quarantined().Apply(new MessageHeld(Id, "ops", "look first", T0.AddMinutes(1)));

        Assert.Equal((OperatorVerdict.Conflict, ReasonCodes.MessageIsHeld), Verdict(held, OperatorAction.Replay));
        Assert.Equal((OperatorVerdict.AlreadyDone, ReasonCodes.Held), Verdict(held, OperatorAction.Hold));
        Assert.Equal((OperatorVerdict.Proceed, ReasonCodes.HoldReleased), Verdict(held, OperatorAction.Release));
        var released = held.Apply(new HoldReleased(Id, "ops", "ok", T0.AddMinutes(2)));
        Assert.Equal((OperatorVerdict.Proceed, ReasonCodes.ReplayRequested), Verdict(released, OperatorAction.Replay));
        Assert.Equal((OperatorVerdict.Conflict, ReasonCodes.InvalidState), Verdict(released, OperatorAction.Release));
    }

    [Fact]
    public void Should_refuse_everything_but_a_repeated_purge_once_purged()
    {
        var purged = Quarantined().Apply(new MessagePurged(Id, "ops", "spam", T0.AddMinutes(1)));

        Assert.Equal(OperatorVerdict.AlreadyDone, OperatorPolicy.Decide(purged, OperatorAction.Purge).Verdict);
        Assert.All(new[] { OperatorAction.Replay, OperatorAction.Hold, OperatorAction.Release },
            a => Assert.Equal((OperatorVerdict.Conflict, ReasonCodes.InvalidState), Verdict(purged, a)));
        Assert.True(purged.IsFinished);
        Assert.False(purged.IsQuarantined);
        Assert.Equal(Outcomes.Purged, purged.Outcome);
    }

    [Fact]
    public void Should_say_busy_while_the_senders_dsn_is_being_sent() =>
        Assert.Equal(OperatorVerdict.Busy, OperatorPolicy.Decide(Quarantined(), OperatorAction.Replay, Stage.Notification).Verdict);

    [Fact]
    public void Should_not_hold_a_delivered_message_but_hold_one_in_flight()
    {
        var delivered = Apply(Accepted(), AliceMappedGhostFailed() with { Failed = null }, new MessageDelivered(Id, "spool", "x", false, 1, T0));
        Assert.Equal((OperatorVerdict.Conflict, ReasonCodes.InvalidState), Verdict(delivered, OperatorAction.Hold));
        Assert.Equal((OperatorVerdict.Proceed, ReasonCodes.Held), Verdict(Apply(Accepted()), OperatorAction.Hold));
    }

    [Fact]
    public void Should_stop_every_stage_of_a_held_message_and_resume_where_it_stopped_when_released()
    {
        var mapped = Apply(Accepted(), AliceMappedGhostFailed());
        Assert.Equal(Stage.Delivery, mapped.NextStage);

        var held = mapped.Apply(new MessageHeld(Id, "ops", "wait", T0.AddMinutes(1)));
        Assert.Null(held.NextStage);
        Assert.True(held.IsFinished);
        Assert.Equal(Outcomes.Held, held.Outcome);

        var released = held.Apply(new HoldReleased(Id, "ops", "go", T0.AddMinutes(2)));
        Assert.Equal(Stage.Delivery, released.NextStage);
        Assert.False(released.IsFinished);
    }

    [Fact]
    public void Should_remap_only_undelivered_recipients_with_a_fresh_lifetime_after_a_replay()
    {
        var replayAt = T0.AddDays(3);
        var replayed = PartiallyDelivered().Apply(new ReplayRequested(Id, 1, "ops", "fixed", replayAt));

        Assert.Equal(MessageStatus.Accepted, replayed.Status);
        Assert.Equal(Stage.Mapping, replayed.NextStage);
        Assert.Equal(1, replayed.Replays);
        Assert.Equal(replayAt, replayed.LifetimeStart);
        Assert.Equal([Ghost], replayed.RecipientsToMap);
        Assert.Equal(["ASMITH@VMNODE1"], replayed.PreviouslyDelivered.Select(p => p.Target));
        Assert.Empty(replayed.FailedRecipients);
        Assert.Null(replayed.DeadLetter);
        Assert.False(replayed.IsQuarantined);

        // The replay maps ghost; only ghost is pending, and the headers still show alice.
        var mapped = replayed.Apply(new RecipientsMapped(Id, new MappedAddress(AddressRole.Sender, "bob@fabrikam.com", "BOB@GW", "template"),
            [new MappedAddress(AddressRole.Cc, "ghost@contoso.com", "GHOST@VMNODE1", "directory", "contoso", "spool")], replayAt.AddSeconds(1)));
        Assert.Equal(["GHOST@VMNODE1"], mapped.PendingRecipients.Select(r => r.Target));
        Assert.Equal(["ASMITH@VMNODE1", "GHOST@VMNODE1"], mapped.AllMappedRecipients.Select(r => r.Target));
        var done = mapped.Apply(new MessageDelivered(Id, "spool", "out/m1-r1.eml", false, 1, replayAt.AddSeconds(2), ["GHOST@VMNODE1"]));
        Assert.Equal(Outcomes.Delivered, done.Outcome);
        Assert.True(done.IsFinished);
    }

    [Fact]
    public void Should_not_count_time_on_hold_against_the_lifetime()
    {
        var accepted = Apply(Accepted());
        var held = accepted.Apply(new MessageHeld(Id, "ops", "migration", T0.AddHours(1)));
        var released = held.Apply(new HoldReleased(Id, "ops", "done", T0.AddDays(5).AddHours(1)));

        Assert.Equal(T0, accepted.LifetimeStart);
        Assert.Equal(T0.AddDays(5), released.LifetimeStart); // five days on hold move the start by five days
    }

    [Fact]
    public void Should_remember_across_a_replay_that_the_sender_was_told()
    {
        var notified = Quarantined().Apply(new SenderNotified(Id, "bob@fabrikam.com", "smtp", "x", T0.AddSeconds(5)));
        Assert.False(notified.SenderNotifiedBefore);
        Assert.True(notified.Apply(new ReplayRequested(Id, 1, "ops", "again", T0.AddDays(1))).SenderNotifiedBefore);
    }

    private static (OperatorVerdict, string) Verdict(MessageState state, OperatorAction action)
    {
        var d = OperatorPolicy.Decide(state, action);
        return (d.Verdict, d.Code);
    }
}

public class DeadLetterQueueGenerationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static DeadLetterEntry Entry(string id, int replays) =>
        new(MessageId.Parse(id), ReasonCodes.MapBlankDisplayName, Stage.Mapping, "ghost@contoso.com", "X", "blank", 1, T0.AddMinutes(replays), "pickup", Replays: replays);

    [Fact]
    public void Should_replace_an_entry_with_a_newer_dead_lettering_and_ignore_an_older_one()
    {
        var state = DeadLetterQueueState.Empty
            .Apply(new DeadLetterRecorded(Entry("a", 0)))
            .Apply(new DeadLetterRecorded(Entry("b", 0)))
            .Apply(new DeadLetterRecorded(Entry("a", 1)))
            .Apply(new DeadLetterRecorded(Entry("a", 0)));

        Assert.Equal(["b", "a"], state.List().Select(e => e.MessageId.Value));
        Assert.Equal(1, state.Entries[MessageId.Parse("a")].Replays);
    }

    [Fact]
    public void Should_clear_a_replayed_generation_and_ignore_its_late_record_but_keep_a_newer_one()
    {
        var cleared = DeadLetterQueueState.Empty
            .Apply(new DeadLetterRecorded(Entry("a", 0)))
            .Apply(new DeadLetterCleared(MessageId.Parse("a"), 0, "replayed", T0));

        Assert.Empty(cleared.List());
        Assert.True(cleared.IsSettled(Entry("a", 0)));
        Assert.Empty(cleared.Apply(new DeadLetterRecorded(Entry("a", 0))).List()); // a late, repeated record of the replayed generation
        var failedAgain = cleared.Apply(new DeadLetterRecorded(Entry("a", 1)));
        Assert.Equal(1, Assert.Single(failedAgain.List()).Replays);
        // A clearing that arrives late (older generation) never removes the newer entry.
        Assert.Single(failedAgain.Apply(new DeadLetterCleared(MessageId.Parse("a"), 0, "replayed", T0)).List());
    }

    [Fact]
    public void Should_keep_cleared_generations_through_a_snapshot()
    {
        var state = DeadLetterQueueState.Empty
            .Apply(new DeadLetterRecorded(Entry("a", 0)))
            .Apply(new DeadLetterRecorded(Entry("b", 2)))
            .Apply(new DeadLetterCleared(MessageId.Parse("a"), 0, "purged", T0));

        var restored = DeadLetterQueueState.FromSnapshot(state.ToSnapshot());

        Assert.Equal(["b"], restored.List().Select(e => e.MessageId.Value));
        Assert.True(restored.IsSettled(Entry("a", 0)));
        Assert.False(restored.IsSettled(Entry("a", 1)));
    }
}
