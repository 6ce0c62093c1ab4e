using ActorGateway.Domain.Failures;

namespace ActorGateway.Domain.Tests.Failures;

public class CircuitBreakerStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Open30 = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Max10 = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMinutes(2);
    private static readonly CircuitBreakerPolicy Policy = new(5, Open30, Max10, ProbeTimeout);

    private static CircuitBreakerState NewCircuit(CircuitBreakerPolicy? policy = null) => CircuitBreakerState.Closed(policy ?? Policy);

    /// <summary>Records <paramref name="count"/> transient failures at <paramref name="at"/>, collecting the transitions.</summary>
    private static CircuitBreakerState Fail(CircuitBreakerState state, int count, DateTimeOffset at, List<CircuitTransition>? transitions = null)
    {
        for (var i = 0; i < count; i++)
        {
            var (next, transition) = state.RecordTransientFailure(at);
            if (transition is not null) transitions?.Add(transition);
            state = next;
        }
        return state;
    }

    /// <summary>A circuit opened at T0 by the threshold's failures.</summary>
    private static CircuitBreakerState Opened() => Fail(NewCircuit(), Policy.FailureThreshold, T0);

    /// <summary>A circuit opened at T0, half-open at T0+30s, with its probe out.</summary>
    private static CircuitBreakerState ProbeOut()
    {
        var acquired = Opened().TryAcquire(T0 + Open30);
        Assert.IsType<DispatchVerdict.Probe>(acquired.Verdict);
        return acquired.State;
    }

    [Fact]
    public void Should_start_closed_and_allow_every_dispatch()
    {
        var state = NewCircuit();

        for (var i = 0; i < 10; i++)
        {
            var (next, verdict, transition) = state.TryAcquire(T0.AddSeconds(i));
            Assert.IsType<DispatchVerdict.Allowed>(verdict);
            Assert.Null(transition);
            state = next;
        }
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Null(state.NextWakeUp);
    }

    [Fact]
    public void Should_stay_closed_below_the_threshold()
    {
        var transitions = new List<CircuitTransition>();

        var state = Fail(NewCircuit(), Policy.FailureThreshold - 1, T0, transitions);

        Assert.Empty(transitions);
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Equal(4, state.ConsecutiveFailures);
        Assert.IsType<DispatchVerdict.Allowed>(state.TryAcquire(T0).Verdict);
    }

    [Fact]
    public void Should_open_on_the_threshold_failure_with_one_transition()
    {
        var transitions = new List<CircuitTransition>();

        var state = Fail(NewCircuit(), 5, T0, transitions);

        var opened = Assert.Single(transitions);
        Assert.Equal(new CircuitTransition(CircuitState.Closed, CircuitState.Open, T0, 5, Open30, T0 + Open30, T0), opened);
        Assert.Equal("GW-CIRCUIT-OPEN", opened.Code);
        Assert.Equal(CircuitState.Open, state.State);
        Assert.Equal(T0 + Open30, state.OpenUntil);
        Assert.Equal(T0 + Open30, state.NextWakeUp);
    }

    [Fact]
    public void Should_count_only_consecutive_failures()
    {
        var state = Fail(NewCircuit(), 4, T0);
        state = state.RecordSuccess(T0).State;
        Assert.Equal(0, state.ConsecutiveFailures);

        var transitions = new List<CircuitTransition>();
        state = Fail(state, 4, T0, transitions);

        Assert.Empty(transitions);
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Equal(5, Fail(state, 1, T0, transitions).ConsecutiveFailures);
        Assert.Single(transitions);
    }

    [Fact]
    public void Should_treat_a_permanent_failure_as_proof_that_the_endpoint_answered()
    {
        var state = Fail(NewCircuit(), 4, T0);

        var (next, transition) = state.RecordPermanentFailure(T0);

        Assert.Null(transition);
        Assert.Equal(0, next.ConsecutiveFailures);
        Assert.Equal(CircuitState.Closed, Fail(next, 4, T0).State);
    }

    [Fact]
    public void Should_report_no_transition_for_a_success_while_closed()
    {
        var (state, transition) = NewCircuit().RecordSuccess(T0);

        Assert.Null(transition);
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Null(state.RecordSuccess(T0).Transition);
    }

    [Fact]
    public void Should_open_at_the_first_failure_with_a_threshold_of_one()
    {
        var (state, transition) = NewCircuit(Policy with { FailureThreshold = 1 }).RecordTransientFailure(T0);

        Assert.Equal(CircuitState.Open, state.State);
        Assert.NotNull(transition);
        Assert.Equal(1, transition.ConsecutiveFailures);
    }

    [Fact]
    public void Should_reject_while_open_with_the_time_it_half_opens()
    {
        var state = Opened();

        foreach (var at in new[] { T0, T0.AddSeconds(1), T0 + Open30 - TimeSpan.FromTicks(1) })
        {
            var (next, verdict, transition) = state.TryAcquire(at);
            Assert.Equal(new DispatchVerdict.Rejected(T0 + Open30), verdict);
            Assert.Null(transition);
            Assert.Equal(CircuitState.Open, next.State);
        }
    }

    [Fact]
    public void Should_neither_extend_nor_report_again_on_failures_while_open()
    {
        var state = Opened();

        var (next, transition) = state.RecordTransientFailure(T0.AddSeconds(10));

        Assert.Null(transition);
        Assert.Equal(T0 + Open30, next.OpenUntil);
        Assert.Equal(6, next.ConsecutiveFailures);
        Assert.Null(next.RecordTransientFailure(T0.AddSeconds(11), isProbe: true).Transition);
    }

    [Fact]
    public void Should_half_open_once_the_open_duration_has_passed_on_advance()
    {
        var state = Opened();

        Assert.Null(state.Advance(T0 + Open30 - TimeSpan.FromTicks(1)).Transition);
        var (halfOpen, transition) = state.Advance(T0 + Open30);

        Assert.Equal(CircuitState.HalfOpen, halfOpen.State);
        Assert.NotNull(transition);
        Assert.Equal(CircuitState.Open, transition.From);
        Assert.Equal(CircuitState.HalfOpen, transition.To);
        Assert.Equal("GW-CIRCUIT-HALF-OPEN", transition.Code);
        Assert.False(halfOpen.ProbeOut);
        Assert.Null(halfOpen.NextWakeUp);
        Assert.Null(halfOpen.Advance(T0 + Open30 + Open30).Transition);
    }

    [Fact]
    public void Should_grant_the_probe_and_report_the_half_open_transition_on_the_first_request_after_the_open_duration()
    {
        var (state, verdict, transition) = Opened().TryAcquire(T0.AddSeconds(45));

        Assert.IsType<DispatchVerdict.Probe>(verdict);
        Assert.NotNull(transition);
        Assert.Equal(CircuitState.HalfOpen, transition.To);
        Assert.Equal(T0.AddSeconds(45), transition.At);
        Assert.True(state.ProbeOut);
        Assert.Equal(T0.AddSeconds(45) + ProbeTimeout, state.ProbeLeaseUntil);
        Assert.Equal(state.ProbeLeaseUntil, state.NextWakeUp);
    }

    [Fact]
    public void Should_grant_one_probe_at_a_time()
    {
        var state = ProbeOut();

        for (var i = 0; i < 3; i++)
        {
            var (next, verdict, transition) = state.TryAcquire(T0 + Open30 + TimeSpan.FromSeconds(i));
            Assert.Equal(new DispatchVerdict.Rejected(T0 + Open30 + ProbeTimeout), verdict);
            Assert.Null(transition);
            state = next;
        }
    }

    [Fact]
    public void Should_close_when_the_probe_succeeds()
    {
        var (state, transition) = ProbeOut().RecordSuccess(T0.AddSeconds(31));

        Assert.NotNull(transition);
        Assert.Equal(new CircuitTransition(CircuitState.HalfOpen, CircuitState.Closed, T0.AddSeconds(31), 5, Open30, null, T0), transition);
        Assert.Equal("GW-CIRCUIT-CLOSED", transition.Code);
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Equal(0, state.ConsecutiveFailures);
        Assert.Null(state.OutageSince);
        Assert.IsType<DispatchVerdict.Allowed>(state.TryAcquire(T0.AddSeconds(31)).Verdict);
        Assert.Equal(CircuitState.Closed, Fail(state, 4, T0.AddSeconds(32)).State);
    }

    [Fact]
    public void Should_reopen_for_twice_as_long_when_the_probe_fails()
    {
        var probeAt = T0 + Open30;

        var (state, transition) = ProbeOut().RecordTransientFailure(probeAt.AddSeconds(1), isProbe: true);

        Assert.NotNull(transition);
        Assert.Equal(new CircuitTransition(CircuitState.HalfOpen, CircuitState.Open, probeAt.AddSeconds(1), 6, TimeSpan.FromSeconds(60), probeAt.AddSeconds(61), T0), transition);
        Assert.Equal(CircuitState.Open, state.State);
        Assert.Equal(1, state.FailedProbes);
        Assert.IsType<DispatchVerdict.Rejected>(state.TryAcquire(probeAt.AddSeconds(60)).Verdict);
        Assert.IsType<DispatchVerdict.Probe>(state.TryAcquire(probeAt.AddSeconds(61)).Verdict);
    }

    [Fact]
    public void Should_double_the_open_duration_per_failed_probe_up_to_the_maximum()
    {
        var state = Opened();
        var now = T0;
        var durations = new List<double>();

        for (var i = 0; i < 7; i++)
        {
            now = state.OpenUntil!.Value;
            var acquired = state.TryAcquire(now);
            Assert.IsType<DispatchVerdict.Probe>(acquired.Verdict);
            var (reopened, transition) = acquired.State.RecordTransientFailure(now, isProbe: true);
            Assert.NotNull(transition);
            durations.Add(transition.OpenDuration.TotalSeconds);
            state = reopened;
        }

        Assert.Equal([60, 120, 240, 480, 600, 600, 600], durations);
        Assert.Equal(T0, state.OutageSince);
    }

    [Fact]
    public void Should_start_again_from_the_base_open_duration_after_closing()
    {
        var state = ProbeOut().RecordTransientFailure(T0 + Open30, isProbe: true).State;
        var probe = state.TryAcquire(state.OpenUntil!.Value).State;
        var closed = probe.RecordSuccess(state.OpenUntil!.Value).State;

        var transitions = new List<CircuitTransition>();
        Fail(closed, 5, T0.AddMinutes(5), transitions);

        Assert.Equal(Open30, Assert.Single(transitions).OpenDuration);
        Assert.Equal(T0.AddMinutes(5), transitions[0].OutageSince);
    }

    [Fact]
    public void Should_ignore_a_transient_failure_that_is_not_the_probe_while_half_open()
    {
        var state = ProbeOut();

        var (next, transition) = state.RecordTransientFailure(T0.AddSeconds(31), isProbe: false);

        Assert.Null(transition);
        Assert.Equal(CircuitState.HalfOpen, next.State);
        Assert.True(next.ProbeOut);
    }

    [Fact]
    public void Should_close_on_any_success_while_open()
    {
        var (state, transition) = Opened().RecordSuccess(T0.AddSeconds(5));

        Assert.NotNull(transition);
        Assert.Equal(CircuitState.Open, transition.From);
        Assert.Equal(CircuitState.Closed, transition.To);
        Assert.Equal(CircuitState.Closed, state.State);
        Assert.Null(state.NextWakeUp);
    }

    [Fact]
    public void Should_let_another_probe_go_when_the_probe_lease_runs_out()
    {
        var state = ProbeOut();
        var leaseEnd = T0 + Open30 + ProbeTimeout;

        Assert.IsType<DispatchVerdict.Rejected>(state.TryAcquire(leaseEnd - TimeSpan.FromTicks(1)).Verdict);
        var (next, verdict, transition) = state.TryAcquire(leaseEnd);

        Assert.IsType<DispatchVerdict.Probe>(verdict);
        Assert.Null(transition);
        Assert.Equal(leaseEnd + ProbeTimeout, next.ProbeLeaseUntil);
    }

    [Fact]
    public void Should_let_another_probe_go_at_once_when_the_probe_is_released()
    {
        var released = ProbeOut().ReleaseProbe();

        Assert.False(released.ProbeOut);
        Assert.Equal(CircuitState.HalfOpen, released.State);
        Assert.IsType<DispatchVerdict.Probe>(released.TryAcquire(T0.AddSeconds(31)).Verdict);
        Assert.Equal(CircuitState.Open, Opened().ReleaseProbe().State);
    }

    [Fact]
    public void Should_report_exactly_one_transition_per_change_through_an_outage()
    {
        var transitions = new List<CircuitTransition>();
        void Note(CircuitTransition? t)
        {
            if (t is not null) transitions.Add(t);
        }

        var state = NewCircuit();
        var now = T0;
        // Twenty messages fail against a dead endpoint.
        for (var i = 0; i < 20; i++)
        {
            var (next, _, t) = state.TryAcquire(now);
            Note(t);
            (state, t) = next.RecordTransientFailure(now);
            Note(t);
        }
        // Twenty waiters ask while open, and again once it half-opens: one gets the probe, and it fails.
        foreach (var at in new[] { now, state.OpenUntil!.Value })
        {
            now = at;
            for (var i = 0; i < 20; i++)
            {
                var (next, verdict, t) = state.TryAcquire(now);
                Note(t);
                state = next;
                if (verdict is DispatchVerdict.Probe)
                {
                    (state, t) = state.RecordTransientFailure(now, isProbe: true);
                    Note(t);
                }
            }
        }
        now = state.OpenUntil!.Value;
        // The endpoint heals: the next probe succeeds.
        var probe = state.TryAcquire(now);
        Note(probe.Transition);
        Note(probe.State.RecordSuccess(now).Transition);

        Assert.Equal(
            [CircuitState.Open, CircuitState.HalfOpen, CircuitState.Open, CircuitState.HalfOpen, CircuitState.Closed],
            transitions.Select(t => t.To));
    }

    [Theory]
    [InlineData(0, 30_000)]
    [InlineData(1, 60_000)]
    [InlineData(2, 120_000)]
    [InlineData(4, 480_000)]
    [InlineData(5, 600_000)]
    [InlineData(1000, 600_000)]
    [InlineData(-3, 30_000)]
    public void Should_compute_the_open_duration_after_failed_probes(int failedProbes, double expectedMs)
    {
        Assert.Equal(expectedMs, Policy.OpenDurationAfter(failedProbes).TotalMilliseconds, 3);
    }

    [Fact]
    public void Should_default_to_five_failures_thirty_seconds_and_ten_minutes()
    {
        Assert.Equal(5, CircuitBreakerPolicy.Default.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(30), CircuitBreakerPolicy.Default.OpenDuration);
        Assert.Equal(TimeSpan.FromMinutes(10), CircuitBreakerPolicy.Default.MaxOpenDuration);
        Assert.Null(CircuitBreakerPolicy.Default.Problem());
    }

    public static TheoryData<CircuitBreakerPolicy, string> InvalidPolicies => new()
    {
        { Policy with { FailureThreshold = 0 }, "failure-threshold" },
        { Policy with { OpenDuration = TimeSpan.Zero }, "open-duration" },
        { Policy with { MaxOpenDuration = TimeSpan.FromSeconds(29) }, "max-open-duration" },
        { Policy with { ProbeTimeout = TimeSpan.Zero }, "probe-timeout" },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public void Should_refuse_an_unusable_policy(CircuitBreakerPolicy policy, string setting)
    {
        Assert.StartsWith(setting, policy.Problem());
        var ex = Assert.Throws<ArgumentException>(() => CircuitBreakerState.Closed(policy));
        Assert.Contains(setting, ex.Message);
    }
}
