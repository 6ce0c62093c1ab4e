using Akka.Cluster.Sharding;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Cluster;

/// <summary>
/// Routes the gateway protocol to the partition that owns a message id (<see cref="MessagePartition"/>). One partition is
/// one entity in a shard of its own, so the shard (the unit Akka moves between nodes) and the partition (the unit that
/// journals a registry and a stage ledger) are the same thing. The message itself is delivered unchanged.
/// </summary>
public sealed class PartitionMessageExtractor(int partitions) : IMessageExtractor
{
    public int Partitions { get; } = partitions;

    public string? EntityId(object message) => message switch
    {
        GatewayProtocol.SubmitMessage m => MessagePartition.Of(m.MessageId, Partitions),
        OperatorProtocol.Operate m => MessagePartition.Of(m.MessageId, Partitions),
        PartitionProtocol.GetPartitionStatus m => m.Partition,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message);

    public string ShardId(string entityId, object? messageHint = null) => entityId;
}
