using ActorGateway.Domain.Failures;

namespace ActorGateway.Domain.Tests.Failures;

public class SupervisionPolicyTests
{
    private static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(FailureKind.Permanent, 0, 3, StageAction.DeadLetter)]
    [InlineData(FailureKind.Permanent, 2, 3, StageAction.DeadLetter)]
    [InlineData(FailureKind.Permanent, 99, 3, StageAction.DeadLetter)]
    [InlineData(FailureKind.Transient, 0, 3, StageAction.RetryLater)]
    [InlineData(FailureKind.Transient, 3, 3, StageAction.RetryLater)]
    [InlineData(FailureKind.Transient, 1000, 3, StageAction.RetryLater)]
    [InlineData(FailureKind.Transient, 0, 0, StageAction.RetryLater)]
    [InlineData(FailureKind.Unknown, 0, 3, StageAction.RestartNow)]
    [InlineData(FailureKind.Unknown, 1, 3, StageAction.RestartNow)]
    [InlineData(FailureKind.Unknown, 2, 3, StageAction.RestartNow)]
    [InlineData(FailureKind.Unknown, 3, 3, StageAction.DeadLetter)]
    [InlineData(FailureKind.Unknown, 4, 3, StageAction.DeadLetter)]
    [InlineData(FailureKind.Unknown, 0, 0, StageAction.DeadLetter)]
    [InlineData(FailureKind.Unknown, 0, 1, StageAction.RestartNow)]
    [InlineData(FailureKind.Unknown, 1, 1, StageAction.DeadLetter)]
    public void Should_decide_by_kind_and_restart_count(FailureKind kind, int restartsSoFar, int maxRestarts, StageAction expected)
    {
        Assert.Equal(expected, SupervisionPolicy.Decide(kind, restartsSoFar, maxRestarts));
    }

    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 2_000)]
    [InlineData(3, 4_000)]
    [InlineData(4, 8_000)]
    [InlineData(5, 16_000)]
    [InlineData(6, 32_000)]
    [InlineData(7, 60_000)]
    [InlineData(8, 60_000)]
    [InlineData(100, 60_000)]
    [InlineData(int.MaxValue, 60_000)]
    public void Should_double_the_backoff_per_attempt_up_to_the_maximum(int attempt, double expectedMs)
    {
        // jitter 0.5 is the midpoint: a factor of exactly 1.
        Assert.Equal(expectedMs, SupervisionPolicy.Backoff(attempt, Min, Max, 0.5).TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Should_treat_an_attempt_below_one_as_the_first(int attempt)
    {
        Assert.Equal(Min, SupervisionPolicy.Backoff(attempt, Min, Max, 0.5));
    }

    [Theory]
    [InlineData(0.0, 3_200)]
    [InlineData(0.25, 3_600)]
    [InlineData(0.75, 4_400)]
    [InlineData(0.999999, 4_799.9984)]
    [InlineData(-5.0, 3_200)]
    [InlineData(7.0, 4_800)]
    public void Should_apply_jitter_of_plus_or_minus_twenty_percent(double jitter, double expectedMs)
    {
        Assert.Equal(expectedMs, SupervisionPolicy.Backoff(3, Min, Max, jitter).TotalMilliseconds, 3);
    }

    [Fact]
    public void Should_never_go_below_the_minimum_when_jitter_pulls_down()
    {
        Assert.Equal(Min, SupervisionPolicy.Backoff(1, Min, Max, 0.0));
    }

    [Fact]
    public void Should_never_exceed_the_maximum_when_jitter_pushes_up()
    {
        Assert.Equal(Max, SupervisionPolicy.Backoff(20, Min, Max, 0.999));
    }

    [Fact]
    public void Should_stay_within_bounds_and_never_shrink_as_attempts_grow()
    {
        foreach (var jitter in new[] { 0.0, 0.1, 0.5, 0.9, 0.999 })
        {
            var previous = TimeSpan.Zero;
            for (var attempt = 1; attempt <= 40; attempt++)
            {
                var backoff = SupervisionPolicy.Backoff(attempt, Min, Max, jitter);
                var raw = Math.Min(Max.TotalMilliseconds, Min.TotalMilliseconds * Math.Pow(2, attempt - 1));

                Assert.InRange(backoff, Min, Max);
                Assert.InRange(backoff.TotalMilliseconds, Math.Max(Min.TotalMilliseconds, raw * 0.8) - 0.001, Math.Min(Max.TotalMilliseconds, raw * 1.2) + 0.001);
                Assert.True(backoff >= previous, $"attempt {attempt} with jitter {jitter}: {backoff} < {previous}");
                previous = backoff;
            }
        }
    }
}
