using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Cluster;

/// <summary>
/// <c>gateway</c> on a clustered node: what the single node's gateway actor is to its ingresses, the admin API and the
/// CLI, over the shard region of partitions. A submission or an operator command goes to the partition that owns the
/// message id, wherever in the cluster it runs (the region buffers while a partition moves), and the partition answers
/// the asker directly. Status is the whole cluster's: every partition is asked, and the counts are summed.
/// </summary>
/// <remarks>
/// Every <c>wake-interval</c> the router also touches every partition. Remembered entities already restart a partition
/// whose shard moves; the touch makes it independent of that (a whole cluster restarted, a coordinator that lost its
/// state): a partition with messages in its registry never waits for a message to be woken, wherever it is.
/// </remarks>
public sealed class GatewayRouterActor : ReceiveActor, IWithTimers
{
    private readonly Guid _incarnation = Guid.NewGuid();

    public ITimerScheduler Timers { get; set; } = null!;

    public GatewayRouterActor(IActorRef region, int partitions, TimeSpan statusTimeout, TimeSpan wakeInterval)
    {
        Timers.StartPeriodicTimer(nameof(Wake), Wake.Instance, TimeSpan.Zero, wakeInterval);
        Receive<Wake>(_ =>
        {
            foreach (var partition in MessagePartition.All(partitions)) region.Tell(new PartitionProtocol.GetPartitionStatus(partition), Self);
        });
        Receive<GatewayProtocol.GatewayStatus>(_ => { }); // the wake-up's answers
        Receive<GatewayProtocol.SubmitMessage>(m => region.Forward(m));
        Receive<OperatorProtocol.Operate>(m => region.Forward(m));
        Receive<GatewayProtocol.GetStatus>(_ =>
        {
            var asks = MessagePartition.All(partitions).Select(async p =>
            {
                try
                {
                    return await region.Ask<GatewayProtocol.GatewayStatus>(new PartitionProtocol.GetPartitionStatus(p), statusTimeout);
                }
                catch (AskTimeoutException)
                {
                    return null; // moving to another node, or its node is gone and not yet downed
                }
            }).ToList();
            // The counts are those of the partitions that answered; Recovered only when every partition answered, recovered.
            Task.WhenAll(asks).PipeTo(Sender, success: all =>
            {
                var answered = all.OfType<GatewayProtocol.GatewayStatus>().ToList();
                return new GatewayProtocol.GatewayStatus(
                    answered.Sum(s => s.Registered), answered.Sum(s => s.Running), answered.Sum(s => s.Waiting),
                    answered.Count == partitions && answered.All(s => s.Recovered), _incarnation, partitions, answered.Count);
            });
        });
        // In a cluster each partition records its own clean stop as it is handed off (PartitionProtocol.HandOff).
        Receive<GatewayActor.RecordCleanShutdown>(_ => Sender.Tell(GatewayActor.CleanShutdownRecorded.Instance));
    }

    public static Props Props(IActorRef region, int partitions, TimeSpan statusTimeout, TimeSpan wakeInterval) =>
        Akka.Actor.Props.Create(() => new GatewayRouterActor(region, partitions, statusTimeout, wakeInterval));

    private sealed record Wake
    {
        public static readonly Wake Instance = new();
    }
}
