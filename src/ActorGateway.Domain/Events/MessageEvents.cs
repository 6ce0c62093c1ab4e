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

    /// <summary>
    /// The addresses are mapped into the target's format. <paramref name="Failed"/> lists recipients
    /// that cannot be mapped: they are not delivered, and end in the dead-letter entry, while the
    /// mapped ones go on.
    /// </summary>
    public sealed record RecipientsMapped(
        MessageId MessageId,
        MappedAddress Sender,
        IReadOnlyList<MappedAddress> Recipients,
        DateTimeOffset At,
        IReadOnlyList<RecipientFailure>? Failed = null) : IMessageEvent;

    /// <summary>
    /// A delivery attempt that left recipients deferred (the target said "try later" for them).
    /// Only those are tried again; delivered and refused ones are settled.
    /// </summary>
    public sealed record DeliveryAttempted(
        MessageId MessageId,
        string Transport,
        string Location,
        IReadOnlyList<string> Delivered,
        IReadOnlyList<RecipientFailure> Refused,
        IReadOnlyList<RecipientFailure> Deferred,
        int Attempt,
        DateTimeOffset At) : IMessageEvent;

    /// <summary>
    /// Delivery is finished: no recipient is pending. <paramref name="AlreadyPresent"/> says a
    /// recovery found it delivered already (nothing was sent twice). <paramref name="Refused"/>
    /// lists recipients the target refused for good in this last attempt.
    /// </summary>
    public sealed record MessageDelivered(
        MessageId MessageId,
        string Transport,
        string Location,
        bool AlreadyPresent,
        int Attempts,
        DateTimeOffset At,
        IReadOnlyList<string>? Delivered = null,
        IReadOnlyList<RecipientFailure>? Refused = null) : IMessageEvent;

    /// <summary>
    /// The message, or some of its recipients (<paramref name="Partial"/>), cannot be processed and
    /// are in quarantine. A failed stage is never run again for them unless an operator asks.
    /// <paramref name="Recipients"/> names every failed recipient; <paramref name="NotifySender"/>
    /// says a DSN is owed to the sender.
    /// </summary>
    public sealed record MessageDeadLettered(
        MessageId MessageId,
        string Reason,
        Stage Stage,
        string? Recipient,
        string ErrorType,
        string ErrorMessage,
        string? StackTrace,
        int Attempts,
        DateTimeOffset At,
        IReadOnlyList<RecipientFailure>? Recipients = null,
        bool Partial = false,
        bool NotifySender = false) : IMessageEvent;

    /// <summary>
    /// Written before a risky stage (mapping, delivery) runs, so a process crash inside it is
    /// visible at the next start. <paramref name="Recipient"/> is set when a crash suspect maps one
    /// recipient at a time, so the one that kills the process can be named.
    /// </summary>
    public sealed record StageStarted(MessageId MessageId, Stage Stage, DateTimeOffset At, string? Recipient = null) : IMessageEvent;

    /// <summary>
    /// Written at start-up for a message whose stage was started but never finished before a crash:
    /// <paramref name="Crashes"/> is how many crashes this stage has now been in flight for.
    /// </summary>
    /// <param name="LedgerRow">The stage ledger's row that held the stage open, when the ledger named it: that entry is now counted, never again.</param>
    public sealed record StageInterrupted(MessageId MessageId, Stage Stage, int Crashes, DateTimeOffset At, string? Recipient = null, long? LedgerRow = null) : IMessageEvent;

    /// <summary>A stage failed in a way that does not blame the message (or not yet); it runs again at <paramref name="DueAt"/>.</summary>
    /// <param name="Attempt">Delayed retries of this stage so far, this one included.</param>
    public sealed record RetryScheduled(MessageId MessageId, Stage Stage, int Attempt, DateTimeOffset DueAt, string Kind, string Error, DateTimeOffset At) : IMessageEvent;

    /// <summary>The sender was sent a delivery status notification (RFC 3464) about the failed recipients.</summary>
    public sealed record SenderNotified(MessageId MessageId, string To, string Transport, string Location, DateTimeOffset At) : IMessageEvent;

    /// <summary>The DSN could not be sent and will not be tried again (the sender's system refused it).</summary>
    public sealed record SenderNotificationFailed(MessageId MessageId, string Reason, string Detail, DateTimeOffset At) : IMessageEvent;
}

/// <summary>Operator actions on one message: each names who asked and why, and is part of the message's timeline (the audit trail).</summary>
public static class OperatorEvents
{
    /// <summary>
    /// An operator asked for a quarantined message to be processed again: mapping re-runs with the
    /// current routes and directory for every recipient not yet delivered, and a fresh lifetime starts.
    /// <paramref name="Replay"/> counts the replays of this message, this one included.
    /// </summary>
    public sealed record ReplayRequested(MessageId MessageId, int Replay, string By, string Why, DateTimeOffset At) : IMessageEvent;

    /// <summary>An operator held the message: no stage runs for it (and it cannot be replayed) until released.</summary>
    public sealed record MessageHeld(MessageId MessageId, string By, string Why, DateTimeOffset At) : IMessageEvent;

    /// <summary>An operator released a held message: it goes on from where it stopped.</summary>
    public sealed record HoldReleased(MessageId MessageId, string By, string Why, DateTimeOffset At) : IMessageEvent;

    /// <summary>
    /// An operator purged a quarantined message: its content is deleted and it leaves the quarantine
    /// for good. The timeline stays, ending with this event, as the audit record.
    /// </summary>
    public sealed record MessagePurged(MessageId MessageId, string By, string Why, DateTimeOffset At) : IMessageEvent;

    /// <summary>
    /// An operator set a directory entry (persistence id <c>directory</c>): <paramref name="Address"/> of route
    /// <paramref name="Route"/> maps to <paramref name="New"/> from now on; <paramref name="Old"/> is the entry it
    /// replaced (null: there was none). Recorded before <paramref name="File"/> is rewritten, so no change on disk
    /// is without its record.
    /// </summary>
    public sealed record DirectoryEntrySet(string Route, string File, string Address, Mapping.DirectoryEntry? Old, Mapping.DirectoryEntry New, string By, string Why, DateTimeOffset At) : IGatewayEvent;
}

/// <summary>The gateway's in-flight registry (persistence id <c>gateway</c>): which messages must be resumed after a restart.</summary>
public static class GatewayEvents
{
    /// <summary>The gateway took responsibility for a message; it is resumed on every start until released.</summary>
    public sealed record MessageAdmitted(MessageId MessageId) : IGatewayEvent;

    /// <summary>The message reached an end state (delivered, dead-lettered or abandoned) and needs no resuming.</summary>
    public sealed record MessageReleased(MessageId MessageId, string Outcome) : IGatewayEvent;

    /// <summary>
    /// The registry's batched record (written instead of <see cref="MessageAdmitted"/> and <see cref="MessageReleased"/>,
    /// which older journals still hold): the messages the gateway took responsibility for, and the ones that reached an
    /// end state, since its previous write. One row for many messages; applied releases first, then admissions.
    /// </summary>
    public sealed record RegistryChanged(IReadOnlyList<MessageId> Admitted, IReadOnlyList<ReleasedMessage> Released) : IGatewayEvent;

    /// <summary>One message released in a <see cref="RegistryChanged"/>, with its outcome (delivered, dead-lettered, abandoned, …).</summary>
    public sealed record ReleasedMessage(MessageId MessageId, string Outcome);

    /// <summary>The node stopped gracefully: stages in flight were not interrupted by a crash.</summary>
    public sealed record CleanShutdown(DateTimeOffset At) : IGatewayEvent;

    /// <summary>The node started after a clean shutdown (consumes that mark).</summary>
    public sealed record GatewayStarted(DateTimeOffset At) : IGatewayEvent;

    /// <summary>Snapshot of the in-flight registry.</summary>
    public sealed record InFlightSnapshot(IReadOnlyList<MessageId> MessageIds) : IGatewayEvent;
}
