using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Operations;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Cluster;

/// <summary>
/// A node in cluster mode (Akka.Cluster, sharded partitions, the dead-letter queue as a singleton) that is its own seed: the
/// clustered tree end to end in one process, on a SQLite journal (a real cluster shares PostgreSQL; the actors are the same).
/// </summary>
public sealed class ClusteredNodeSpecs : IDisposable
{
    private readonly TestDataDir _dir = new();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private ActorSystem StartSystem(int port)
    {
        var cluster = GatewayConfig.ClusterLayer(new ClusterChoice("127.0.0.1", port, [$"127.0.0.1:{port}"]), StorageKind.Sqlite);
        var config = ConfigurationFactory.ParseString("""
            actor-gateway.cluster.partitions = 6
            akka.cluster.split-brain-resolver.stable-after = 2s
            """).WithFallback(cluster).WithFallback(_dir.Config());
        return ActorSystem.Create(GatewayConfig.SystemName, config);
    }

    [Fact]
    public async Task Should_deliver_and_quarantine_through_sharded_partitions_and_keep_the_quarantine_across_a_restart()
    {
        var port = FreePort();
        var system = StartSystem(port);
        MessageId[] poison;
        try
        {
            using var harness = new GatewayHarness(system);
            var good = await harness.SubmitAllAsync(Enumerable.Range(0, 30).Select(i => TestMessages.Build(i)).ToList());
            poison = (await harness.SubmitAllAsync([TestMessages.Poison(100), TestMessages.Poison(101)])).ToArray();
            var outcomes = await harness.WaitAllAsync(good.Concat(poison), TimeSpan.FromSeconds(60));
            Assert.Equal(30, outcomes.Count(o => o.Outcome == "delivered"));
            Assert.Equal(2, outcomes.Count(o => o.Outcome == "dead-lettered"));
            Assert.Equal(30, Directory.GetFiles(_dir.Spool, "*.eml").Length);
            // The ids spread over more than one partition (so routing by id really happened).
            Assert.True(good.Select(id => MessagePartition.Of(id, 6)).Distinct().Count() > 1);

            var quarantine = await harness.Node.Operations.DeadLettersAsync();
            Assert.Equal(poison.OrderBy(i => i.Value), quarantine.Select(e => e.MessageId).OrderBy(i => i.Value));
            Assert.All(quarantine, e => Assert.Equal(ReasonCodes.MapBlankDisplayName, e.Reason));
            await Eventually.AssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), TimeSpan.FromSeconds(10));
            Assert.True((await harness.StatusAsync()).Recovered);
        }
        finally
        {
            await system.Terminate();
        }

        // A new incarnation (the same address) finds the quarantine in the journal through the singleton.
        var again = StartSystem(port);
        try
        {
            using var harness = new GatewayHarness(again);
            await Eventually.AssertAsync(async () =>
            {
                var quarantine = await harness.Node.Operations.DeadLettersAsync();
                Assert.Equal(2, quarantine.Count);
            }, TimeSpan.FromSeconds(30));
            var replay = await harness.Node.Operations.ReplayAsync(poison[0], "test", "the directory still lacks the entry");
            Assert.NotNull(replay);
        }
        finally
        {
            await again.Terminate();
        }
    }

    public void Dispose() => _dir.Dispose();
}
