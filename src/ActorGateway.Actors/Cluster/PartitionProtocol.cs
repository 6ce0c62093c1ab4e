using ActorGateway.Actors.Protocol;

namespace ActorGateway.Actors.Cluster;

/// <summary>What the node's <c>gateway</c> router and the sharded partitions exchange besides the gateway protocol itself.</summary>
public static class PartitionProtocol
{
    /// <summary>Router → one partition (through the shard region): report your registry's counts (<see cref="GatewayProtocol.GatewayStatus"/>).</summary>
    public sealed record GetPartitionStatus(string Partition) : IGatewayWireMessage;

    /// <summary>
    /// Shard → partition, when the shard is handed off (a rebalance, or this node leaving gracefully): record a clean stop
    /// in the registry, so the node that takes the partition over resumes its messages without suspecting them, then stop.
    /// Local only (the shard sends it to its own entity).
    /// </summary>
    public sealed record HandOff
    {
        public static readonly HandOff Instance = new();
    }
}
