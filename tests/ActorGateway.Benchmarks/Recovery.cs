using System.Text;
using System.Text.RegularExpressions;

namespace ActorGateway.Benchmarks;

/// <summary>
/// B6: kill -9 recovery of the real <c>gateway run</c> child process. N messages are renamed into its pickup
/// directory; the moment every file is accepted (pickup and pickup/.claimed empty) the child gets SIGKILL.
/// A second child on the same data directory must bring the spool to exactly N messages: none lost, none twice.
/// </summary>
public static partial class Recovery
{
    private const string Ready = "Watching pickup directory";
    private const string Resumed = "GW-RESUMED";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public static async Task<BenchResult> RunAsync(Options o)
    {
        var n = o.RecoveryMessages;
        var result = new BenchResult("B6", $"kill -9 after acceptance of {n:N0} pickup files, restart",
            "time from restart of the child gateway until all N are in the spool; lost and duplicated must be 0")
        {
            N = n, RateUnit = "s to recover",
        };
        var root = TempDirs.Create("b6");
        try
        {
            var data = Path.Combine(root, "data");
            var pickup = Path.Combine(data, "pickup");
            var claimed = Path.Combine(pickup, ".claimed");
            var spool = Path.Combine(data, "outbound");
            var staging = Path.Combine(root, "staging");
            Directory.CreateDirectory(pickup);
            Directory.CreateDirectory(staging);
            for (var i = 0; i < n; i++) await File.WriteAllBytesAsync(Path.Combine(staging, $"m{i:D6}.eml"), BenchMail.Build("b6", i));
            var files = Directory.GetFiles(staging);
            string[] args = ["run", "--data-dir", data];

            // 1. First child: feed the pickup directory, SIGKILL the moment acceptance completes.
            double acceptS, dropS, readyS;
            (double User, double Sys)? cpu1;
            using (var first = GatewayChild.Start(args, Ready))
            {
                var started = Clock.Now;
                await WaitUntilAsync(() => first.FirstSeen(Ready) is not null, first, "first gateway start-up", TimeSpan.FromSeconds(90));
                readyS = Clock.Seconds(started, first.FirstSeen(Ready)!.Value);
                var t0 = Clock.Now;
                foreach (var f in files) File.Move(f, Path.Combine(pickup, Path.GetFileName(f)));
                dropS = Clock.Seconds(t0, Clock.Now);
                // Files only move pickup -> .claimed -> (deleted once MessageAccepted is journaled): check in that order.
                await WaitUntilAsync(() => !Directory.EnumerateFiles(pickup, "*.eml").Any() && !Directory.EnumerateFileSystemEntries(claimed).Any(),
                    first, "acceptance of every pickup file", Limit, pollMs: 5);
                acceptS = Clock.Seconds(t0, Clock.Now);
                cpu1 = first.CpuSeconds();
                first.KillHard();
            }
            var deliveredAtKill = CountEml(spool);
            var contentAtKill = CountEml(Path.Combine(data, "content"));
            var badmail = Directory.Exists(Path.Combine(data, "badmail")) ? Directory.GetFiles(Path.Combine(data, "badmail"), "*.eml").Length : 0;
            Console.Error.WriteLine($"   killed after {acceptS:0.0} s: {deliveredAtKill:N0} in the spool, {n - deliveredAtKill:N0} undelivered");

            // 2. Restart on the same data directory; time until the spool holds every message.
            double recoverS, restartReadyS;
            int? resumedCount;
            (double User, double Sys)? cpu2;
            bool gracefulStop;
            int lateFiles;
            using (var second = GatewayChild.Start(args, Ready, Resumed))
            {
                var restart = Clock.Now;
                var last = -1;
                var lastChange = Clock.Now;
                while (true)
                {
                    var count = CountEml(spool);
                    if (count >= n) break;
                    if (second.HasExited) throw new InvalidOperationException($"the restarted gateway exited at {count}/{n}:\n{second.Tail}");
                    if (count != last) (last, lastChange) = (count, Clock.Now);
                    else if (Clock.Seconds(lastChange, Clock.Now) > 120) throw new TimeoutException($"recovery stalled at {count}/{n}:\n{second.Tail}");
                    await Task.Delay(50);
                }
                recoverS = Clock.Seconds(restart, Clock.Now);
                restartReadyS = second.FirstSeen(Ready) is { } r ? Clock.Seconds(restart, r) : double.NaN;
                resumedCount = second.FirstLine(Resumed) is { } line && ResumedCount().Match(line) is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;
                cpu2 = second.CpuSeconds();
                // Anything still to come would be a duplicate: give it a moment, then stop gracefully.
                await Task.Delay(2000);
                lateFiles = CountEml(spool) - n;
                gracefulStop = second.Terminate(TimeSpan.FromSeconds(30));
            }

            // 3. Verify: every source Message-ID exactly once.
            var expected = Enumerable.Range(0, n).Select(i => BenchMail.SourceMessageId("b6", i)).ToHashSet();
            var found = new List<string>();
            var unreadable = 0;
            foreach (var f in Directory.EnumerateFiles(spool, "*.eml"))
            {
                var id = SourceId(f);
                if (id is null) unreadable++;
                else found.Add(id);
            }
            var distinct = found.ToHashSet();
            var lost = expected.Count(id => !distinct.Contains(id));
            var duplicated = found.Count - distinct.Count;
            var foreign = distinct.Count(id => !expected.Contains(id));

            result.Rate = recoverS;
            result.ElapsedS = recoverS;
            result.Metrics["first_start_to_ready_s"] = Math.Round(readyS, 3);
            result.Metrics["drop_into_pickup_s"] = Math.Round(dropS, 3);
            result.Metrics["acceptance_s"] = Math.Round(acceptS, 3);
            result.Metrics["acceptance_per_s"] = Math.Round(n / acceptS, 1);
            result.Metrics["delivered_at_kill"] = deliveredAtKill;
            result.Metrics["undelivered_at_kill"] = n - deliveredAtKill;
            result.Metrics["content_files_at_kill"] = contentAtKill;
            result.Metrics["badmail"] = badmail;
            result.Metrics["restart_to_ready_s"] = ResourceUsage.R(restartReadyS, 3);
            result.Metrics["restart_to_all_delivered_s"] = Math.Round(recoverS, 3);
            result.Metrics["resumed_reported_by_gateway"] = resumedCount;
            result.Metrics["recovered_per_s"] = Math.Round((n - deliveredAtKill) / recoverS, 1);
            result.Metrics["spool_files"] = found.Count + unreadable;
            result.Metrics["lost"] = lost;
            result.Metrics["duplicated"] = duplicated;
            result.Metrics["foreign_or_unreadable"] = foreign + unreadable;
            result.Metrics["late_files_after_complete"] = lateFiles;
            result.Metrics["graceful_stop_after_recovery"] = gracefulStop;
            result.Metrics["first_child_cpu_s"] = cpu1 is { } c1 ? Math.Round(c1.User + c1.Sys, 2) : null;
            result.Metrics["second_child_cpu_s"] = cpu2 is { } c2 ? Math.Round(c2.User + c2.Sys, 2) : null;
            result.Extra = $"lost {lost}, duplicated {duplicated}; undelivered at kill {n - deliveredAtKill:N0} " +
                           $"(resumed {resumedCount?.ToString() ?? "?"}); restart->ready {restartReadyS:0.0} s; " +
                           $"acceptance {n / acceptS:N0} files/s; child CPU {(cpu1 is { } a ? a.User + a.Sys : double.NaN):0.0} s + {(cpu2 is { } b ? b.User + b.Sys : double.NaN):0.0} s";
            if (lost > 0 || duplicated > 0 || foreign + unreadable > 0) result.Error = $"lost {lost}, duplicated {duplicated}, foreign/unreadable {foreign + unreadable}";
            result.Notes.Add("the child is `dotnet gateway.dll run --data-dir DIR` (Release, workstation GC, Serilog console + file logging); restart time includes its process start-up");
            return result;
        }
        finally
        {
            ChildProcesses.KillAll();
            TempDirs.Delete(root);
        }
    }

    private static int CountEml(string dir) => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.eml").Count() : 0;

    private static string? SourceId(string file)
    {
        var buffer = new byte[8192];
        int read;
        using (var s = File.OpenRead(file)) read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var m = MessageIdHeader().Match(Encoding.UTF8.GetString(buffer, 0, read));
        return m.Success ? m.Groups[1].Value : null;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, GatewayChild child, string what, TimeSpan timeout, int pollMs = 50)
    {
        var start = Clock.Now;
        while (!condition())
        {
            if (child.HasExited) throw new InvalidOperationException($"the gateway exited while waiting for {what}:\n{child.Tail}");
            if (Clock.Seconds(start, Clock.Now) > timeout.TotalSeconds) throw new TimeoutException($"{what} took over {timeout}:\n{child.Tail}");
            await Task.Delay(pollMs);
        }
    }

    [GeneratedRegex(@"^Message-ID:\s*<([^>]+)>", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex MessageIdHeader();

    [GeneratedRegex(@"Resuming (\d+) message")]
    private static partial Regex ResumedCount();
}
