using Akka.Actor;
using ActorGateway.Actors;
using ActorGateway.Actors.Query;

namespace ActorGateway.Admin;

/// <summary>A listener of the service (the ESMTP listener, …) that /readyz checks.</summary>
public interface IListenerCheck
{
    string Name { get; }

    bool IsListening { get; }
}

/// <summary>One readiness check's result.</summary>
public sealed record ReadinessCheck(string Name, bool Ok, string Detail);

/// <summary>
/// /readyz: the gateway answers and has recovered its registry, the journal answers a query, and every
/// configured listener (the admin API's own included) is up. Each check is bounded by <see cref="AdminOptions.CheckTimeout"/>.
/// </summary>
public sealed class Readiness(ActorSystem system, GatewayNode node, AdminOptions options, IReadOnlyList<IListenerCheck> listeners)
{
    public async Task<IReadOnlyList<ReadinessCheck>> CheckAsync(bool adminListening, CancellationToken ct)
    {
        var checks = new List<ReadinessCheck>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.CheckTimeout);
        try
        {
            var status = await node.Gateway.Ask<Actors.Protocol.GatewayProtocol.GatewayStatus>(
                Actors.Protocol.GatewayProtocol.GetStatus.Instance, options.CheckTimeout, timeout.Token);
            if (status.Partitions is { } partitions)
            {
                // Clustered: this node answers and takes mail (a submission for a moving partition waits in the shard region);
                // partitions that do not answer are moving, which /api/v1/status shows, and do not take this node out of rotation.
                checks.Add(new ReadinessCheck("gateway", true,
                    $"{status.PartitionsAnswering} of {partitions} partitions answer; {status.Registered} registered, {status.Running} running"));
            }
            else
            {
                checks.Add(new ReadinessCheck("gateway", status.Recovered, status.Recovered ? $"{status.Registered} registered, {status.Running} running" : "still recovering its registry"));
            }
        }
        catch (Exception ex) when (ex is AskTimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            checks.Add(new ReadinessCheck("gateway", false, $"no answer within {options.CheckTimeout.TotalSeconds:0.#}s"));
        }
        try
        {
            // A query for a persistence id that never has events still has to reach the database.
            await JournalQueries.TimelineAsync(system, "readyz-probe", timeout.Token).WaitAsync(timeout.Token);
            checks.Add(new ReadinessCheck("journal", true, "answers queries"));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            checks.Add(new ReadinessCheck("journal", false, ex is OperationCanceledException ? $"no answer within {options.CheckTimeout.TotalSeconds:0.#}s" : $"{ex.GetType().Name}: {ex.Message}"));
        }
        checks.Add(new ReadinessCheck("admin", adminListening, adminListening ? "listening" : "not listening"));
        foreach (var l in listeners) checks.Add(new ReadinessCheck(l.Name, l.IsListening, l.IsListening ? "listening" : "not listening"));
        return checks;
    }
}
