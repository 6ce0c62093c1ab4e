using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.StageLedgerEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>The risk gate's stage ledger on a real SQLite journal: durable before a grant, batched, read back after a restart.</summary>
public sealed class RiskGateActorSpecs : TestKit
{
    private readonly ITestOutputHelper _output;

    public RiskGateActorSpecs(ITestOutputHelper output) : base(output: output) => _output = output;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Should_answer_after_a_restart_which_stage_a_message_was_inside()
    {
        using var dir = new TestDataDir();
        var inMapping = MessageId.New();
        var inDelivery = MessageId.New();
        var left = MessageId.New();

        await WithGate(dir, "first", async (system, gate, probe) =>
        {
            gate.Tell(new RiskGateProtocol.RequestRisk(inMapping, false, Stage.Mapping), probe.Ref);
            gate.Tell(new RiskGateProtocol.RequestRisk(inDelivery, false, Stage.Delivery), probe.Ref);
            gate.Tell(new RiskGateProtocol.RequestRisk(left, false, Stage.Mapping), probe.Ref);
            var granted = probe.ReceiveN(3, Wait).Cast<RiskGateProtocol.RiskGranted>().Select(g => g.MessageId).ToHashSet();
            Assert.Equal([inMapping, inDelivery, left], granted);
            gate.Tell(new RiskGateProtocol.ReleaseRisk(left, Cleared: true), probe.Ref);
            // The release is written lazily; wait until the ledger row holds it.
            await AwaitAssertAsync(async () =>
            {
                var rows = await JournalQueries.TimelineAsync(system, RiskGateActor.Name);
                Assert.Contains(rows, r => r.Event is StagesChanged c && c.Left.Contains(left));
            }, Wait);
        });

        await WithGate(dir, "second", (_, gate, probe) =>
        {
            gate.Tell(new RiskGateProtocol.QueryInterruption(inMapping), probe.Ref);
            var mapping = probe.ExpectMsg<RiskGateProtocol.Interruption>(Wait);
            Assert.Equal(Stage.Mapping, mapping.Stage);
            Assert.True(mapping.Row > 0);
            gate.Tell(new RiskGateProtocol.QueryInterruption(inDelivery), probe.Ref);
            Assert.Equal(Stage.Delivery, probe.ExpectMsg<RiskGateProtocol.Interruption>(Wait).Stage);
            gate.Tell(new RiskGateProtocol.QueryInterruption(left), probe.Ref);
            Assert.Null(probe.ExpectMsg<RiskGateProtocol.Interruption>(Wait).Stage);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Should_write_the_entries_that_arrive_during_a_write_together_in_one_row()
    {
        using var dir = new TestDataDir();
        const int Count = 200;

        await WithGate(dir, "batching", async (system, gate, probe) =>
        {
            for (var i = 0; i < Count; i++) gate.Tell(new RiskGateProtocol.RequestRisk(MessageId.New(), false, Stage.Mapping), probe.Ref);
            probe.ReceiveN(Count, Wait);

            var rows = (await JournalQueries.TimelineAsync(system, RiskGateActor.Name)).Select(r => r.Event).OfType<StagesChanged>().ToList();
            Assert.Equal(Count, rows.Sum(r => r.Entered.Count));
            _output.WriteLine($"{Count} entries in {rows.Count} ledger rows");
            Assert.True(rows.Count < Count / 4, $"{Count} entries took {rows.Count} rows: not group-committed");
        });
    }

    [Fact]
    public async Task Should_grant_a_repeated_request_once_more_without_a_new_row()
    {
        using var dir = new TestDataDir();
        var id = MessageId.New();

        await WithGate(dir, "repeat", async (system, gate, probe) =>
        {
            gate.Tell(new RiskGateProtocol.RequestRisk(id, false, Stage.Delivery), probe.Ref);
            probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait);
            gate.Tell(new RiskGateProtocol.RequestRisk(id, false, Stage.Delivery), probe.Ref);
            probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait);

            var rows = (await JournalQueries.TimelineAsync(system, RiskGateActor.Name)).Select(r => r.Event).OfType<StagesChanged>().ToList();
            Assert.Single(rows);
        });
    }

    private async Task WithGate(TestDataDir dir, string name, Func<ActorSystem, IActorRef, Akka.TestKit.TestProbe, Task> body)
    {
        var system = ActorSystem.Create(name, dir.Config());
        try
        {
            var gate = system.ActorOf(RiskGateActor.Props(snapshotEvery: 1000), RiskGateActor.Name);
            var probe = new Akka.TestKit.TestProbe(system, new XunitAssertions());
            await body(system, gate, probe);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
