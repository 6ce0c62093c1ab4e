using ActorGateway.Actors;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Benchmarks;

/// <summary>
/// B3: latency under open-loop load. Submissions are fired on a wall-clock schedule at a constant rate
/// (default 50% of B1's rate in this run), each on its own task, never waiting for earlier ones. Accept time is
/// when SubmitAsync returns Accepted; delivery time is when the outcome is published.
/// </summary>
public static class OpenLoop
{
    public static async Task<BenchResult> RunAsync(Options o, double? b1Rate)
    {
        double rate;
        string rateSource;
        if (o.Rate is { } given)
        {
            (rate, rateSource) = (given, "--rate");
        }
        else if (b1Rate is { } b1)
        {
            (rate, rateSource) = (0.5 * b1, $"50% of B1 in this run ({b1:N1} msg/s)");
        }
        else
        {
            var probeSize = Math.Min(o.Messages, 3_000);
            Console.Error.WriteLine($"   B1 is not in this run: probing the closed-loop rate with {probeSize:N0} messages");
            var probe = await Throughput.RunAsync(o with { Messages = probeSize }, "B3", "probe", "closed-loop probe for B3's rate", Journal.Sqlite, 0);
            (rate, rateSource) = (0.5 * probe.MessagesPerSecond, $"50% of a {probeSize:N0}-message closed-loop probe ({probe.MessagesPerSecond:N1} msg/s)");
        }

        var count = (int)Math.Max(10, Math.Round(rate * o.B3Seconds));
        var result = new BenchResult("B3", $"open loop at {rate:N1} msg/s for {o.B3Seconds:0} s, durable SQLite",
            "acceptance->delivery latency percentiles under a constant offered rate (submissions scheduled by wall clock)")
        {
            N = count, RateUnit = "msg/s offered",
        };
        result.Metrics["offered_rate_per_s"] = Math.Round(rate, 2);
        result.Metrics["rate_source"] = rateSource;

        Heap.SettledBytes();
        Rss.ResetPeak();
        await using var node = await BenchNode.StartAsync("b3", Journal.Sqlite);
        var warm = await ClosedLoop.RunAsync(node.Node, o.Warmup, o.Concurrency, i => BenchMail.Build("b3w", i));
        await node.Outcomes.WaitForAsync(warm.Accepted, "B3 warm-up", TimeSpan.FromSeconds(120));
        var baseOutcomes = node.Outcomes.Count;

        var ids = new MessageId?[count];
        var scheduled = new long[count];
        var accepted = new long[count];
        var notAccepted = 0;
        var pending = 0;
        var maxPending = 0;
        var maxInSystem = 0;
        var finished = 0;
        var allSubmitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        double maxLagMs = 0, sumLagMs = 0;

        async Task Submit(int i)
        {
            try
            {
                var r = await node.Node.Ingress.SubmitAsync(BenchMail.Build("b3", i), "bench");
                if (r is SubmitResult.Accepted a)
                {
                    accepted[i] = Clock.Now;
                    ids[i] = a.MessageId;
                }
                else
                {
                    Interlocked.Increment(ref notAccepted);
                }
            }
            catch (Exception)
            {
                Interlocked.Increment(ref notAccepted);
            }
            finally
            {
                Interlocked.Decrement(ref pending);
                if (Interlocked.Increment(ref finished) == count) allSubmitted.TrySetResult();
            }
        }

        var before = ResourceSnapshot.Take();
        var sampler = new StatusSampler(node);
        var t0 = Clock.Now;
        var ticksPerMessage = System.Diagnostics.Stopwatch.Frequency / rate;
        // The schedule runs on its own thread, so a busy thread pool cannot delay it (it records how late it fired anyway).
        var scheduler = new Thread(() =>
        {
            var lastSample = t0;
            for (var i = 0; i < count; i++)
            {
                var due = t0 + (long)(i * ticksPerMessage);
                long now;
                while ((now = Clock.Now) < due) Thread.Sleep(1);
                var lag = Clock.Ms(due, now);
                sumLagMs += lag;
                if (lag > maxLagMs) maxLagMs = lag;
                scheduled[i] = due;
                var p = Interlocked.Increment(ref pending);
                if (p > maxPending) maxPending = p;
                var index = i;
                _ = Task.Run(() => Submit(index));
                if (Clock.Seconds(lastSample, now) >= 0.25)
                {
                    lastSample = now;
                    maxInSystem = Math.Max(maxInSystem, i + 1 - (node.Outcomes.Count - baseOutcomes));
                }
            }
        }) { IsBackground = true, Name = "b3-schedule", Priority = ThreadPriority.AboveNormal };
        scheduler.Start();
        await Task.Run(scheduler.Join);
        var lastFired = Clock.Now;
        await allSubmitted.Task.WaitAsync(TimeSpan.FromMinutes(10));
        var acceptedCount = ids.Count(x => x is not null);
        await node.Outcomes.WaitForAsync(baseOutcomes + acceptedCount, "B3", TimeSpan.FromSeconds(180));
        var after = ResourceSnapshot.Take();
        await sampler.DisposeAsync();

        var acceptToDelivery = new List<double>(count);
        var scheduleToDelivery = new List<double>(count);
        var scheduleToAccept = new List<double>(count);
        long lastOutcome = t0;
        var unexpected = 0;
        var acceptSeenAfterOutcome = 0;
        for (var i = 0; i < count; i++)
        {
            if (ids[i] is not { } id || !node.Outcomes.TryGet(id, out var outcome)) continue;
            if (outcome.Kind != Outcomes.Delivered) unexpected++;
            var latency = Clock.Ms(accepted[i], outcome.Timestamp);
            if (latency < 0) (acceptSeenAfterOutcome, latency) = (acceptSeenAfterOutcome + 1, 0); // the submitter's continuation ran late
            acceptToDelivery.Add(latency);
            scheduleToDelivery.Add(Clock.Ms(scheduled[i], outcome.Timestamp));
            scheduleToAccept.Add(Clock.Ms(scheduled[i], accepted[i]));
            lastOutcome = Math.Max(lastOutcome, outcome.Timestamp);
        }

        var usage = before.Until(after, acceptedCount);
        var achieved = (count - 1) / Clock.Seconds(t0, lastFired);
        result.ElapsedS = Clock.Seconds(t0, lastOutcome);
        result.Rate = achieved;
        result.Latency(new Latencies(acceptToDelivery));
        var sched = new Latencies(scheduleToDelivery);
        var intake = new Latencies(scheduleToAccept);
        result.Metrics["latency_scheduled_to_delivery"] = sched.ToJson();
        result.Metrics["latency_scheduled_to_accepted"] = intake.ToJson();
        result.Metrics["achieved_offered_rate_per_s"] = Math.Round(achieved, 2);
        result.Metrics["delivered_rate_per_s"] = Math.Round(acceptedCount / Clock.Seconds(t0, lastOutcome), 2);
        result.Metrics["schedule_lag_max_ms"] = Math.Round(maxLagMs, 2);
        result.Metrics["schedule_lag_mean_ms"] = Math.Round(sumLagMs / count, 3);
        result.Metrics["max_submissions_awaiting_accept"] = maxPending;
        result.Metrics["max_messages_in_system_sampled"] = maxInSystem;
        result.Metrics["accepted"] = acceptedCount;
        result.Metrics["accept_seen_after_outcome"] = acceptSeenAfterOutcome;
        result.Metrics["not_accepted"] = notAccepted;
        result.Metrics["unexpected_outcomes"] = unexpected;
        result.Metrics["gateway_status"] = sampler.ToJson();
        result.Metrics["resources"] = usage.ToJson();
        result.Metrics["peak_rss_mb"] = ResourceUsage.R(Rss.PeakBytes / 1048576.0, 1);
        result.Metrics["akka_log_events"] = LogCounts.ToJson();
        result.Extra = $"scheduled->delivery p50/p99/p99.9 {sched.P(0.5):0}/{sched.P(0.99):0}/{sched.P(0.999):0} ms; " +
                       $"scheduled->accepted p99 {intake.P(0.99):0} ms; max {maxInSystem} in system; {usage.Brief}";
        if (unexpected > 0 || notAccepted > 0) result.Extra = $"UNEXPECTED: {unexpected} outcomes, {notAccepted} not accepted; " + result.Extra;
        result.Notes.Add("p50/p99/p99.9 = outcome published minus SubmitAsync returning Accepted; scheduled->delivery adds intake (parse, content fsync, admission, MessageAccepted write) from the wall-clock slot, free of coordinated omission");
        return result;
    }
}
