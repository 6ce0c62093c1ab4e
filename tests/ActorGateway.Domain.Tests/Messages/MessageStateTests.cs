using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Domain.Tests.Messages;

public class MessageStateTests
{
    private static readonly MessageId Id = MessageId.Parse("m1");
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly SourceAddress Sender = new(AddressRole.Sender, "jane@fabrikam.com", "Jane Doe");
    private static readonly SourceAddress Recipient = new(AddressRole.To, "john@contoso.com", "John Smith");

    private static MessageAccepted AcceptedEvent() =>
        new(Id, "001-ordinary.eml", 1234, new MessageEnvelope(Sender, [Recipient], "Hi", "x@y"), T0);

    private static RecipientsMapped MappedEvent() =>
        new(Id,
            new MappedAddress(AddressRole.Sender, Sender.Address, Sender.Address, "passthrough"),
            [new MappedAddress(AddressRole.To, Recipient.Address, "JSMITH@VMNODE1", "template")],
            T0.AddSeconds(1));

    private static MessageDelivered DeliveredEvent() => new(Id, "pickup", "outbound/m1.eml", false, 1, T0.AddSeconds(2));

    private static MessageDeadLettered DeadLetteredEvent(Stage stage = Stage.Mapping) =>
        new(Id, ReasonCodes.MapBlankDisplayName, stage, "jdoe@contoso.com", "AddressMappingException", "blank", null, 1, T0.AddSeconds(3));

    [Fact]
    public void Should_start_new_with_no_next_stage()
    {
        var state = MessageState.Empty;

        Assert.Equal(MessageStatus.New, state.Status);
        Assert.Null(state.NextStage);
        Assert.False(state.IsFinished);
        Assert.Null(state.Accepted);
    }

    [Fact]
    public void Should_run_mapping_after_acceptance()
    {
        var accepted = AcceptedEvent();

        var state = MessageState.Empty.Apply(accepted);

        Assert.Equal(MessageStatus.Accepted, state.Status);
        Assert.Same(accepted, state.Accepted);
        Assert.Equal(Stage.Mapping, state.NextStage);
        Assert.False(state.IsFinished);
    }

    [Fact]
    public void Should_run_delivery_after_mapping_and_keep_the_acceptance()
    {
        var accepted = AcceptedEvent();
        var mapped = MappedEvent();

        var state = MessageState.Empty.Apply(accepted).Apply(mapped);

        Assert.Equal(MessageStatus.Mapped, state.Status);
        Assert.Same(accepted, state.Accepted);
        Assert.Same(mapped, state.Mapping);
        Assert.Equal(Stage.Delivery, state.NextStage);
        Assert.False(state.IsFinished);
    }

    [Fact]
    public void Should_finish_with_no_next_stage_after_delivery()
    {
        var delivered = DeliveredEvent();

        var state = MessageState.Empty.Apply(AcceptedEvent()).Apply(MappedEvent()).Apply(delivered);

        Assert.Equal(MessageStatus.Delivered, state.Status);
        Assert.Same(delivered, state.Delivery);
        Assert.NotNull(state.Mapping);
        Assert.Null(state.NextStage);
        Assert.True(state.IsFinished);
    }

    [Theory]
    [InlineData(Stage.Mapping)]
    [InlineData(Stage.Delivery)]
    public void Should_finish_with_no_next_stage_after_dead_lettering(Stage stage)
    {
        var deadLettered = DeadLetteredEvent(stage);
        var state = MessageState.Empty.Apply(AcceptedEvent());
        if (stage == Stage.Delivery) state = state.Apply(MappedEvent());

        state = state.Apply(deadLettered);

        Assert.Equal(MessageStatus.DeadLettered, state.Status);
        Assert.Same(deadLettered, state.DeadLetter);
        Assert.Null(state.NextStage);
        Assert.True(state.IsFinished);
        Assert.Null(state.Delivery);
    }

    [Fact]
    public void Should_not_change_the_state_it_is_applied_to()
    {
        var before = MessageState.Empty;

        _ = before.Apply(AcceptedEvent());

        Assert.Equal(MessageStatus.New, before.Status);
        Assert.Null(before.Accepted);
    }

    [Fact]
    public void Should_reject_an_unknown_event()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MessageState.Empty.Apply(new StrangeEvent(Id, T0)));

        Assert.Equal("evt", ex.ParamName);
    }

    private sealed record StrangeEvent(MessageId MessageId, DateTimeOffset At) : IMessageEvent;
}
