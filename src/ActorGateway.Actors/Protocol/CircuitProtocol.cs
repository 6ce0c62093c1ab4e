using ActorGateway.Domain.Failures;

namespace ActorGateway.Actors.Protocol;

/// <summary>
/// What message actors exchange with <c>transport-circuits</c> (<see cref="Actors.TransportCircuitActor"/>),
/// the outage circuit breaker per transport endpoint. A message actor asks before each delivery attempt and
/// reports after it; a message waiting on an open circuit is simply not answered yet, so it needs no timer
/// of its own and spends no retry attempt.
/// </summary>
public static class CircuitProtocol
{
    /// <summary>
    /// Message actor → <c>transport-circuits</c>: may I deliver through <paramref name="Transport"/> now? The reply goes to the sender.
    /// Closed: <see cref="DispatchAllowed"/> at once. Half-open with no probe out: <see cref="DispatchAllowed"/> with
    /// <c>IsProbe</c>. Otherwise the request is parked (once per requester; asking again is harmless) and answered
    /// when the circuit half-opens (one waiter gets the probe) or closes (every waiter is released). Only when the
    /// park list is full: <see cref="DispatchDeferred"/>.
    /// </summary>
    public sealed record RequestDispatch(string Transport);

    /// <summary><c>transport-circuits</c> → requester: deliver now. <paramref name="IsProbe"/>: you are the one half-open probe; report your outcome promptly, or <see cref="CancelDispatch"/>.</summary>
    public sealed record DispatchAllowed(string Transport, bool IsProbe);

    /// <summary><c>transport-circuits</c> → requester: the circuit is open and the park list is full; ask again after <paramref name="RetryAfter"/>. Not a failure: no attempt is spent.</summary>
    public sealed record DispatchDeferred(string Transport, TimeSpan RetryAfter);

    /// <summary>
    /// Message actor → <c>transport-circuits</c>: the outcome of one delivery attempt through <paramref name="Transport"/>.
    /// <paramref name="TransientFailure"/>: the endpoint was unavailable (no connection, timeout, 4xx to the whole message).
    /// False: it answered, whether it took the message, deferred or refused recipients, or refused the whole message for good.
    /// Not answered. An outcome from the current probe holder is the probe's.
    /// </summary>
    public sealed record ReportOutcome(string Transport, bool TransientFailure);

    /// <summary>Message actor → <c>transport-circuits</c>: I no longer want to dispatch through <paramref name="Transport"/>: unpark me, or give back the probe unused. (A requester that stops is dropped anyway.)</summary>
    public sealed record CancelDispatch(string Transport);

    /// <summary>Anyone → <c>transport-circuits</c>: report every circuit, for metrics and operators.</summary>
    public sealed record GetCircuitStatus
    {
        public static readonly GetCircuitStatus Instance = new();
    }

    /// <summary><c>transport-circuits</c> → asker: one entry per transport that has been used, by name.</summary>
    public sealed record CircuitStatus(IReadOnlyList<TransportCircuitStatus> Circuits)
    {
        public TransportCircuitStatus? For(string transport) => Circuits.FirstOrDefault(c => c.Transport == transport);
    }

    /// <summary>One transport's circuit.</summary>
    /// <param name="ConsecutiveFailures">Transient failures since its last success.</param>
    /// <param name="OpenDuration">The current (or last) open period.</param>
    /// <param name="NextChangeAt">Open: when it half-opens. Half-open with a probe out: when that probe is presumed lost. Else null.</param>
    /// <param name="Parked">Requests waiting for it.</param>
    /// <param name="ProbeOut">Half-open and a probe is dispatched.</param>
    /// <param name="OutageSince">When it left Closed; null while closed.</param>
    public sealed record TransportCircuitStatus(
        string Transport,
        CircuitState State,
        int ConsecutiveFailures,
        TimeSpan OpenDuration,
        DateTimeOffset? NextChangeAt,
        int Parked,
        bool ProbeOut,
        DateTimeOffset? OutageSince);
}
