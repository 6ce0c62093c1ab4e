using Akka.Configuration;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// The <c>actor-gateway.cluster</c> section, typed (defaults in hocon/gateway.conf; hocon/cluster.conf turns it on).
/// </summary>
/// <param name="Enabled">Whether this node joins an Akka.Cluster and hosts sharded partitions (set by cluster.conf, i.e. by <c>--cluster-seeds</c>).</param>
/// <param name="Partitions">How many partitions the message ids are spread over; every node of a cluster must agree, and it must never change while a journal holds messages.</param>
/// <param name="JoinTimeout">How long a starting node waits to become a member (Up) before it gives up with GW-CLUSTER-JOIN-FAILED.</param>
/// <param name="StatusTimeout">How long the router waits for every partition to report its counts.</param>
/// <param name="WakeInterval">How often each node touches every partition, so that one with messages runs somewhere.</param>
public sealed record ClusterSettings(bool Enabled, int Partitions, TimeSpan JoinTimeout, TimeSpan StatusTimeout, TimeSpan WakeInterval)
{
    public static ClusterSettings From(Config root)
    {
        var c = root.GetConfig("actor-gateway.cluster") ?? throw new ConfigurationException("the actor-gateway.cluster section is missing");
        var settings = new ClusterSettings(
            Enabled: c.GetBoolean("enabled"),
            Partitions: c.GetInt("partitions"),
            JoinTimeout: c.GetTimeSpan("join-timeout"),
            StatusTimeout: c.GetTimeSpan("status-timeout"),
            WakeInterval: c.GetTimeSpan("wake-interval"));
        if (settings.Partitions is < 1 or > 1000) throw new ConfigurationException("actor-gateway.cluster.partitions must be between 1 and 1000");
        if (settings.JoinTimeout <= TimeSpan.Zero) throw new ConfigurationException("actor-gateway.cluster.join-timeout must be positive");
        if (settings.WakeInterval <= TimeSpan.Zero) throw new ConfigurationException("actor-gateway.cluster.wake-interval must be positive");
        if (settings.StatusTimeout <= TimeSpan.Zero) throw new ConfigurationException("actor-gateway.cluster.status-timeout must be positive");
        return settings;
    }

    /// <summary>Each partition's share of the cluster-wide <c>max-in-flight</c> (at least 1).</summary>
    public int MaxInFlightPerPartition(int maxInFlight) => Math.Max(1, (maxInFlight + Partitions - 1) / Partitions);
}
