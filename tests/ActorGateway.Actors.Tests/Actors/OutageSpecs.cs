using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>An outage of the target is not blamed on messages: they wait and retry, and none is dead-lettered.</summary>
public sealed class OutageSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public OutageSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private OutageSpecs(ITestOutputHelper output, TestDataDir dir)
        : base(dir.Config("actor-gateway.circuit-breaker { failure-threshold = 3, open-duration = 200ms, max-open-duration = 400ms }"), "outage-specs", output) => _dir = dir;

    /// <summary>A target that is down (transient failures) until told to heal, then delivers through the spool.</summary>
    private sealed class DownTarget(IMessageTransport inner) : IMessageTransport
    {
        private volatile bool _up;
        private int _calls;

        public string Name => inner.Name;

        public int CallsWhileDown => Volatile.Read(ref _calls);

        public void Heal() => _up = true;

        public Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
        {
            if (_up) return inner.DeliverAsync(id, content, envelope, ct);
            Interlocked.Increment(ref _calls);
            throw new TransientFailureException("connection refused (target down)");
        }
    }

    [Fact]
    public async Task Should_open_the_circuit_during_an_outage_and_deliver_everything_after_it_heals_with_zero_dead_letters()
    {
        var target = new DownTarget(new SpoolTransport(_dir.Spool, maxBatchFiles: 64));
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: target));
        var ids = await harness.SubmitAllAsync(Enumerable.Range(0, 20).Select(i => TestMessages.Build(i, $"Person Number{i}", $"p{i}@contoso.com")).ToList());

        // Every message was dispatched before the circuit knew; their failures open it. From then on
        // parked messages make no attempts: only one probe per open period reaches the target.
        await AwaitConditionAsync(() => Task.FromResult(target.CallsWhileDown >= 20), TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        var before = target.CallsWhileDown;
        await Task.Delay(2000);
        var probes = target.CallsWhileDown - before;
        // Without the breaker, 20 messages retrying every 50-200 ms would make well over 100 attempts in 2 s.
        Assert.InRange(probes, 1, 12);
        await EventFilter.Info(contains: "GW-CIRCUIT-CLOSED").ExpectOneAsync(TimeSpan.FromSeconds(10), () =>
        {
            target.Heal();
            return Task.CompletedTask;
        });

        var outcomes = await harness.WaitAllAsync(ids, TimeSpan.FromSeconds(60));

        Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
        var list = await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterList>(new DeadLetterQueueProtocol.ListDeadLetters(), TimeSpan.FromSeconds(5));
        Assert.Empty(list.Entries);
        Assert.Equal(20, Directory.GetFiles(_dir.Spool, "*.eml").Length);
    }

    [Fact]
    public async Task Should_persist_the_retry_schedule_and_expire_a_message_only_at_its_lifetime()
    {
        var config = _dir.Config("""
            actor-gateway.message-lifetime = 2s
            actor-gateway.supervision { transient-retry-min = 300ms, transient-retry-max = 600ms }
            actor-gateway.circuit-breaker.failure-threshold = 1000
            """);
        var system = ActorSystem.Create("lifetime", config);
        try
        {
            var target = new DownTarget(new SpoolTransport(_dir.Spool, maxBatchFiles: 64));
            using var harness = new GatewayHarness(system, new GatewayNodeOptions(Transport: target));
            var id = await harness.SubmitAsync(TestMessages.Build(1));

            var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
            Assert.Equal("GW-EXPIRED", outcome.Reason);
            var timeline = await JournalQueries.MessageTimelineAsync(system, id);
            var retries = timeline.Select(t => t.Event).OfType<RetryScheduled>().ToList();
            Assert.True(retries.Count >= 2, $"only {retries.Count} retries were scheduled");
            Assert.All(retries, r => Assert.Equal("transient", r.Kind));
            Assert.Equal(Enumerable.Range(1, retries.Count), retries.Select(r => r.Attempt));
            var dead = Assert.Single(timeline.Select(t => t.Event).OfType<MessageDeadLettered>());
            Assert.Equal(Stage.Delivery, dead.Stage);
            // Expired only when the next retry (at most transient-retry-max = 600 ms away) would pass the 2 s lifetime: never early.
            Assert.True(dead.At - timeline.Select(t => t.Event).OfType<MessageAccepted>().Single().At >= TimeSpan.FromSeconds(2 - 0.6));
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
