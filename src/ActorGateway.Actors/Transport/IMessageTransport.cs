using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Transport;

/// <summary>The SMTP envelope of one delivery: the mapped sender and the mapped recipients it is for.</summary>
public sealed record OutboundEnvelope(string Sender, IReadOnlyList<string> Recipients);

/// <summary>What happened to one recipient of a delivery.</summary>
public enum RecipientDisposition
{
    /// <summary>The target took it.</summary>
    Delivered,
    /// <summary>Refused for good (an SMTP 5xx): that recipient is dead-lettered, the others are not affected.</summary>
    Refused,
    /// <summary>Refused for now (an SMTP 4xx): that recipient is retried later.</summary>
    Deferred,
}

/// <summary>One recipient's result, with the target's reply when there is one.</summary>
public sealed record RecipientResult(string Recipient, RecipientDisposition Disposition, string? Reply);

/// <summary>What a transport reports after a delivery.</summary>
/// <param name="Location">Where the message went (a spool path, a smart host and its queue id).</param>
/// <param name="AlreadyPresent">True when the message was found delivered already (a replay or recovery): nothing was sent twice.</param>
/// <param name="Recipients">One result per envelope recipient.</param>
public sealed record DeliveryReceipt(string Location, bool AlreadyPresent, IReadOnlyList<RecipientResult> Recipients);

/// <summary>
/// Delivers one mapped message to the target. Implementations must be idempotent per message id.
/// Throw <see cref="Domain.Failures.TransientFailureException"/> (or an I/O exception) when the
/// target is unavailable as a whole, and <see cref="Domain.Failures.PermanentMessageException"/> when
/// it refuses the whole message for good; report per-recipient refusals in the receipt.
/// </summary>
public interface IMessageTransport
{
    /// <summary>Short name, recorded in <c>MessageDelivered</c> and used by routes to pick a transport.</summary>
    string Name { get; }

    /// <param name="content">The rewritten RFC 5322 message (mapped To/Cc, original addresses in X-Gateway-Original-*).</param>
    Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct);
}
