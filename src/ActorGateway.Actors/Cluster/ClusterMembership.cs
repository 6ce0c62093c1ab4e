using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ActorGateway.Domain;

namespace ActorGateway.Actors.Cluster;

/// <summary>The node could not become a cluster member in time (GW-CLUSTER-JOIN-FAILED).</summary>
public sealed class ClusterJoinException(string message) : Exception(message)
{
    public string Code => ReasonCodes.ClusterJoinFailed;
}

/// <summary>Joining, and what an operator needs to read in the log about the membership.</summary>
public static class ClusterMembership
{
    /// <summary>Completes when this node is Up; fails with <see cref="ClusterJoinException"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUpAsync(ActorSystem system, IReadOnlyList<string> seeds, TimeSpan timeout, CancellationToken ct = default)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var finished = await Task.WhenAny(up.Task, Task.Delay(timeout, ct));
        if (finished == up.Task) return;
        ct.ThrowIfCancellationRequested();
        throw new ClusterJoinException(
            $"this node ({cluster.SelfAddress}) did not join the cluster within {timeout.TotalSeconds:0}s through the seed nodes {string.Join(", ", seeds)}: " +
            "check that at least one seed runs and is reachable on its cluster port, and that every node has the same --cluster-seeds (actor-gateway.cluster.join-timeout)");
    }
}

/// <summary><c>cluster-events</c>: logs the membership changes an operator acts on, each with its code.</summary>
public sealed class ClusterEventsActor : ReceiveActor
{
    public const string Name = "cluster-events";

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ClusterEventsActor()
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        Receive<ClusterEvent.MemberUp>(m =>
        {
            if (m.Member.Address.Equals(cluster.SelfAddress))
                _log.Info("{Code} This node {Address} is Up in the cluster; it hosts partitions", ReasonCodes.ClusterUp, m.Member.Address);
            else
                _log.Info("{Code} Member {Address} is Up", ReasonCodes.ClusterUp, m.Member.Address);
        });
        Receive<ClusterEvent.UnreachableMember>(m =>
            _log.Warning("{Code} Member {Address} is unreachable; if it stays so, the split brain resolver downs it and its partitions move",
                ReasonCodes.ClusterMemberLost, m.Member.Address));
        Receive<ClusterEvent.ReachableMember>(m => _log.Info("{Code} Member {Address} is reachable again", ReasonCodes.ClusterUp, m.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(m =>
            _log.Warning("{Code} Member {Address} was removed (it was {Previous}); its partitions run on the remaining nodes",
                ReasonCodes.ClusterMemberLost, m.Member.Address, m.PreviousStatus));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember), typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterEventsActor());
}
