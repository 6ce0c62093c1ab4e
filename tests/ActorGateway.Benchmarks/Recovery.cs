using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorGateway.Benchmarks;

/// <summary>
/// B6: kill -9 recovery of the real <c>gateway run</c> child process with every message in flight. While the first
/// child runs, its delivery target (the spool directory <c>outbound/</c>) is down: the directory is renamed away and a
/// regular file named <c>outbound</c> takes its place, so every spool write fails with an IOException ("Not a
/// directory"), which the gateway classifies as transient; its circuit breaker opens and parks the messages. N
/// messages are renamed into the pickup directory; the moment every file is accepted (pickup and pickup/.claimed
/// empty) the child gets SIGKILL, with none of them delivered. The directory is then restored (the target is back) and
/// a second child on the same data directory must bring the spool to exactly N messages: none lost, none twice, none
/// dead-lettered. Both children get the same site configuration: max-in-flight = max(2000, N), so that all N can be
/// accepted at once (the default 2000 would hold ingress back), everything else default.
/// </summary>
public static partial class Recovery
{
    private const string Ready = "Watching pickup directory";
    private const string Resumed = "GW-RESUMED";
    private const string CircuitOpen = "GW-CIRCUIT-OPEN";
    private const string CircuitHalfOpen = "GW-CIRCUIT-HALF-OPEN";
    private const string CircuitClosed = "GW-CIRCUIT-CLOSED";
    private const string RetryScheduled = "GW-RETRY-SCHEDULED";
    private const string DeadLettered = "GW-DEAD-LETTERED";
    private static readonly string[] Watch = [Ready, Resumed, CircuitOpen, CircuitHalfOpen, CircuitClosed, RetryScheduled, DeadLettered];
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public static async Task<BenchResult> RunAsync(Options o)
    {
        var n = o.RecoveryMessages;
        var maxInFlight = Math.Max(2000, n);
        var result = new BenchResult("B6", $"target down: {n:N0} pickup files accepted, none delivered, kill -9; restart with the target back",
            "time from restart of the child gateway until all N are in the spool; lost, duplicated and dead-lettered must be 0")
        {
            N = n, RateUnit = "s to recover",
        };
        var root = TempDirs.Create("b6");
        try
        {
            var (data, pickup, claimed, spool, spoolAway, staging, siteConfig) = new ChildGatewayDirs(root).Prepare();
            await File.WriteAllTextAsync(siteConfig,
                $"# B6: all N in flight at once; everything else is the shipped default.\nactor-gateway.max-in-flight = {maxInFlight}\n");
            for (var i = 0; i < n; i++) await File.WriteAllBytesAsync(Path.Combine(staging, $"m{i:D6}.eml"), BenchMail.Build("b6", i));
            var files = Directory.GetFiles(staging);
            string[] args = ["run", "--data-dir", data, "--config", siteConfig, "--admin-listen", "off", "--smtp-listen", "off"];

            // 1. First child: take the target down once it is up, feed the pickup directory, SIGKILL the moment acceptance completes.
            double acceptS, dropS, readyS;
            (double User, double Sys)? cpu1;
            int circuitOpened1, halfOpen1, retries1, retriedMessages1, dead1, spoolWhileDown;
            string? firstRetryLine, firstOpenLine;
            using (var first = GatewayChild.Start(args, Watch))
            {
                var started = Clock.Now;
                await WaitUntilAsync(() => first.FirstSeen(Ready) is not null, first, "first gateway start-up", TimeSpan.FromSeconds(90));
                readyS = Clock.Seconds(started, first.FirstSeen(Ready)!.Value);
                // The outage: the spool directory is moved away (to another directory of the same file system) and a
                // plain file takes its name; every write of {spool}/.{id}.tmp fails with ENOTDIR (an IOException).
                Directory.Move(spool, spoolAway);
                await File.WriteAllBytesAsync(spool, []);
                var t0 = Clock.Now;
                foreach (var f in files) File.Move(f, Path.Combine(pickup, Path.GetFileName(f)));
                dropS = Clock.Seconds(t0, Clock.Now);
                // Files only move pickup -> .claimed -> (deleted once MessageAccepted is journaled): check in that order.
                await WaitUntilAsync(() => !Directory.EnumerateFiles(pickup, "*.eml").Any() && !Directory.EnumerateFileSystemEntries(claimed).Any(),
                    first, "acceptance of every pickup file", Limit, pollMs: 5);
                acceptS = Clock.Seconds(t0, Clock.Now);
                cpu1 = first.CpuSeconds();
                first.KillHard();
                await Task.Delay(500); // the last lines of its output
                circuitOpened1 = first.Count(CircuitOpen);
                halfOpen1 = first.Count(CircuitHalfOpen);
                retries1 = first.Count(RetryScheduled);
                retriedMessages1 = first.MatchedLines(RetryScheduled).Select(l => RetriedId().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();
                dead1 = first.Count(DeadLettered);
                firstRetryLine = first.FirstLine(RetryScheduled);
                firstOpenLine = first.FirstLine(CircuitOpen);
                spoolWhileDown = CountEml(spoolAway);
            }
            // The target is back: the file goes, the directory returns.
            File.Delete(spool);
            Directory.Move(spoolAway, spool);
            var deliveredAtKill = CountEml(spool);
            var contentAtKill = CountContentRows(Path.Combine(data, "content.db"));
            var badmail = Directory.Exists(Path.Combine(data, "badmail")) ? Directory.GetFiles(Path.Combine(data, "badmail"), "*.eml").Length : 0;
            Console.Error.WriteLine($"   killed after {acceptS:0.0} s: {deliveredAtKill:N0} in the spool, {n - deliveredAtKill:N0} undelivered; " +
                                    $"circuit opened {circuitOpened1}x, {retries1:N0} retries scheduled for {retriedMessages1:N0} message(s), {dead1} dead-lettered");

            // 2. Restart on the same data directory; time until the spool holds every message.
            double recoverS, restartReadyS;
            int? resumedCount;
            (double User, double Sys)? cpu2;
            bool gracefulStop;
            int lateFiles, retries2, dead2;
            using (var second = GatewayChild.Start(args, Watch))
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
                retries2 = second.Count(RetryScheduled);
                dead2 = second.Count(DeadLettered);
            }
            // The dead-letter queue as the journal has it (the offline `gateway deadletters --json`).
            var deadInJournal = await DeadLettersInJournalAsync(data);

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
            result.Metrics["max_in_flight_setting"] = maxInFlight;
            result.Metrics["spool_writes_while_down"] = spoolWhileDown;
            result.Metrics["circuit_opened_first_child"] = circuitOpened1;
            result.Metrics["circuit_half_open_first_child"] = halfOpen1;
            result.Metrics["retries_scheduled_first_child"] = retries1;
            result.Metrics["messages_with_pending_retry_at_kill"] = retriedMessages1;
            result.Metrics["retries_scheduled_second_child"] = retries2;
            result.Metrics["dead_lettered_logged"] = dead1 + dead2;
            result.Metrics["dead_letters_in_journal"] = deadInJournal;
            result.Metrics["delivered_at_kill"] = deliveredAtKill;
            result.Metrics["undelivered_at_kill"] = n - deliveredAtKill;
            result.Metrics["content_rows_at_kill"] = contentAtKill;
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
            result.Extra = $"lost {lost}, duplicated {duplicated}, dead letters {deadInJournal?.ToString() ?? "?"} (logged {dead1 + dead2}); " +
                           $"undelivered at kill {n - deliveredAtKill:N0}, {retriedMessages1:N0} with a pending retry; circuit opened {circuitOpened1}x " +
                           $"(resumed {resumedCount?.ToString() ?? "?"}); restart->ready {restartReadyS:0.0} s; " +
                           $"acceptance {n / acceptS:N0} files/s; child CPU {(cpu1 is { } a ? a.User + a.Sys : double.NaN):0.0} s + {(cpu2 is { } b ? b.User + b.Sys : double.NaN):0.0} s";
            if (lost > 0 || duplicated > 0 || foreign + unreadable > 0 || deadInJournal != 0 || dead1 + dead2 > 0 || circuitOpened1 == 0)
                result.Error = $"lost {lost}, duplicated {duplicated}, foreign/unreadable {foreign + unreadable}, dead letters {deadInJournal?.ToString() ?? "?"} (logged {dead1 + dead2}), circuit opened {circuitOpened1}x";
            result.Notes.Add("the child is `dotnet gateway.dll run --data-dir DIR --config site.conf --admin-listen off --smtp-listen off` (Release, server GC, Serilog console + file logging); " +
                             $"site.conf sets only actor-gateway.max-in-flight = {maxInFlight}; restart time includes its process start-up");
            result.Notes.Add("outage in the first child: outbound/ renamed away and replaced by a regular file (spool writes fail with IOException, transient); " +
                             "messages that failed before the circuit opened keep their journaled retry due time (default transient-retry-min 1 s, max 60 s), which the restart honours");
            if (firstOpenLine is not null) result.Notes.Add("first child: " + Shorten(firstOpenLine));
            if (firstRetryLine is not null) result.Notes.Add("first child: " + Shorten(firstRetryLine));
            return result;
        }
        finally
        {
            ChildProcesses.KillAll();
            TempDirs.Delete(root);
        }
    }

    /// <summary>Entries of the dead-letter queue in the journal (<c>gateway deadletters --data-dir DIR --json</c>), or null if it could not be read.</summary>
    private static async Task<int?> DeadLettersInJournalAsync(string data)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var a in new[] { GatewayChild.GatewayDll, "deadletters", "--data-dir", data, "--json" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info);
        if (p is null) return null;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await p.WaitForExitAsync(cts.Token);
            var text = await stdout;
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.GetProperty("deadLetters").GetArrayLength();
        }
        catch (Exception ex) when (ex is OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            Console.Error.WriteLine($"   could not read the dead-letter queue: {ex.Message} {(stderr.IsCompletedSuccessfully ? stderr.Result : "")}");
            return null;
        }
    }

    private static string Shorten(string line) => line.Length > 400 ? line[..400] + "..." : line;

    /// <summary>Messages whose original bytes are in the content store (read after the kill, so nothing writes meanwhile).</summary>
    private static long CountContentRows(string file)
    {
        if (!File.Exists(file)) return 0;
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM content";
        return Convert.ToInt64(command.ExecuteScalar());
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

    [GeneratedRegex(@"of (\S+) will be retried")]
    private static partial Regex RetriedId();

    [GeneratedRegex(@"Resuming (\d+) message")]
    private static partial Regex ResumedCount();
}
