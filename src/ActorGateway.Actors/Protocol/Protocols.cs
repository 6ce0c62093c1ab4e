using Akka.Actor;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Protocol;

/// <summary>A message addressed to one message's actor; the id is also its shard entity id.</summary>
public interface IWithMessageId
{
    MessageId MessageId { get; }
}

/// <summary>
/// A message that may cross from one cluster node to another (to a partition, from it, or to and from a cluster singleton);
/// serialized by <c>GatewayWireSerializer</c>. Messages without it stay inside one process.
/// </summary>
public interface IGatewayWireMessage;

/// <summary>What ingresses and observers exchange with the <c>gateway</c> supervisor.</summary>
public static class GatewayProtocol
{
    /// <summary>Ingress → gateway: take responsibility for a message whose bytes are already in the content store.</summary>
    /// <param name="NewId">
    /// The ingress generated <paramref name="MessageId"/> just now and this is its first submission, so nothing can be in the
    /// journal under it: the message actor skips reading its (empty) history. False whenever the id may have been
    /// submitted before (a claimed pickup file retried after a crash, a repeated attempt).
    /// </param>
    public sealed record SubmitMessage(MessageId MessageId, string Source, long SizeBytes, MessageEnvelope Envelope, bool NewId = false) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Message actor → ingress: the message is durably in the journal. Only now may the ingress acknowledge its sender.</summary>
    public sealed record SubmitAccepted(MessageId MessageId) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Gateway → ingress: not taken (e.g. GW-BUSY). The ingress keeps the message and may try again.</summary>
    public sealed record SubmitRejected(MessageId MessageId, string Code, string Reason) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Gateway → event stream: a message reached an end state.</summary>
    public sealed record MessageOutcome(MessageId MessageId, string Outcome, string? Reason) : IWithMessageId;

    /// <summary>Anyone → gateway: report counts.</summary>
    public sealed record GetStatus : IGatewayWireMessage
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>Gateway → asker.</summary>
    /// <param name="Registered">Messages admitted and not finished (what a restart resumes).</param>
    /// <param name="Running">Message actors alive now.</param>
    /// <param name="Waiting">Submissions held back by the in-flight bound.</param>
    /// <param name="Partitions">Clustered: how many partitions the cluster has (null on a single node).</param>
    /// <param name="PartitionsAnswering">Clustered: how many of them answered in time (the others are moving to another node, or their node is gone).</param>
    public sealed record GatewayStatus(int Registered, int Running, int Waiting, bool Recovered, Guid Incarnation, int? Partitions = null, int? PartitionsAnswering = null) : IGatewayWireMessage;
}

/// <summary>What the gateway and a <c>msg-{id}</c> actor exchange.</summary>
public static class MessageProtocol
{
    /// <summary>Gateway → message actor: persist acceptance, then tell <paramref name="ReplyTo"/>.</summary>
    public sealed record AcceptMessage(GatewayProtocol.SubmitMessage Submission, IActorRef ReplyTo) : IWithMessageId
    {
        public MessageId MessageId => Submission.MessageId;
    }

    /// <summary>Gateway → message actor: continue from wherever the journal says you are. <paramref name="AfterCrash"/>: the last run did not shut down cleanly.</summary>
    public sealed record ResumeMessage(MessageId MessageId, bool AfterCrash = false) : IWithMessageId;

    /// <summary>
    /// Gateway → message actor: carry out an operator's command and answer <paramref name="ReplyTo"/> with
    /// <see cref="OperatorProtocol.Result"/>. <paramref name="Reactivated"/>: the actor was started only for
    /// this (the message was not in flight), so it stops again when there is nothing left to do.
    /// </summary>
    public sealed record PerformOperatorCommand(OperatorProtocol.Command Command, IActorRef ReplyTo, bool Reactivated) : IWithMessageId
    {
        public MessageId MessageId => Command.MessageId;
    }

    /// <summary>Message actor → gateway: I reached an end state and am stopping.</summary>
    public sealed record MessageFinished(MessageId MessageId, string Outcome, string? Reason) : IWithMessageId;
}

/// <summary>What a message actor exchanges with its <c>mapper</c> and <c>transport</c> children.</summary>
public static class StageProtocol
{
    /// <summary>Message actor → mapper. <paramref name="Probe"/>: part of a one-recipient-at-a-time mapping, so "nothing mapped" is an answer, not a failure.</summary>
    public sealed record MapRecipients(MessageId MessageId, MessageEnvelope Envelope, bool Probe = false) : IWithMessageId;

    /// <summary>Mapper → message actor: the sender and at least one recipient mapped; <paramref name="Failed"/> could not be. (When nothing maps, that is thrown, for the supervisor.)</summary>
    public sealed record MappingSucceeded(MessageId MessageId, MappedAddress Sender, IReadOnlyList<MappedAddress> Recipients, IReadOnlyList<RecipientFailure> Failed) : IWithMessageId;

    /// <summary>
    /// Message actor → transport: deliver through <paramref name="Transport"/> to <paramref name="Recipients"/>
    /// (that transport's pending ones; the message actor gates one transport at a time through its circuit);
    /// headers show <paramref name="AllRecipients"/>.
    /// </summary>
    /// <param name="DeliveryId">The id the transport's idempotency keys on: the message id, or <c>{id}-r{n}</c> for a replay after earlier deliveries.</param>
    public sealed record Deliver(MessageId MessageId, string Transport, MappedAddress Sender, IReadOnlyList<MappedAddress> Recipients, IReadOnlyList<MappedAddress> AllRecipients, MessageId DeliveryId) : IWithMessageId;

    /// <summary>Transport → message actor.</summary>
    public sealed record DeliverySucceeded(MessageId MessageId, string Transport, DeliveryReceipt Receipt) : IWithMessageId;

    /// <summary>Message actor → transport: send the sender an RFC 3464 DSN about <paramref name="Failed"/> through <paramref name="Transport"/>.</summary>
    public sealed record NotifySender(MessageId MessageId, string To, IReadOnlyList<RecipientFailure> Failed, DateTimeOffset ArrivalDate, string Transport, string ReportingMta) : IWithMessageId;

    /// <summary>Transport → message actor: the DSN was sent (<paramref name="Sent"/>), or deliberately not (<paramref name="Reason"/> says why).</summary>
    public sealed record NotificationSettled(MessageId MessageId, bool Sent, string To, string Transport, string Location, string? Reason, string? Detail) : IWithMessageId;
}

/// <summary>What the <c>dead-letter-queue</c> actor answers.</summary>
public static class DeadLetterQueueProtocol
{
    /// <summary>Message actor → queue: record this entry (idempotent per message id); answered with <see cref="DeadLetterRecordConfirmed"/>.</summary>
    public sealed record RecordDeadLetter(DeadLetterEntry Entry) : IWithMessageId, IGatewayWireMessage
    {
        public MessageId MessageId => Entry.MessageId;
    }

    /// <summary>Queue → message actor: the entry is durable.</summary>
    public sealed record DeadLetterRecordConfirmed(MessageId MessageId) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Message actor → queue: the message left the quarantine (replayed or purged); clear its entries up to that generation. Answered with <see cref="DeadLetterClearConfirmed"/>.</summary>
    public sealed record ClearDeadLetter(MessageId MessageId, int UpToReplays, string Why) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Queue → message actor: the clearing is durable (the queue's event for it is <c>DeadLetterQueueEvents.DeadLetterCleared</c>).</summary>
    public sealed record DeadLetterClearConfirmed(MessageId MessageId, int UpToReplays) : IWithMessageId, IGatewayWireMessage;

    /// <summary>Anyone → queue: list entries, optionally only those with a reason code.</summary>
    public sealed record ListDeadLetters(string? Reason = null, Stage? Stage = null) : IGatewayWireMessage;

    public sealed record DeadLetterList(IReadOnlyList<DeadLetterEntry> Entries) : IGatewayWireMessage;

    /// <summary>Anyone → queue: one entry.</summary>
    public sealed record GetDeadLetter(MessageId MessageId) : IWithMessageId, IGatewayWireMessage;

    public sealed record DeadLetterLookup(MessageId MessageId, DeadLetterEntry? Entry) : IWithMessageId, IGatewayWireMessage;
}

/// <summary>Operator actions on one message (admin API, CLI). Each names who asked and why; the message's timeline records it.</summary>
public static class OperatorProtocol
{
    /// <summary>
    /// One operator action (see <see cref="ActorGateway.Domain.Operations.OperatorAction"/>): replay a quarantined message
    /// from mapping, hold or release a message, or purge a quarantined one.
    /// </summary>
    public sealed record Command(MessageId MessageId, ActorGateway.Domain.Operations.OperatorAction Action, string By, string Why) : IWithMessageId;

    /// <summary>Anyone → gateway: carry out <paramref name="Command"/>; answered with <see cref="Result"/>.</summary>
    public sealed record Operate(Command Command) : IWithMessageId, IGatewayWireMessage
    {
        public MessageId MessageId => Command.MessageId;
    }

    /// <summary>The answer to <see cref="Operate"/>.</summary>
    /// <param name="Code">A stable code, e.g. GW-REPLAY-ACCEPTED or GW-NOT-IN-QUARANTINE.</param>
    public sealed record Result(MessageId MessageId, OperationStatus Status, string Code, string Detail) : IWithMessageId, IGatewayWireMessage;
}

/// <summary>How an operator action ended; the admin API maps these to HTTP statuses.</summary>
public enum OperationStatus
{
    /// <summary>Carried out and recorded in the journal (200/202).</summary>
    Done,
    /// <summary>No message with that id (404).</summary>
    NotFound,
    /// <summary>Not possible in the message's current state, e.g. replaying a message that is not in quarantine (409).</summary>
    Conflict,
    /// <summary>Not now: the in-flight bound is reached or the message is being resumed; try again (503, retryable).</summary>
    Busy,
    /// <summary>The gateway or its journal did not answer (503).</summary>
    Unavailable,
}
