using System.Net.Sockets;

namespace ActorGateway.Domain.Failures;

public enum FailureKind
{
    /// <summary>Belongs to the message; retrying cannot help. Dead-letter now.</summary>
    Permanent,
    /// <summary>Belongs to the outside world. Wait and retry; never blame the message.</summary>
    Transient,
    /// <summary>Anything else: a bug or a surprise. A bounded number of restarts, then dead-letter.</summary>
    Unknown,
}

/// <summary>The one place that turns an exception into a supervision verdict. Pure.</summary>
public static class FailureClassifier
{
    /// <summary>
    /// Classifies with configured overrides first: the exception's type, or any base type, by full
    /// name (e.g. <c>"System.FormatException" = permanent</c>), then the built-in rules.
    /// </summary>
    public static FailureKind Classify(Exception exception, IReadOnlyDictionary<string, FailureKind>? overrides)
    {
        if (overrides is { Count: > 0 })
        {
            for (var type = exception.GetType(); type is not null; type = type.BaseType)
            {
                if (type.FullName is { } name && overrides.TryGetValue(name, out var kind)) return kind;
            }
        }
        return Classify(exception);
    }

    public static FailureKind Classify(Exception exception) => exception switch
    {
        PermanentMessageException => FailureKind.Permanent,
        TransientFailureException => FailureKind.Transient,
        // A missing file under our own store is not an outage; it is reported as
        // PermanentMessageException(GW-CONTENT-MISSING) by the store, so this is the target's I/O.
        IOException or TimeoutException or SocketException or UnauthorizedAccessException => FailureKind.Transient,
        _ => FailureKind.Unknown,
    };

    /// <summary>The reason code recorded when a failure of this kind dead-letters a message.</summary>
    public static string ReasonCode(Exception exception) =>
        exception is PermanentMessageException p ? p.ReasonCode : ReasonCodes.Unhandled;

    /// <summary>Parses a HOCON kind name: permanent, transient or unknown.</summary>
    public static FailureKind ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "permanent" => FailureKind.Permanent,
        "transient" => FailureKind.Transient,
        "unknown" => FailureKind.Unknown,
        _ => throw new FormatException($"'{text}' is not a failure kind (permanent, transient, unknown)"),
    };
}
