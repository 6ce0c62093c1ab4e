using ActorGateway.Actors;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Benchmarks;

/// <summary>
/// Closed-loop submission: <c>concurrency</c> workers each submit one message through
/// <see cref="GatewayIngress.SubmitAsync"/> and take the next as soon as it is Accepted (in the journal).
/// Records each message's id and accept time.
/// </summary>
public sealed class ClosedLoop
{
    private ClosedLoop(int count)
    {
        Ids = new MessageId?[count];
        SubmittedAt = new long[count];
        AcceptedAt = new long[count];
    }

    public MessageId?[] Ids { get; }
    public long[] SubmittedAt { get; }
    public long[] AcceptedAt { get; }
    public long Start { get; private set; }
    public long AllAccepted { get; private set; }
    public int Accepted => Ids.Count(i => i is not null);
    public int NotAccepted { get; private set; }
    public string? FirstNotAccepted { get; private set; }

    public static Task<ClosedLoop> RunAsync(GatewayNode node, int count, int concurrency, Func<int, byte[]> make) =>
        RunAsync([node], count, concurrency, make);

    /// <summary>As above, message i submitted through node i mod N (a cluster's members take mail alike).</summary>
    public static async Task<ClosedLoop> RunAsync(IReadOnlyList<GatewayNode> nodes, int count, int concurrency, Func<int, byte[]> make)
    {
        var run = new ClosedLoop(count);
        var next = -1;
        var notAccepted = 0;
        run.Start = Clock.Now;
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var bytes = make(i);
                run.SubmittedAt[i] = Clock.Now;
                var result = await nodes[i % nodes.Count].Ingress.SubmitAsync(bytes, "bench");
                if (result is SubmitResult.Accepted a)
                {
                    run.AcceptedAt[i] = Clock.Now;
                    run.Ids[i] = a.MessageId;
                }
                else if (Interlocked.Increment(ref notAccepted) == 1)
                {
                    run.FirstNotAccepted = result.ToString();
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        run.AllAccepted = Clock.Now;
        run.NotAccepted = notAccepted;
        return run;
    }
}
