using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;

namespace ActorGateway.Actors.Cluster;

/// <summary>
/// One partition of a clustered gateway (a sharded entity, remembered): the same subtree a single node has, under
/// persistence ids of its own. <c>risk-gate</c> (<c>risk-gate-{partition}</c>, the stage ledger) and <c>gateway</c>
/// (<c>gateway-{partition}</c>, the in-flight registry that creates one <c>msg-{id}</c> actor per message, each with
/// its mapper and transport), each behind a back-off supervisor. Supervision and dead-lettering stay inside:
/// a Shard restarts an entity that fails, so nothing a message does may fail the partition.
/// When the node that ran it dies, the partition starts on another node, reads its registry and ledger from the shared
/// journal, sees no clean stop, and resumes its messages in careful mode there: a deadly message's crash count
/// travels with it, and it is quarantined after <c>crash-loop-threshold</c> process deaths in the whole cluster.
/// </summary>
public sealed class GatewayPartitionActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _partition;
    private readonly IActorRef _gateway;

    public GatewayPartitionActor(string partition, PartitionDependencies deps)
    {
        _partition = partition;
        var settings = deps.Message.Settings;
        var riskGate = Context.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(
                RiskGateActor.Props(settings.StageLedgerSnapshotEvery, $"{RiskGateActor.Name}-{partition}", deps.CarefulToken), RiskGateActor.Name,
                settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1)),
            RiskGateActor.Name);
        var messageDeps = deps.Message with { RiskGate = riskGate };
        _gateway = Context.ActorOf(
            BackoffSupervisor.Props(Backoff.OnStop(
                GatewayActor.Props(settings, (id, newId) => MessageActor.Props(id, messageDeps, newId), riskGate, deps.Message.Metrics,
                    $"{GatewayActor.Name}-{partition}", deps.MaxInFlightPerPartition), GatewayActor.Name,
                settings.ResumeBackoffMin, settings.ResumeBackoffMax, 0.2, maxNrOfRetries: -1)),
            GatewayActor.Name);

        Receive<PartitionProtocol.GetPartitionStatus>(_ => _gateway.Forward(GatewayProtocol.GetStatus.Instance));
        Receive<PartitionProtocol.HandOff>(_ =>
        {
            _log.Info("{Code} partition {Partition} is handed off: recording a clean stop", Domain.ReasonCodes.PartitionHandOff, _partition);
            _gateway.Ask<GatewayActor.CleanShutdownRecorded>(GatewayActor.RecordCleanShutdown.Instance, TimeSpan.FromSeconds(5))
                .PipeTo(Self, success: r => (object)r, failure: ex => new Status.Failure(ex));
            Become(HandingOff);
        });
        ReceiveAny(m => _gateway.Forward(m));
    }

    public static Props Props(string partition, PartitionDependencies deps) =>
        Akka.Actor.Props.Create(() => new GatewayPartitionActor(partition, deps));

    private void HandingOff()
    {
        Receive<GatewayActor.CleanShutdownRecorded>(_ => Context.Stop(Self));
        Receive<Status.Failure>(f =>
        {
            // No record: the next host treats the stop as a crash, which is only more careful.
            _log.Warning("{Code} partition {Partition} could not record its clean stop ({Error}); its next host will be careful",
                Domain.ReasonCodes.PartitionHandOff, _partition, f.Cause.Message);
            Context.Stop(Self);
        });
        // The shard buffers what arrives for this entity once it has sent the hand-off; anything already queued goes on.
        ReceiveAny(m => _gateway.Forward(m));
    }
}

/// <summary>What every partition on a node shares.</summary>
/// <param name="Message">The node's message-actor dependencies; each partition puts its own risk gate in.</param>
/// <param name="CarefulToken">The node's <see cref="CarefulTokenActor"/>.</param>
/// <param name="MaxInFlightPerPartition">Each partition's share of <c>max-in-flight</c> (the bound is cluster-wide).</param>
public sealed record PartitionDependencies(MessageActorDependencies Message, IActorRef CarefulToken, int MaxInFlightPerPartition);
