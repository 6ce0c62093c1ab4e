using ActorGateway.Domain.Messages;

namespace ActorGateway.Benchmarks;

/// <summary>B1, B2 and B4: closed-loop end-to-end throughput, acceptance to delivery in the spool.</summary>
public static class Throughput
{
    public sealed record Outcome(BenchResult Result, double MessagesPerSecond, double HealthyPerSecond);

    /// <summary>Every 1/fraction-th message is poison, spread evenly (fraction 0 = clean).</summary>
    public static bool IsPoison(int i, double fraction) =>
        fraction > 0 && Math.Floor((i + 1) * fraction) > Math.Floor(i * fraction);

    public static async Task<Outcome> RunAsync(Options o, string id, string scenario, string measures, Journal journal, double poisonFraction, int clusterMembers = 0)
    {
        var result = new BenchResult(id, scenario, measures) { N = o.Messages };
        result.Metrics["journal"] = journal switch
        {
            Journal.Sqlite => "sqlite-wal (Akka.Persistence.Sql, SQLite.MS)",
            Journal.Postgres => "postgresql (Akka.Persistence.Sql, PostgreSQL.15; content in gateway_content)",
            _ => "akka.persistence.journal.inmem + snapshot-store.inmem",
        };
        if (clusterMembers > 0) result.Metrics["cluster_members_in_process"] = clusterMembers;
        result.Metrics["concurrency"] = o.Concurrency;
        result.Metrics["poison_fraction"] = poisonFraction;
        var tag = id.ToLowerInvariant() + (poisonFraction > 0 ? $"p{poisonFraction * 100:0}" : "");

        Heap.SettledBytes();
        Rss.ResetPeak();
        await using var node = clusterMembers > 0 ? await BenchNode.StartClusterAsync(tag, clusterMembers) : await BenchNode.StartAsync(tag, journal);
        var journaled = journal != Journal.InMemory;

        // Warm-up (untimed): JIT, the SQLite connection pool, linq2db's query caches, the thread pool's size.
        var warm = await ClosedLoop.RunAsync(node.Nodes, o.Warmup, o.Concurrency, i => BenchMail.Build(tag + "w", i));
        await node.Outcomes.WaitForAsync(warm.Accepted, $"{id} warm-up", TimeSpan.FromSeconds(120));
        var rowsBefore = journaled ? node.JournalRows() : default;
        var baseOutcomes = node.Outcomes.Count;

        var before = ResourceSnapshot.Take();
        var sampler = new StatusSampler(node);
        var run = await ClosedLoop.RunAsync(node.Nodes, o.Messages, o.Concurrency, i => BenchMail.Build(tag, i, IsPoison(i, poisonFraction)));
        await node.Outcomes.WaitForAsync(baseOutcomes + run.Accepted, id, TimeSpan.FromSeconds(180));
        var after = ResourceSnapshot.Take();
        await sampler.DisposeAsync();
        var rowsAfter = journaled ? node.JournalRows() : default;

        var intake = new List<double>(o.Messages);
        var healthy = new List<double>();
        var poison = new List<double>();
        long lastOutcome = run.Start, lastHealthy = run.Start;
        int delivered = 0, deadLettered = 0, unexpected = 0, acceptSeenAfterOutcome = 0;
        for (var i = 0; i < o.Messages; i++)
        {
            if (run.Ids[i] is not { } mid || !node.Outcomes.TryGet(mid, out var outcome)) continue;
            var isPoison = IsPoison(i, poisonFraction);
            intake.Add(Clock.Ms(run.SubmittedAt[i], run.AcceptedAt[i]));
            // Under load the submitter's continuation can run after the outcome was already published: count it, clamp to 0.
            var latency = Clock.Ms(run.AcceptedAt[i], outcome.Timestamp);
            if (latency < 0) (acceptSeenAfterOutcome, latency) = (acceptSeenAfterOutcome + 1, 0);
            lastOutcome = Math.Max(lastOutcome, outcome.Timestamp);
            if (isPoison)
            {
                poison.Add(latency);
                if (outcome.Kind == Outcomes.DeadLettered) deadLettered++;
                else unexpected++;
            }
            else
            {
                healthy.Add(latency);
                lastHealthy = Math.Max(lastHealthy, outcome.Timestamp);
                if (outcome.Kind == Outcomes.Delivered) delivered++;
                else unexpected++;
            }
        }

        var elapsed = Clock.Seconds(run.Start, lastOutcome);
        var healthyElapsed = Clock.Seconds(run.Start, lastHealthy);
        var rate = run.Accepted / elapsed;
        var healthyRate = healthy.Count / healthyElapsed;
        var usage = before.Until(after, run.Accepted);
        var lat = new Latencies(healthy);

        result.ElapsedS = elapsed;
        result.Rate = poisonFraction > 0 ? healthyRate : rate;
        result.Latency(lat);
        var intakeLat = new Latencies(intake);
        result.Metrics["latency_submit_to_accepted"] = intakeLat.ToJson();
        result.Metrics["messages_per_s"] = ResourceUsage.R(rate, 1);
        result.Metrics["accepted"] = run.Accepted;
        result.Metrics["accept_seen_after_outcome"] = acceptSeenAfterOutcome;
        result.Metrics["not_accepted"] = run.NotAccepted;
        if (run.FirstNotAccepted is not null) result.Metrics["first_not_accepted"] = run.FirstNotAccepted;
        result.Metrics["delivered"] = delivered;
        result.Metrics["dead_lettered"] = deadLettered;
        result.Metrics["unexpected_outcomes"] = unexpected;
        result.Metrics["acceptance_s"] = ResourceUsage.R(Clock.Seconds(run.Start, run.AllAccepted), 3);
        result.Metrics["acceptance_per_s"] = ResourceUsage.R(run.Accepted / Clock.Seconds(run.Start, run.AllAccepted), 1);
        if (poisonFraction > 0)
        {
            result.Metrics["healthy_messages"] = healthy.Count;
            result.Metrics["healthy_per_s"] = ResourceUsage.R(healthyRate, 1);
            result.Metrics["healthy_elapsed_s"] = ResourceUsage.R(healthyElapsed, 3);
            result.Metrics["latency_poison_accept_to_dead_letter"] = new Latencies(poison).ToJson();
        }
        result.Metrics["gateway_status"] = sampler.ToJson();
        result.Metrics["resources"] = usage.ToJson();
        result.Metrics["peak_rss_mb"] = ResourceUsage.R(Rss.PeakBytes / 1048576.0, 1);
        result.Metrics["akka_log_events"] = LogCounts.ToJson();

        var extra = new List<string>();
        if (journaled)
        {
            var present = rowsAfter.Count - rowsBefore.Count;
            var inserted = rowsAfter.MaxOrdering - rowsBefore.MaxOrdering;
            result.Metrics["journal_rows_present_delta"] = present;
            result.Metrics["journal_rows_inserted"] = inserted;
            result.Metrics["journal_rows_per_message"] = ResourceUsage.R(inserted / (double)run.Accepted, 2);
            result.Metrics["journal_rows_per_s"] = ResourceUsage.R(inserted / elapsed, 1);
            result.Metrics["journal_rows_present_per_s"] = ResourceUsage.R(present / elapsed, 1);
            result.Metrics["journal_rows_at_end"] = rowsAfter.Count;
            extra.Add($"journal {inserted / elapsed:N0} rows/s ({inserted / (double)run.Accepted:0.0}/msg)");
        }
        extra.Add($"submit->accepted p50/p99 {intakeLat.P(0.5):0}/{intakeLat.P(0.99):0} ms");
        extra.Add($"max in flight {sampler.MaxRegistered:N0}");
        extra.Add(usage.Brief);
        if (poisonFraction > 0) extra.Insert(0, $"healthy {healthy.Count:N0}, poison dead-lettered {deadLettered:N0}/{poison.Count:N0}");
        if (unexpected > 0 || run.NotAccepted > 0) extra.Insert(0, $"UNEXPECTED: {unexpected} outcomes, {run.NotAccepted} not accepted");
        result.Extra = string.Join("; ", extra);
        result.Notes.Add("latency = outcome published (after MessageReleased is journaled) minus SubmitAsync returning Accepted (after MessageAccepted is journaled). " +
            "Closed loop: a worker moves on once its message is accepted, so accepted-but-undelivered messages pile up to max-in-flight and latency ~ in-flight / rate (Little's law)");
        return new Outcome(result, rate, healthyRate);
    }
}
