using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Transport;

/// <summary>What a transport reports after a delivery.</summary>
/// <param name="Location">Where the message went (a spool path, a smart host's reply).</param>
/// <param name="AlreadyPresent">True when the message was found delivered already (a replay or recovery): nothing was sent twice.</param>
public sealed record DeliveryReceipt(string Location, bool AlreadyPresent);

/// <summary>
/// Delivers one mapped message to the target. Implementations must be idempotent per message id.
/// Throw <see cref="Domain.Failures.TransientFailureException"/> (or an I/O exception) when the
/// target is unavailable and <see cref="Domain.Failures.PermanentMessageException"/> when it
/// refuses this message for good.
/// </summary>
public interface IMessageTransport
{
    /// <summary>Short name, recorded in <c>MessageDelivered</c>.</summary>
    string Name { get; }

    Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct);
}
