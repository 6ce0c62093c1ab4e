using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Events;

/// <summary>Marks everything the gateway writes to the journal; serialised as JSON with a stable manifest.</summary>
public interface IGatewayEvent;

/// <summary>An event in one message's timeline (persistence id <c>msg-{id}</c>).</summary>
public interface IMessageEvent : IGatewayEvent
{
    MessageId MessageId { get; }

    DateTimeOffset At { get; }
}

/// <summary>
/// The events of a message's life. They are the journal's public record: operators read them
/// with <c>gateway journal</c> or sqlite3, so they stay small and never hold an exception object.
/// </summary>
public static class MessageEvents
{
    /// <summary>The message is durably accepted: its bytes are in the content store under <see cref="MessageId"/>.</summary>
    /// <param name="Source">Where it came from: the pickup file name, or the ingress that submitted it.</param>
    public sealed record MessageAccepted(MessageId MessageId, string Source, long SizeBytes, MessageEnvelope Envelope, DateTimeOffset At)
        : IMessageEvent;

    /// <summary>Every address mapped into the target's format.</summary>
    public sealed record RecipientsMapped(MessageId MessageId, MappedAddress Sender, IReadOnlyList<MappedAddress> Recipients, DateTimeOffset At)
        : IMessageEvent;

    /// <summary>The transport delivered the message. <paramref name="AlreadyPresent"/> says a replay found it delivered already.</summary>
    public sealed record MessageDelivered(MessageId MessageId, string Transport, string Location, bool AlreadyPresent, int Attempts, DateTimeOffset At)
        : IMessageEvent;

    /// <summary>The message cannot be processed and is in quarantine. Its failed stage is never run again unless an operator asks.</summary>
    public sealed record MessageDeadLettered(
        MessageId MessageId,
        string Reason,
        Stage Stage,
        string? Recipient,
        string ErrorType,
        string ErrorMessage,
        string? StackTrace,
        int Attempts,
        DateTimeOffset At) : IMessageEvent;
}

/// <summary>The gateway's in-flight registry (persistence id <c>gateway</c>): which messages must be resumed after a restart.</summary>
public static class GatewayEvents
{
    /// <summary>The gateway took responsibility for a message; it is resumed on every start until released.</summary>
    public sealed record MessageAdmitted(MessageId MessageId) : IGatewayEvent;

    /// <summary>The message reached an end state (delivered, dead-lettered or abandoned) and needs no resuming.</summary>
    public sealed record MessageReleased(MessageId MessageId, string Outcome) : IGatewayEvent;

    /// <summary>Snapshot of the in-flight registry.</summary>
    public sealed record InFlightSnapshot(IReadOnlyList<MessageId> MessageIds) : IGatewayEvent;
}
