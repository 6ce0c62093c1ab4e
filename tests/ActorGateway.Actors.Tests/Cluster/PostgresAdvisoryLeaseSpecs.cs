using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using ActorGateway.Actors.Cluster;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Testing;
using Npgsql;

namespace ActorGateway.Actors.Tests.Cluster;

/// <summary>
/// The lease a shard or singleton holds before it starts (a PostgreSQL advisory lock): one holder at a time across nodes,
/// freed by a release or by the holder's session ending, and a holder that loses its session is told so.
/// Two ActorSystems stand for two nodes; their leases come from Akka's LeaseProvider with the shipped cluster.conf block.
/// </summary>
public sealed class PostgresAdvisoryLeaseSpecs : IDisposable
{
    private readonly List<IDisposable> _cleanup = [];
    private readonly List<ActorSystem> _systems = [];

    private (TestDatabase Db, ActorSystem A, ActorSystem B) TwoNodes()
    {
        var db = PostgresServer.CreateDatabase();
        _cleanup.Add(db);
        // The shipped cluster.conf (its lease block), on a local provider: the lease needs no cluster.
        var config = ConfigurationFactory.ParseString($"""
                akka.actor.provider = local
                actor-gateway.postgres.connection-string = {GatewayConfig.Quote(db.ConnectionString)}
                """)
            .WithFallback(GatewayConfig.LoadFile("cluster.conf"))
            .WithFallback(LeaseProvider.DefaultConfig());
        var a = ActorSystem.Create("lease-a", config);
        var b = ActorSystem.Create("lease-b", config);
        _systems.Add(a);
        _systems.Add(b);
        return (db, a, b);
    }

    private static Lease LeaseOf(ActorSystem system, string name, string owner) =>
        LeaseProvider.Get(system).GetLease(name, GatewayConfig.LeaseConfigPath, owner);

    [SkippableFact]
    public async Task Should_let_one_node_hold_a_lease_until_it_releases_it()
    {
        var (_, a, b) = TwoNodes();
        var first = LeaseOf(a, "actor-gateway-shard-gateway-partition-p01", "node-a:4053");
        var second = LeaseOf(b, "actor-gateway-shard-gateway-partition-p01", "node-b:4053");
        var other = LeaseOf(b, "actor-gateway-shard-gateway-partition-p02", "node-b:4053");
        Assert.IsType<PostgresAdvisoryLease>(first);

        Assert.True(await first.Acquire());
        Assert.True(first.CheckLease());
        Assert.True(await first.Acquire(), "acquiring a lease one holds again is a yes");
        Assert.False(await second.Acquire(), "another node may not take a held lease");
        Assert.False(second.CheckLease());
        Assert.True(await other.Acquire(), "another lease name is another lock");

        Assert.True(await first.Release());
        Assert.False(first.CheckLease());
        Assert.True(await second.Acquire());
        Assert.False(await first.Acquire());
    }

    [SkippableFact]
    public async Task Should_free_a_dead_holders_lease_and_tell_a_holder_whose_session_ended_that_it_lost_it()
    {
        var (db, a, b) = TwoNodes();
        var holder = LeaseOf(a, "actor-gateway-singleton-akka://actor-gateway/user/dead-letter-queue-singleton", "node-a:4053");
        var waiting = LeaseOf(b, "actor-gateway-singleton-akka://actor-gateway/user/dead-letter-queue-singleton", "node-b:4053");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await holder.Acquire(ex => lost.TrySetResult(ex)));
        Assert.False(await waiting.Acquire());

        // The holder's session ends on the server, as when its process is killed or its connection cut.
        await using (var admin = new NpgsqlConnection(db.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = admin.CreateCommand();
            kill.CommandText = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'actor-gateway lease node-a%'";
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        var reason = await lost.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.IsType<LeaseException>(reason);
        Assert.False(holder.CheckLease());
        await Eventually.AssertAsync(async () => Assert.True(await waiting.Acquire()), TimeSpan.FromSeconds(10));
    }

    [SkippableFact]
    public async Task Should_leave_when_its_leases_are_held_by_a_node_of_another_cluster_on_the_same_database()
    {
        var db = PostgresServer.CreateDatabase();
        _cleanup.Add(db);
        // Two one-node clusters (each its own seed) on one database: the islands a first seed makes when it restarts alone.
        ActorSystem Island()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var config = ConfigurationFactory.ParseString($"""
                    actor-gateway.postgres.connection-string = {GatewayConfig.Quote(db.ConnectionString)}
                    actor-gateway.cluster.lease.island-timeout = 2s
                    akka.loglevel = INFO
                    """)
                .WithFallback(GatewayConfig.ClusterLayer(new ClusterChoice("127.0.0.1", port, [$"127.0.0.1:{port}"]), StorageKind.Postgres))
                .WithFallback(LeaseProvider.DefaultConfig());
            var system = ActorSystem.Create(GatewayConfig.SystemName, config);
            _systems.Add(system);
            return system;
        }
        var cluster = Island();
        var island = Island();
        await Task.WhenAll(
            ClusterMembership.WaitUpAsync(cluster, [Akka.Cluster.Cluster.Get(cluster).SelfAddress.HostPort()], TimeSpan.FromSeconds(30)),
            ClusterMembership.WaitUpAsync(island, [Akka.Cluster.Cluster.Get(island).SelfAddress.HostPort()], TimeSpan.FromSeconds(30)));
        const string name = "actor-gateway-shard-gateway-partition-p07";
        var held = LeaseOf(cluster, name, Akka.Cluster.Cluster.Get(cluster).SelfAddress.HostPort());
        var wanted = LeaseOf(island, name, Akka.Cluster.Cluster.Get(island).SelfAddress.HostPort());
        Assert.True(await held.Acquire());

        // The island's shard keeps trying, as a shard does every lease-retry-interval; after island-timeout it gives up its cluster.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!island.WhenTerminated.IsCompleted && DateTime.UtcNow < deadline)
        {
            Assert.False(await wanted.Acquire());
            await Task.Delay(300);
        }

        Assert.True(island.WhenTerminated.IsCompleted, "the node whose leases another cluster holds did not leave");
        Assert.False(cluster.WhenTerminated.IsCompleted, "the cluster that holds the leases must go on");
        Assert.True(held.CheckLease());
    }

    public void Dispose()
    {
        foreach (var system in _systems) system.Terminate().Wait(TimeSpan.FromSeconds(10));
        foreach (var item in _cleanup) item.Dispose();
    }
}
