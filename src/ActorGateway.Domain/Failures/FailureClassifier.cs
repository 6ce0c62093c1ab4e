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
}
