using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Failures;

/// <summary>The pipeline stage a failure happened in. Recorded in dead-letter entries.</summary>
public enum Stage
{
    Mapping,
    Delivery,
    /// <summary>Sending the sender a DSN about dead-lettered recipients.</summary>
    Notification,
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

/// <summary>No recipient of the message can be mapped (or its sender cannot): the whole message is dead-lettered.</summary>
public sealed class MessageUnmappableException(IReadOnlyList<RecipientFailure> failures)
    : PermanentMessageException(
        failures[0].Reason,
        $"{failures[0].Reason}: cannot map {failures[0].Role} {failures[0].Address}: {failures[0].Detail}" +
        (failures.Count > 1 ? $" (and {failures.Count - 1} more)" : string.Empty),
        failures[0].Address)
{
    public IReadOnlyList<RecipientFailure> Failures { get; } = failures;
}

/// <summary>
/// A failure that belongs to the outside world (target down, disk full, timeout): the message
/// is not to blame and waits for a retry.
/// </summary>
public class TransientFailureException(string message, Exception? inner = null) : Exception(message, inner);
