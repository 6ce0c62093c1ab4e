using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// The journal itself fails (Akka.Persistence.TestKit's TestJournal, switched to failing writes).
/// Accepted messages survive it; new ones are refused at ingress with a temporary code; afterwards
/// everything is delivered and nothing is dead-lettered.
/// </summary>
public sealed class JournalOutageSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string TestJournalConfig = """
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test {
          class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        actor-gateway.submit-timeout = 2s
        actor-gateway.circuit-breaker.failure-threshold = 1000
        """;

    private readonly TestDataDir _dir;

    public JournalOutageSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private JournalOutageSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(TestJournalConfig), "journal-outage-specs", output) => _dir = dir;

    private sealed class GatedTarget(IMessageTransport inner) : IMessageTransport
    {
        private volatile bool _open;

        public string Name => inner.Name;

        public void Open() => _open = true;

        public Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct) =>
            _open ? inner.DeliverAsync(id, content, envelope, ct) : throw new TransientFailureException("target not reachable yet");
    }

    [Fact]
    public async Task Should_keep_every_accepted_message_through_a_journal_outage_and_refuse_new_ones_meanwhile()
    {
        var target = new GatedTarget(new SpoolTransport(_dir.Spool, maxBatchFiles: 64));
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: target));
        var accepted = await harness.SubmitAllAsync(Enumerable.Range(0, 10).Select(i => TestMessages.Build(i, $"Person Number{i}", $"p{i}@contoso.com")).ToList());
        var journal = Akka.Persistence.TestKit.TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));

        // The outage: every journal write fails. In-flight actors whose writes fail stop and are resumed with back-off.
        await journal.OnWrite.Fail();
        var during = await harness.Node.Ingress.SubmitAsync(TestMessages.Build(99), "during-outage");
        var deferred = Assert.IsType<SubmitResult.Deferred>(during);
        Assert.Equal(ReasonCodes.GatewayUnavailable, deferred.Code);
        await Task.Delay(1000);

        // The journal comes back, then the target.
        await journal.OnWrite.Pass();
        target.Open();
        // Generous: after the outage the gateway is restarted by its back-off supervisor and recovers (about 30 s here; see the closing note).
        var outcomes = await harness.WaitAllAsync(accepted, TimeSpan.FromSeconds(180));

        Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
        Assert.Equal(10, Directory.GetFiles(_dir.Spool, "*.eml").Length);
        var list = await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterList>(new DeadLetterQueueProtocol.ListDeadLetters(), TimeSpan.FromSeconds(10));
        Assert.Empty(list.Entries);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
