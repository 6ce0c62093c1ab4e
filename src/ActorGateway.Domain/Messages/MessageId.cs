using System.Diagnostics.CodeAnalysis;

namespace ActorGateway.Domain.Messages;

/// <summary>
/// The gateway's own identifier for one message. Assigned once at intake, stable for the
/// message's whole life, and the key of everything else: persistence id <c>msg-{id}</c>,
/// content file, spool file, shard entity id.
/// </summary>
public readonly record struct MessageId
{
    public const string PersistencePrefix = "msg-";

    public string Value { get; }

    private MessageId(string value) => Value = value;

    /// <summary>A new, time-ordered id (UUID v7, 32 lowercase hex digits).</summary>
    public static MessageId New() => new(Guid.CreateVersion7().ToString("N"));

    /// <summary>Accepts 1–64 characters of <c>[A-Za-z0-9_-]</c>: safe as a file name and a persistence id.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MessageId? id)
    {
        id = null;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        id = new MessageId(text);
        return true;
    }

    public static MessageId Parse(string text) =>
        TryParse(text, out var id) ? id.Value : throw new FormatException($"'{text}' is not a valid message id");

    public string PersistenceId => PersistencePrefix + Value;

    public override string ToString() => Value;
}
