using ActorGateway.Actors;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using ActorGateway.Host.Ingress;

namespace ActorGateway.Host.Cli;

/// <summary>One file's result in a <c>process</c> run.</summary>
public sealed record FileOutcome(string? Id, string Source, string Outcome, string? Reason);

/// <summary>
/// Submits files to a running node and waits until each is delivered, dead-lettered or rejected.
/// Shared by <c>gateway process</c> and <c>gateway demo</c>.
/// </summary>
public static class BatchProcessor
{
    public static async Task<IReadOnlyList<FileOutcome>> RunAsync(GatewayNode node, OutcomeWatcher outcomes, IReadOnlyList<string> files, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var results = new FileOutcome[files.Count];
        var pending = new List<(int Index, MessageId Id)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, node.Settings.PickupConcurrency), CancellationToken = cts.Token },
            async (i, token) =>
            {
                var file = files[i];
                // As the pickup directory reads: only a regular file (no FIFO blocks us), never more than the limit + 1 byte.
                byte[] bytes;
                try
                {
                    var (kind, handle) = PickupEntry.Open(file);
                    if (handle is null)
                    {
                        results[i] = new FileOutcome(null, file, Outcomes.Rejected,
                            kind == PickupEntryKind.Gone ? ReasonCodes.IntakeUnreadable : ReasonCodes.PickupNotAFile);
                        return;
                    }
                    using (handle) bytes = await PickupEntry.ReadBoundedAsync(handle, node.Settings.MaxMessageBytes, token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    results[i] = new FileOutcome(null, file, Outcomes.Rejected, ReasonCodes.IntakeUnreadable);
                    return;
                }
                var result = await node.Ingress.SubmitAsync(bytes, $"file:{Path.GetFileName(file)}", ct: token);
                switch (result)
                {
                    case SubmitResult.Accepted a:
                        lock (pending) pending.Add((i, a.MessageId));
                        break;
                    case SubmitResult.Rejected r:
                        results[i] = new FileOutcome(null, file, Outcomes.Rejected, r.Code);
                        break;
                    case SubmitResult.Deferred d:
                        results[i] = new FileOutcome(null, file, Outcomes.Rejected, d.Code);
                        break;
                }
            });

        foreach (var (index, id) in pending)
        {
            var outcome = await outcomes.WaitAsync(id, cts.Token);
            results[index] = new FileOutcome(id.Value, files[index], outcome.Outcome, outcome.Reason);
        }
        return results;
    }
}
