using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Transport;

/// <summary>The SMTP envelope of one delivery: the mapped sender and the mapped recipients it is for.</summary>
public sealed record OutboundEnvelope(string Sender, IReadOnlyList<string> Recipients);

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
