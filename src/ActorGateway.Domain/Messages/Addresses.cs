using System.Text.Json.Serialization;

namespace ActorGateway.Domain.Messages;

/// <summary>Where an address came from in the message.</summary>
public enum AddressRole
{
    Sender,
    To,
    Cc,
    /// <summary>An envelope recipient that is in no To/Cc header (Bcc, or RCPT TO only).</summary>
    Bcc,
}

/// <summary>An address as the source system wrote it: the mailbox and its display name, untouched.</summary>
public sealed record SourceAddress(AddressRole Role, string Address, string? DisplayName)
{
    /// <summary>The domain part, lowercased; empty when the address has none.</summary>
    [JsonIgnore]
    public string Domain
    {
        get
        {
            var at = Address.LastIndexOf('@');
            return at < 0 || at == Address.Length - 1 ? string.Empty : Address[(at + 1)..].ToLowerInvariant();
        }
    }

    public override string ToString() =>
        DisplayName is null ? $"<{Address}>" : $"\"{DisplayName}\" <{Address}>";
}

/// <summary>The result of mapping one source address into the target's address space.</summary>
/// <param name="Method">How it was mapped: <c>directory</c>, <c>template</c> or <c>passthrough</c>.</param>
/// <param name="Route">The route that mapped it (null for a sender that passed through).</param>
/// <param name="Transport">The transport the route delivers through (null for the sender).</param>
public sealed record MappedAddress(AddressRole Role, string Source, string Target, string Method, string? Route = null, string? Transport = null);

/// <summary>One recipient that cannot be served, and why. The rest of its message is not affected.</summary>
/// <param name="Reply">The target's reply, when the target refused it (e.g. <c>550 5.1.1 user unknown</c>).</param>
public sealed record RecipientFailure(
    AddressRole Role,
    string Address,
    string Reason,
    ActorGateway.Domain.Failures.Stage Stage,
    string Detail,
    string? Route = null,
    string? Reply = null);
