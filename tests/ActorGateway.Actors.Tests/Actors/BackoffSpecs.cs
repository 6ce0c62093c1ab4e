using Akka.TestKit;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>Delayed retries back off exponentially; checked on a virtual clock (Akka.TestKit's TestScheduler), not by sleeping.</summary>
public sealed class BackoffSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string VirtualTime = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        actor-gateway.supervision { transient-retry-min = 10s, transient-retry-max = 40s }
        actor-gateway.circuit-breaker.failure-threshold = 1000
        """;

    private readonly TestDataDir _dir;

    public BackoffSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private BackoffSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(VirtualTime), "backoff-specs", output) => _dir = dir;

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task Should_wait_about_min_then_twice_min_before_each_retry_on_the_virtual_clock()
    {
        var flaky = new FlakyTransport(new SpoolTransport(_dir.Spool, maxBatchFiles: 64), () => new TransientFailureException("target down"), failures: 2);
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: flaky));
        var id = default(MessageId);
        // The retry timer starts once RetryScheduled is journaled; its log line comes right after.
        await EventFilter.Warning(contains: "retry 1 at").ExpectOneAsync(TimeSpan.FromSeconds(10), async () => id = await harness.SubmitAsync(TestMessages.Build(1)));
        Assert.Equal(1, flaky.Calls);

        // Retry 1 is due after 10 s ± 20%: not before 8 s, surely by 12 s.
        Clock.Advance(TimeSpan.FromSeconds(7.5));
        await Task.Delay(300);
        Assert.Equal(1, flaky.Calls);
        await EventFilter.Warning(contains: "retry 2 at").ExpectOneAsync(TimeSpan.FromSeconds(10), () =>
        {
            Clock.Advance(TimeSpan.FromSeconds(5));
            return Task.CompletedTask;
        });
        Assert.Equal(2, flaky.Calls);

        // Retry 2 is due after 20 s ± 20%: not before 16 s, surely by 24 s.
        Clock.Advance(TimeSpan.FromSeconds(15.5));
        await Task.Delay(300);
        Assert.Equal(2, flaky.Calls);
        Clock.Advance(TimeSpan.FromSeconds(9));
        await AwaitAssertAsync(() => Assert.Equal(3, flaky.Calls), TimeSpan.FromSeconds(10));

        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Outcomes.Delivered, outcome.Outcome);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
