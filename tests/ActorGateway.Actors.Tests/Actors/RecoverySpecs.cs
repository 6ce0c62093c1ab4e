using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Transport;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>Restarts an ActorSystem on the same SQLite files and checks what the journal makes it do.</summary>
public sealed class RecoverySpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Should_deliver_each_accepted_message_exactly_once_after_a_restart()
    {
        using var dir = new TestDataDir();
        var first = ActorSystem.Create("first", dir.Config());
        var blocking = new BlockingTransport();
        IReadOnlyList<MessageId> ids;
        using (var harness = new GatewayHarness(first, new GatewayNodeOptions(Transport: blocking)))
        {
            ids = await harness.SubmitAllAsync(Enumerable.Range(0, 25).Select(i => TestMessages.Build(i, $"Person Number{i}", $"p{i}@contoso.com")).ToList());
            // Every message is accepted (in the journal) and mapped, and stuck in delivery.
            await AwaitAssertAsync(() => Assert.Equal(25, blocking.Entered), TimeSpan.FromSeconds(20));
        }
        await first.Terminate();
        Assert.Empty(Directory.Exists(dir.Spool) ? Directory.GetFiles(dir.Spool, "*.eml") : []);

        var second = ActorSystem.Create("second", dir.Config());
        try
        {
            using var harness = new GatewayHarness(second);
            var outcomes = await harness.WaitAllAsync(ids, TimeSpan.FromSeconds(60));

            Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
            var files = Directory.GetFiles(dir.Spool, "*.eml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToList();
            Assert.Equal(ids.Select(i => i.Value).Order().ToList(), files);
            Assert.Empty(harness.MapperStarts); // they were mapped before the restart: mapping is not repeated

            foreach (var id in ids)
            {
                var timeline = await JournalQueries.MessageTimelineAsync(second, id);
                Assert.Single(timeline, t => t.Event is MessageAccepted);
                Assert.Single(timeline, t => t.Event is RecipientsMapped);
                Assert.Single(timeline, t => t.Event is MessageDelivered);
            }
            Assert.Equal(0, (await harness.StatusAsync()).Registered);
        }
        finally
        {
            await second.Terminate();
        }
    }

    [Fact]
    public async Task Should_not_deliver_twice_when_the_spool_file_exists_but_the_delivery_was_not_journaled()
    {
        using var dir = new TestDataDir();
        var system = ActorSystem.Create("idempotent", dir.Config());
        try
        {
            // The spool file is already there (a crash after the rename, before MessageDelivered was written).
            var spool = new ActorGateway.Actors.Transport.SpoolTransport(dir.Spool, maxBatchFiles: 64);
            using var harness = new GatewayHarness(system);
            var id = await harness.SubmitAsync(TestMessages.Build(1));
            await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));
            var receipt = await spool.DeliverAsync(id, TestMessages.Build(2), new OutboundEnvelope("a@fabrikam.com", ["X@Y"]), CancellationToken.None);

            Assert.True(receipt.AlreadyPresent);
            Assert.Single(Directory.GetFiles(dir.Spool, "*.eml"));
            Assert.Contains("test message 1", await File.ReadAllTextAsync(spool.PathOf(id)));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Should_never_map_again_a_message_dead_lettered_before_a_restart()
    {
        using var dir = new TestDataDir();
        MessageId poisonId;
        GatewayProtocol.SubmitMessage resubmission;
        var first = ActorSystem.Create("first", dir.Config());
        using (var harness = new GatewayHarness(first))
        {
            var bytes = TestMessages.Poison(1);
            poisonId = await harness.SubmitAsync(bytes);
            var outcome = await harness.Outcomes.WaitAsync(poisonId).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
            Assert.Equal(1, harness.MapperStarts[poisonId]);
            var envelope = ((IntakeResult.Accepted)MessageIntake.Parse(bytes, long.MaxValue)).Envelope;
            resubmission = new GatewayProtocol.SubmitMessage(poisonId, "replayed-ingress", bytes.Length, envelope);
        }
        await first.Terminate();

        var second = ActorSystem.Create("second", dir.Config());
        try
        {
            using var harness = new GatewayHarness(second);
            // An ingress that lost its acknowledgement submits the same id again after the restart.
            var probe = CreateTestProbe(second);
            harness.Node.Gateway.Tell(resubmission, probe.Ref);
            await probe.ExpectMsgAsync<GatewayProtocol.SubmitAccepted>(TimeSpan.FromSeconds(10));
            var outcome = await harness.Outcomes.WaitAsync(poisonId).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
            Assert.Equal(ReasonCodes.MapBlankDisplayName, outcome.Reason);
            Assert.False(harness.MapperStarts.ContainsKey(poisonId), "the mapper must not run again for a dead-lettered message");
            var timeline = await JournalQueries.MessageTimelineAsync(second, poisonId);
            Assert.Single(timeline, t => t.Event is MessageDeadLettered);
            Assert.DoesNotContain(timeline, t => t.Event is RecipientsMapped);
        }
        finally
        {
            await second.Terminate();
        }
    }
}
