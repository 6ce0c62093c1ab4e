using ActorGateway.Actors;

namespace ActorGateway.Benchmarks;

/// <summary>
/// B5: retained managed memory per in-flight message. The spool is replaced by a transport whose deliveries
/// never complete, so every submitted message stays alive (message actor, its transport child, its state and
/// the pending delivery) after MessageAccepted and RecipientsMapped are journaled.
/// </summary>
public static class Memory
{
    public static async Task<BenchResult> RunAsync(Options o, int count)
    {
        var warmup = Math.Min(o.Warmup, 500);
        var result = new BenchResult("B5", $"{count:N0} messages in flight, durable SQLite",
            "retained managed bytes per in-flight message (settled heap after minus before, / count) and peak RSS")
        {
            N = count, RateUnit = "B/msg",
        };
        var hocon = $"""
            actor-gateway.max-in-flight = {count + warmup + 1000}
            actor-gateway.max-waiting-submissions = {Math.Max(2000, 4 * o.Concurrency)}
            actor-gateway.submit-timeout = 300s
            akka.persistence.max-concurrent-recoveries = 1000
            """;
        result.Metrics["hocon_overrides"] = hocon.Split('\n').Select(l => l.Trim()).ToList();

        var transport = new BlockingTransport();
        Heap.SettledBytes();
        Rss.ResetPeak();
        await using var node = await BenchNode.StartAsync($"b5-{count}", Journal.Sqlite, hocon, transport);

        // Warm-up messages stay in flight too: they are part of the baseline, so lazily created state is not counted.
        await SubmitAsync(node.Node, warmup, o.Concurrency, "b5w");
        await WaitEnteredAsync(transport, warmup, "B5 warm-up");
        var baseline = Heap.SettledBytes();
        var rssBaseline = Rss.CurrentBytes;

        var before = ResourceSnapshot.Take();
        var notAccepted = await SubmitAsync(node.Node, count, o.Concurrency, $"b5-{count}");
        await WaitEnteredAsync(transport, warmup + count - notAccepted, $"B5 {count:N0}");
        var after = ResourceSnapshot.Take();
        var status = await node.StatusAsync();

        var settled = Heap.SettledBytes();
        var rss = Rss.CurrentBytes;
        var peak = Rss.PeakBytes;
        var gcInfo = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var perMessage = (settled - baseline) / (double)count;
        var fill = Clock.Seconds(before.Timestamp, after.Timestamp);
        var usage = before.Until(after, count);

        result.Rate = perMessage;
        result.ElapsedS = fill;
        result.Metrics["retained_bytes_per_message"] = Math.Round(perMessage, 1);
        result.Metrics["managed_heap_baseline_mb"] = Math.Round(baseline / 1048576.0, 1);
        result.Metrics["managed_heap_in_flight_mb"] = Math.Round(settled / 1048576.0, 1);
        result.Metrics["gc_heap_size_mb"] = Math.Round(gcInfo.HeapSizeBytes / 1048576.0, 1);
        result.Metrics["gc_fragmented_mb"] = Math.Round(gcInfo.FragmentedBytes / 1048576.0, 1);
        result.Metrics["rss_baseline_mb"] = Math.Round(rssBaseline / 1048576.0, 1);
        result.Metrics["rss_in_flight_mb"] = Math.Round(rss / 1048576.0, 1);
        result.Metrics["rss_delta_bytes_per_message"] = Math.Round((rss - rssBaseline) / (double)count, 1);
        result.Metrics["peak_rss_mb"] = Math.Round(peak / 1048576.0, 1);
        result.Metrics["fill_s"] = Math.Round(fill, 2);
        result.Metrics["fill_per_s"] = Math.Round(count / fill, 1);
        result.Metrics["registered"] = status.Registered;
        result.Metrics["running"] = status.Running;
        result.Metrics["waiting"] = status.Waiting;
        result.Metrics["not_accepted"] = notAccepted;
        result.Metrics["resources"] = usage.ToJson();
        result.Metrics["akka_log_events"] = LogCounts.ToJson();
        result.Extra = $"heap {baseline / 1048576.0:N0} -> {settled / 1048576.0:N0} MB; RSS {rssBaseline / 1048576.0:N0} -> {rss / 1048576.0:N0} MB, " +
                       $"peak {peak / 1048576.0:N0} MB; filled at {count / fill:N0} msg/s; running {status.Running:N0}";
        if (notAccepted > 0) result.Extra = $"UNEXPECTED: {notAccepted} not accepted; " + result.Extra;
        result.Notes.Add("peak RSS is this benchmark's (VmHWM reset via /proc/self/clear_refs at its start), so it includes memory the runtime kept from earlier benchmarks");
        Console.Error.WriteLine($"   stopping a node with {status.Running:N0} actors in flight...");
        return result;
    }

    /// <returns>How many were not accepted.</returns>
    private static async Task<int> SubmitAsync(GatewayNode node, int count, int concurrency, string tag)
    {
        var next = -1;
        var notAccepted = 0;
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (await node.Ingress.SubmitAsync(BenchMail.Build(tag, i), "bench") is not SubmitResult.Accepted) Interlocked.Increment(ref notAccepted);
            }
        })).ToArray();
        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(10_000)) != all)
        {
            Console.Error.WriteLine($"  B5 {tag}: {Math.Min(Volatile.Read(ref next), count):N0}/{count:N0} submitted");
        }
        await all;
        return notAccepted;
    }

    private static async Task WaitEnteredAsync(BlockingTransport transport, int total, string label)
    {
        var last = -1;
        var lastChange = Clock.Now;
        var lastReport = Clock.Now;
        while (transport.Entered < total)
        {
            await Task.Delay(20);
            var now = Clock.Now;
            var e = transport.Entered;
            if (e != last) (last, lastChange) = (e, now);
            else if (Clock.Seconds(lastChange, now) > 180) throw new TimeoutException($"{label}: stuck at {e}/{total} deliveries started");
            if (Clock.Seconds(lastReport, now) >= 10)
            {
                Console.Error.WriteLine($"  {label}: {e:N0}/{total:N0} in the transport");
                lastReport = now;
            }
        }
    }
}
