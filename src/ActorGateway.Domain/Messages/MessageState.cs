using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Domain.Messages;

public enum MessageStatus
{
    /// <summary>No event yet.</summary>
    New,
    Accepted,
    Mapped,
    Delivered,
    DeadLettered,
}

/// <summary>How a message ended, as reported to ingresses and the CLI.</summary>
public static class Outcomes
{
    public const string Delivered = "delivered";
    public const string DeadLettered = "dead-lettered";
    public const string Rejected = "rejected";
    public const string Abandoned = "abandoned";
}

/// <summary>A message's state, derived only from its events.</summary>
public sealed record MessageState(
    MessageStatus Status,
    MessageAccepted? Accepted,
    RecipientsMapped? Mapping,
    MessageDelivered? Delivery,
    MessageDeadLettered? DeadLetter)
{
    public static readonly MessageState Empty = new(MessageStatus.New, null, null, null, null);

    public bool IsFinished => Status is MessageStatus.Delivered or MessageStatus.DeadLettered;

    /// <summary>The stage to run next, or null when there is none (new, or finished).</summary>
    public Stage? NextStage => Status switch
    {
        MessageStatus.Accepted => Stage.Mapping,
        MessageStatus.Mapped => Stage.Delivery,
        _ => null,
    };

    public MessageState Apply(IMessageEvent evt) => evt switch
    {
        MessageAccepted a => this with { Status = MessageStatus.Accepted, Accepted = a },
        RecipientsMapped m => this with { Status = MessageStatus.Mapped, Mapping = m },
        MessageDelivered d => this with { Status = MessageStatus.Delivered, Delivery = d },
        MessageDeadLettered x => this with { Status = MessageStatus.DeadLettered, DeadLetter = x },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown message event"),
    };
}
