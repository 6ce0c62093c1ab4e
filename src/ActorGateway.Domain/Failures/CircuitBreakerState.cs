namespace ActorGateway.Domain.Failures;

/// <summary>Where one transport endpoint's circuit stands.</summary>
public enum CircuitState
{
    /// <summary>The endpoint is presumed up: every dispatch is allowed, and consecutive transient failures are counted.</summary>
    Closed,
    /// <summary>The endpoint is presumed down: nothing is dispatched until the open duration has passed.</summary>
    Open,
    /// <summary>The open duration has passed: one probe at a time may be dispatched to find out whether the endpoint is back.</summary>
    HalfOpen,
}

/// <summary>
/// The breaker's thresholds (<c>actor-gateway.circuit-breaker</c>).
/// </summary>
/// <param name="FailureThreshold">Consecutive transient failures, across messages, that open a closed circuit (count, at least 1).</param>
/// <param name="OpenDuration">How long the circuit stays open after it first opens, before a probe (duration).</param>
/// <param name="MaxOpenDuration">The open duration doubles after each failed probe, up to this (duration, at least <paramref name="OpenDuration"/>).</param>
/// <param name="ProbeTimeout">A probe that has not reported within this is presumed lost, and another may be dispatched (duration).</param>
public sealed record CircuitBreakerPolicy(int FailureThreshold, TimeSpan OpenDuration, TimeSpan MaxOpenDuration, TimeSpan ProbeTimeout)
{
    public static readonly CircuitBreakerPolicy Default = new(5, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));

    /// <summary>The open duration after <paramref name="failedProbes"/> failed probes in a row: OpenDuration × 2^n, capped at MaxOpenDuration.</summary>
    public TimeSpan OpenDurationAfter(int failedProbes)
    {
        var exponent = Math.Clamp(failedProbes, 0, 30);
        var ms = Math.Min(MaxOpenDuration.TotalMilliseconds, OpenDuration.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>The first problem with these values (named as the HOCON setting), or null when they are usable.</summary>
    public string? Problem() =>
        FailureThreshold < 1 ? "failure-threshold must be at least 1"
        : OpenDuration <= TimeSpan.Zero ? "open-duration must be positive"
        : MaxOpenDuration < OpenDuration ? "max-open-duration must be at least open-duration"
        : ProbeTimeout <= TimeSpan.Zero ? "probe-timeout must be positive"
        : null;
}

/// <summary>The answer to <see cref="CircuitBreakerState.TryAcquire"/>: may a delivery be dispatched to the endpoint now?</summary>
public abstract record DispatchVerdict
{
    private DispatchVerdict()
    {
    }

    /// <summary>The circuit is closed: dispatch.</summary>
    public sealed record Allowed : DispatchVerdict
    {
        public static readonly Allowed Instance = new();
    }

    /// <summary>The circuit is half-open and this is its one probe: dispatch, and report the outcome as the probe's.</summary>
    public sealed record Probe : DispatchVerdict
    {
        public static readonly Probe Instance = new();
    }

    /// <summary>Do not dispatch. Nothing can change before <paramref name="RetryAt"/> (the end of the open period, or of the probe's lease) unless an outcome is reported.</summary>
    public sealed record Rejected(DateTimeOffset RetryAt) : DispatchVerdict;
}

/// <summary>
/// One change of a circuit's state, for the caller to log exactly once.
/// </summary>
/// <param name="ConsecutiveFailures">Transient failures since the last success (what opened it, when <paramref name="To"/> is Open).</param>
/// <param name="OpenDuration">How long it stays open (when <paramref name="To"/> is Open), else the last open duration.</param>
/// <param name="RetryAt">When a probe may go (when <paramref name="To"/> is Open), else null.</param>
/// <param name="OutageSince">When the circuit left Closed for this outage; on a close, the outage lasted <c>At - OutageSince</c>.</param>
public sealed record CircuitTransition(
    CircuitState From,
    CircuitState To,
    DateTimeOffset At,
    int ConsecutiveFailures,
    TimeSpan OpenDuration,
    DateTimeOffset? RetryAt,
    DateTimeOffset? OutageSince)
{
    /// <summary>The stable log code of this change: GW-CIRCUIT-OPEN, GW-CIRCUIT-HALF-OPEN or GW-CIRCUIT-CLOSED.</summary>
    public string Code => To switch
    {
        CircuitState.Open => ReasonCodes.CircuitOpen,
        CircuitState.HalfOpen => ReasonCodes.CircuitHalfOpen,
        _ => ReasonCodes.CircuitClosed,
    };
}

/// <summary>The result of recording an outcome or of moving time on: the new state, and the change to log, if any.</summary>
public sealed record CircuitStep(CircuitBreakerState State, CircuitTransition? Transition);

/// <summary>The result of <see cref="CircuitBreakerState.TryAcquire"/>: the new state, the verdict, and the change to log, if any.</summary>
public sealed record CircuitAcquisition(CircuitBreakerState State, DispatchVerdict Verdict, CircuitTransition? Transition);

/// <summary>
/// One transport endpoint's outage circuit breaker, as an immutable value. Pure: time is passed in,
/// and every method returns the new state plus, when the state changed, one <see cref="CircuitTransition"/>.
/// <list type="bullet">
/// <item><b>Closed</b>: dispatches are allowed. <see cref="FailureThreshold"/> consecutive transient
/// failures (across messages) open it; any success in between resets the count.</item>
/// <item><b>Open</b>: dispatches are rejected until <see cref="OpenUntil"/>; then it is half-open
/// (<see cref="Advance"/>, or lazily on the next <see cref="TryAcquire"/>).</item>
/// <item><b>HalfOpen</b>: one probe at a time is granted. Its success closes the circuit; its transient
/// failure opens it again for twice as long as before, up to <see cref="CircuitBreakerPolicy.MaxOpenDuration"/>.
/// A probe that does not report within <see cref="CircuitBreakerPolicy.ProbeTimeout"/>, or is released,
/// lets another probe go.</item>
/// </list>
/// Decisions: a <i>permanent</i> failure (the endpoint refused this one message) proves the endpoint
/// answered, so it counts as a success. Any success closes the circuit, from any state: the endpoint
/// answered, which is what a probe would find out. A transient failure that is not the probe's while
/// open or half-open comes from a dispatch made before the circuit opened; it is counted but changes nothing.
/// </summary>
public sealed record CircuitBreakerState
{
    private CircuitBreakerState(CircuitBreakerPolicy policy) => Policy = policy;

    /// <summary>A closed circuit with no failures.</summary>
    public static CircuitBreakerState Closed(CircuitBreakerPolicy policy) =>
        policy.Problem() is { } problem
            ? throw new ArgumentException($"circuit-breaker.{problem}", nameof(policy))
            : new CircuitBreakerState(policy) { OpenDuration = policy.OpenDuration };

    public CircuitBreakerPolicy Policy { get; }

    public CircuitState State { get; private init; } = CircuitState.Closed;

    /// <summary>Transient failures since the last success (stragglers while open included).</summary>
    public int ConsecutiveFailures { get; private init; }

    /// <summary>Probes that failed in a row during this outage; drives the growth of <see cref="OpenDuration"/>.</summary>
    public int FailedProbes { get; private init; }

    /// <summary>The length of the current (or last) open period.</summary>
    public TimeSpan OpenDuration { get; private init; }

    /// <summary>While open: when it becomes half-open.</summary>
    public DateTimeOffset? OpenUntil { get; private init; }

    /// <summary>While half-open with a probe out: when that probe is presumed lost.</summary>
    public DateTimeOffset? ProbeLeaseUntil { get; private init; }

    /// <summary>When the circuit left Closed for the current outage; null while closed.</summary>
    public DateTimeOffset? OutageSince { get; private init; }

    public int FailureThreshold => Policy.FailureThreshold;

    /// <summary>True while half-open with a probe dispatched and not yet reported, released or expired (as of its lease).</summary>
    public bool ProbeOut => State == CircuitState.HalfOpen && ProbeLeaseUntil is not null;

    /// <summary>The next time at which time alone changes something (open → half-open, or a probe's lease runs out); null when nothing is due.</summary>
    public DateTimeOffset? NextWakeUp => State switch
    {
        CircuitState.Open => OpenUntil,
        CircuitState.HalfOpen => ProbeLeaseUntil,
        _ => null,
    };

    /// <summary>Applies what time alone changes: an open circuit whose open duration has passed becomes half-open.</summary>
    public CircuitStep Advance(DateTimeOffset now)
    {
        if (State != CircuitState.Open || now < OpenUntil) return new CircuitStep(this, null);
        var next = this with { State = CircuitState.HalfOpen, OpenUntil = null, ProbeLeaseUntil = null };
        return new CircuitStep(next, next.TransitionFrom(CircuitState.Open, now));
    }

    /// <summary>
    /// Asks to dispatch one delivery now. Closed: <see cref="DispatchVerdict.Allowed"/>. Half-open with no
    /// probe out (or its lease expired): <see cref="DispatchVerdict.Probe"/>, and the probe is out until it
    /// reports, is released, or <see cref="CircuitBreakerPolicy.ProbeTimeout"/> passes. Otherwise
    /// <see cref="DispatchVerdict.Rejected"/>. Carries the open → half-open transition when time made it.
    /// </summary>
    public CircuitAcquisition TryAcquire(DateTimeOffset now)
    {
        var (state, transition) = Advance(now);
        return state.State switch
        {
            CircuitState.Closed => new CircuitAcquisition(state, DispatchVerdict.Allowed.Instance, transition),
            CircuitState.Open => new CircuitAcquisition(state, new DispatchVerdict.Rejected(state.OpenUntil!.Value), transition),
            _ when state.ProbeLeaseUntil is { } lease && now < lease => new CircuitAcquisition(state, new DispatchVerdict.Rejected(lease), transition),
            _ => new CircuitAcquisition(state with { ProbeLeaseUntil = now + Policy.ProbeTimeout }, DispatchVerdict.Probe.Instance, transition),
        };
    }

    /// <summary>A delivery reached the endpoint and it answered. Resets the failure count; closes the circuit if it was not closed.</summary>
    public CircuitStep RecordSuccess(DateTimeOffset now)
    {
        if (State == CircuitState.Closed) return new CircuitStep(ConsecutiveFailures == 0 ? this : this with { ConsecutiveFailures = 0 }, null);
        var closed = this with
        {
            State = CircuitState.Closed,
            ConsecutiveFailures = 0,
            FailedProbes = 0,
            OpenUntil = null,
            ProbeLeaseUntil = null,
            OutageSince = null,
        };
        var transition = new CircuitTransition(State, CircuitState.Closed, now, ConsecutiveFailures, OpenDuration, null, OutageSince);
        return new CircuitStep(closed with { OpenDuration = Policy.OpenDuration }, transition);
    }

    /// <summary>
    /// The endpoint refused one message for good (a 5xx). That is not an outage: the endpoint answered,
    /// so for the breaker it is a success (<see cref="RecordSuccess"/>).
    /// </summary>
    public CircuitStep RecordPermanentFailure(DateTimeOffset now) => RecordSuccess(now);

    /// <summary>
    /// A delivery failed transiently (the endpoint did not answer, timed out, or said 4xx to the whole message).
    /// Closed: counted, and the <see cref="FailureThreshold"/>-th in a row opens the circuit for
    /// <see cref="CircuitBreakerPolicy.OpenDuration"/>. Half-open and <paramref name="isProbe"/>: opens it
    /// again for twice the last open duration, capped. Otherwise (a dispatch made before it opened): counted only.
    /// </summary>
    /// <param name="isProbe">The failure is the outcome of the probe granted by <see cref="TryAcquire"/>.</param>
    public CircuitStep RecordTransientFailure(DateTimeOffset now, bool isProbe = false)
    {
        var failures = ConsecutiveFailures == int.MaxValue ? int.MaxValue : ConsecutiveFailures + 1;
        switch (State)
        {
            case CircuitState.Closed when failures >= Policy.FailureThreshold:
                return Open(now, failures, failedProbes: 0, outageSince: now);
            case CircuitState.HalfOpen when isProbe:
                return Open(now, failures, FailedProbes + 1, OutageSince ?? now);
            default:
                return new CircuitStep(this with { ConsecutiveFailures = failures }, null);
        }
    }

    /// <summary>The probe will not report (its requester stopped or gave up): another probe may go at once. Not a change of state.</summary>
    public CircuitBreakerState ReleaseProbe() => ProbeOut ? this with { ProbeLeaseUntil = null } : this;

    private CircuitStep Open(DateTimeOffset now, int failures, int failedProbes, DateTimeOffset outageSince)
    {
        var duration = Policy.OpenDurationAfter(failedProbes);
        var next = this with
        {
            State = CircuitState.Open,
            ConsecutiveFailures = failures,
            FailedProbes = failedProbes,
            OpenDuration = duration,
            OpenUntil = now + duration,
            ProbeLeaseUntil = null,
            OutageSince = outageSince,
        };
        return new CircuitStep(next, next.TransitionFrom(State, now));
    }

    private CircuitTransition TransitionFrom(CircuitState from, DateTimeOffset now) =>
        new(from, State, now, ConsecutiveFailures, OpenDuration, OpenUntil, OutageSince);
}
