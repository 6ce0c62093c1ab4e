using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Failures;

/// <summary>The pipeline stage a failure happened in. Recorded in dead-letter entries.</summary>
public enum Stage
{
    Mapping,
    Delivery,
}

/// <summary>
/// A failure that belongs to this one message and will not go away by trying again
/// (an address that cannot be mapped, content that is gone). Dead-letter now.
/// </summary>
public class PermanentMessageException(string reasonCode, string message, string? address = null)
    : Exception(message)
{
    public string ReasonCode { get; } = reasonCode;

    /// <summary>The address the failure is about, if any (the recipient, or the sender).</summary>
    public string? Address { get; } = address;
}

/// <summary>A source address the route's profile cannot turn into a target address.</summary>
public sealed class AddressMappingException(string reasonCode, SourceAddress address, string detail)
    : PermanentMessageException(reasonCode, $"{reasonCode}: cannot map {address.Role} {address}: {detail}", address.Address)
{
    public SourceAddress SourceAddress { get; } = address;
}

/// <summary>
/// A failure that belongs to the outside world (target down, disk full, timeout): the message
/// is not to blame and waits for a retry.
/// </summary>
public class TransientFailureException(string message, Exception? inner = null) : Exception(message, inner);
