namespace ActorGateway.Admin.Tests;

public class PacingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Should_space_starts_by_the_rate()
    {
        var (first, next) = Pacing.Schedule(T0, null, 100);
        Assert.Equal(TimeSpan.Zero, first);

        var (second, after) = Pacing.Schedule(T0, next, 100);
        Assert.Equal(TimeSpan.FromMilliseconds(10), second);
        Assert.Equal(T0.AddMilliseconds(20), after);
    }

    [Fact]
    public void Should_not_burst_to_catch_up_after_falling_behind()
    {
        var (_, next) = Pacing.Schedule(T0, null, 10);

        // A second later (waiting for outstanding replays), the next starts now and the one after a full interval later.
        var (delay, after) = Pacing.Schedule(T0.AddSeconds(1), next, 10);

        Assert.Equal(TimeSpan.Zero, delay);
        Assert.Equal(T0.AddSeconds(1.1), after);
    }

    [Fact]
    public void Should_never_start_more_than_the_rate_in_any_second()
    {
        DateTimeOffset now = T0, end = T0.AddSeconds(1);
        DateTimeOffset? next = null;
        var starts = 0;
        while (true)
        {
            (var delay, next) = Pacing.Schedule(now, next, 50);
            now += delay;
            if (now >= end) break;
            starts++;
        }

        Assert.Equal(50, starts);
    }
}
