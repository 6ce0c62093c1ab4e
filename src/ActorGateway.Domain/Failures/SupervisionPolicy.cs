namespace ActorGateway.Domain.Failures;

/// <summary>What a message actor does with a failed stage child.</summary>
public enum StageAction
{
    /// <summary>Stop the child and quarantine the message; the stage is never run again for it.</summary>
    DeadLetter,
    /// <summary>Restart the child and run the stage again now.</summary>
    RestartNow,
    /// <summary>Keep the child, and run the stage again after a back-off; the message is not blamed.</summary>
    RetryLater,
}

/// <summary>The message-level supervision decision, in one pure and tested place.</summary>
public static class SupervisionPolicy
{
    /// <param name="kind">The classifier's verdict.</param>
    /// <param name="unknownRestartsSoFar">Restarts this stage already had for this message after unknown failures.</param>
    /// <param name="maxUnknownRestarts">The configured bound (actor-gateway.supervision.max-unknown-restarts).</param>
    public static StageAction Decide(FailureKind kind, int unknownRestartsSoFar, int maxUnknownRestarts) =>
        Decide(kind, unknownRestartsSoFar, maxUnknownRestarts, delayedRetriesSoFar: 0, maxUnknownDelayedRetries: 0);

    /// <summary>
    /// Permanent: dead-letter now. Transient: retry later, for as long as the message lives.
    /// Unknown: <paramref name="maxUnknownRestarts"/> immediate restarts, then
    /// <paramref name="maxUnknownDelayedRetries"/> delayed retries, then dead-letter.
    /// </summary>
    public static StageAction Decide(FailureKind kind, int unknownRestartsSoFar, int maxUnknownRestarts, int delayedRetriesSoFar, int maxUnknownDelayedRetries) => kind switch
    {
        FailureKind.Permanent => StageAction.DeadLetter,
        FailureKind.Transient => StageAction.RetryLater,
        _ when unknownRestartsSoFar < maxUnknownRestarts => StageAction.RestartNow,
        _ when delayedRetriesSoFar < maxUnknownDelayedRetries => StageAction.RetryLater,
        _ => StageAction.DeadLetter,
    };

    /// <summary>Exponential back-off: min × 2^(attempt-1), capped at max, with ±20% jitter from <paramref name="jitter01"/> in [0,1).</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan min, TimeSpan max, double jitter01)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var raw = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        var jittered = raw * (0.8 + 0.4 * Math.Clamp(jitter01, 0, 1));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, min.TotalMilliseconds, max.TotalMilliseconds));
    }
}
