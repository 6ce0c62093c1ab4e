using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;

namespace ActorGateway.Actors.Cluster;

/// <summary>The cluster-only parts of a node's tree: the partitions' shard region, the careful-mode token, the singletons.</summary>
public static class ClusterNodeParts
{
    /// <summary>The sharding type name of the partitions (also the remember-entities store's persistence ids).</summary>
    public const string PartitionTypeName = "gateway-partition";

    /// <summary>
    /// Starts <paramref name="props"/> as a cluster singleton (the manager under <c>{name}-singleton</c>, on the oldest node)
    /// and returns a proxy under <paramref name="name"/>, so code that speaks to <c>/user/{name}</c> is unchanged.
    /// The proxy buffers (<c>akka.cluster.singleton-proxy.buffer-size</c>) while the singleton moves.
    /// </summary>
    public static IActorRef Singleton(ActorSystem system, Props props, string name)
    {
        system.ActorOf(ClusterSingletonManager.Props(props, PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), name + "-singleton");
        return system.ActorOf(ClusterSingletonProxy.Props("/user/" + name + "-singleton", ClusterSingletonProxySettings.Create(system)), name);
    }

    /// <summary>Starts the shard region of the partitions (remembered entities: a partition with messages runs again wherever its shard goes).</summary>
    public static IActorRef StartPartitions(ActorSystem system, ClusterSettings cluster, GatewaySettings settings, MessageActorDependencies baseDeps)
    {
        var token = system.ActorOf(CarefulTokenActor.Props(), CarefulTokenActor.Name);
        var deps = new PartitionDependencies(baseDeps, token, cluster.MaxInFlightPerPartition(settings.MaxInFlight));
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system);
        return sharding.Start(
            PartitionTypeName,
            partition => GatewayPartitionActor.Props(partition, deps),
            shardingSettings,
            new PartitionMessageExtractor(cluster.Partitions),
            sharding.DefaultShardAllocationStrategy(shardingSettings),
            PartitionProtocol.HandOff.Instance);
    }
}
