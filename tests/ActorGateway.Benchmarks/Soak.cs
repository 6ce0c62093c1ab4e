using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorGateway.Benchmarks;

/// <summary>What a soak run does: how long, how fast, and when the faults come.</summary>
/// <param name="Duration">How long the open-loop load is offered.</param>
/// <param name="Rate">Messages per second offered (half through the pickup directory, half through SMTP).</param>
/// <param name="OutageStart">When the delivery target goes down (from the start of the load).</param>
/// <param name="OutageLength">How long it stays down.</param>
/// <param name="KillAt">When the child gateway gets SIGKILL; a new one starts on the same data directory at once.</param>
/// <param name="SiteHocon">Extra lines of the children's --config file (beyond max-in-flight, which is sized for the outage).</param>
public sealed record SoakPlan(
    TimeSpan Duration,
    double Rate,
    TimeSpan OutageStart,
    TimeSpan OutageLength,
    TimeSpan KillAt,
    double PoisonFraction = 0.01,
    int SmtpConnections = 8,
    string SiteHocon = "",
    TimeSpan? DrainStall = null)
{
    /// <summary>The ~60-second version that runs as a test: the same faults, scaled down.</summary>
    public static SoakPlan Short(double rate = 20) => new(
        Duration: TimeSpan.FromSeconds(60), Rate: rate,
        OutageStart: TimeSpan.FromSeconds(15), OutageLength: TimeSpan.FromSeconds(15), KillAt: TimeSpan.FromSeconds(40),
        // A shorter open circuit, so delivery resumes soon after the outage instead of after the default 30 s.
        SiteHocon: "actor-gateway.circuit-breaker.open-duration = 5s\nactor-gateway.circuit-breaker.max-open-duration = 10s\n",
        DrainStall: TimeSpan.FromSeconds(60));

    /// <summary>B8 as specified: 10 minutes, a 60-second outage in the middle, one kill -9 at three quarters.</summary>
    public static SoakPlan Full(double rate, TimeSpan? duration = null)
    {
        var d = duration ?? TimeSpan.FromMinutes(10);
        return new(d, rate, OutageStart: d / 2 - TimeSpan.FromSeconds(30), OutageLength: TimeSpan.FromSeconds(60), KillAt: d * 0.75);
    }
}

/// <summary>The counts a soak must get exactly right, and the figures it reports.</summary>
public sealed record SoakReport
{
    public int Offered { get; init; }
    public int PickupDropped { get; init; }
    public int SmtpAcknowledged { get; init; }
    /// <summary>SMTP messages whose connection broke after the final "." and before the reply (the kill): not retried, not counted as lost.</summary>
    public int SmtpAmbiguous { get; init; }
    public int SmtpRetries { get; init; }
    public int SmtpRefused { get; init; }
    public int HealthyExpected { get; init; }
    public int PoisonExpected { get; init; }
    public int Delivered { get; init; }
    public int Lost { get; init; }
    public int Duplicated { get; init; }
    public int DeadLetters { get; init; }
    public int DeadLetteredHealthy { get; init; }
    public int Badmail { get; init; }
    public int CircuitOpened { get; init; }
    public required Latencies PickupAcceptMs { get; init; }
    public required Latencies SmtpAcceptMs { get; init; }
    public required IReadOnlyList<(double AtS, int Child, double RssMb)> Rss { get; init; }
    public double DrainS { get; init; }
    public double LoadS { get; init; }
    public long BytesOffered { get; init; }

    /// <summary>What is wrong, or null: lost and duplicated 0, dead letters exactly the poison, no badmail, no refusal.</summary>
    public string? Problem =>
        Lost == 0 && Duplicated == 0 && DeadLetters == PoisonExpected && DeadLetteredHealthy == 0 && Badmail == 0 && SmtpRefused == 0
            ? null
            : $"lost {Lost}, duplicated {Duplicated}, dead letters {DeadLetters} for {PoisonExpected} poison ({DeadLetteredHealthy} healthy among them), badmail {Badmail}, SMTP refused {SmtpRefused}";
}

/// <summary>
/// B8, the soak: the real <c>gateway run</c> child under open-loop load through the pickup directory and SMTP at
/// once, 1% poison, mixed sizes (about 2 KB to 1 MB), with a transport outage in the middle and one kill -9 with a
/// restart. Counts what must be exact (lost 0, duplicated 0, dead letters = poison) and reports RSS over time and the
/// accept latency of each ingress, measured from each message's scheduled slot (free of coordinated omission).
/// </summary>
public static partial class Soak
{
    private const string Ready = "Watching pickup directory";
    private const string SmtpReady = "GW-SMTP-LISTENING";
    private const string CircuitOpen = "GW-CIRCUIT-OPEN";
    private static readonly string[] Watch = [Ready, SmtpReady, CircuitOpen];

    public static async Task<BenchResult> RunBenchAsync(Options o, double? b1Rate)
    {
        double rate;
        string rateSource;
        if (o.B8Rate is { } given) (rate, rateSource) = (given, "--b8-rate");
        else if (b1Rate is { } b1) (rate, rateSource) = (0.5 * b1, $"50% of B1 in this run ({b1:N1} msg/s)");
        else
        {
            var probeSize = Math.Min(o.Messages, 3_000);
            Console.Error.WriteLine($"   B1 is not in this run: probing the closed-loop rate with {probeSize:N0} messages");
            var probe = await Throughput.RunAsync(o with { Messages = probeSize }, "B8", "probe", "closed-loop probe for B8's rate", Journal.Sqlite, 0);
            (rate, rateSource) = (0.5 * probe.MessagesPerSecond, $"50% of a {probeSize:N0}-message closed-loop probe ({probe.MessagesPerSecond:N1} msg/s)");
        }
        var plan = o.Quick ? SoakPlan.Short(rate) : SoakPlan.Full(rate, TimeSpan.FromSeconds(o.B8Seconds));
        var result = new BenchResult("B8", $"soak: {plan.Duration.TotalMinutes:0.#} min at {rate:N1} msg/s, pickup + SMTP, 1% poison, 2 KB-1 MB, " +
                                           $"{plan.OutageLength.TotalSeconds:0} s outage, one kill -9",
            "lost, duplicated, dead letters vs poison (exact); RSS over time; accept latency from the scheduled slot per ingress")
        {
            RateUnit = "msg/s offered", Rate = rate,
        };
        var report = await RunAsync(plan, line => Console.Error.WriteLine("   " + line));
        result.N = report.Offered;
        result.ElapsedS = report.LoadS + report.DrainS;
        result.P99Ms = report.SmtpAcceptMs.P(0.99);
        result.Metrics["rate_source"] = rateSource;
        result.Metrics["offered"] = report.Offered;
        result.Metrics["offered_mb"] = Math.Round(report.BytesOffered / 1048576.0, 1);
        result.Metrics["pickup_dropped"] = report.PickupDropped;
        result.Metrics["smtp_acknowledged"] = report.SmtpAcknowledged;
        result.Metrics["smtp_ambiguous_at_kill"] = report.SmtpAmbiguous;
        result.Metrics["smtp_retries"] = report.SmtpRetries;
        result.Metrics["healthy_expected"] = report.HealthyExpected;
        result.Metrics["poison_expected"] = report.PoisonExpected;
        result.Metrics["delivered"] = report.Delivered;
        result.Metrics["lost"] = report.Lost;
        result.Metrics["duplicated"] = report.Duplicated;
        result.Metrics["dead_letters"] = report.DeadLetters;
        result.Metrics["dead_lettered_healthy"] = report.DeadLetteredHealthy;
        result.Metrics["badmail"] = report.Badmail;
        result.Metrics["circuit_opened"] = report.CircuitOpened;
        result.Metrics["smtp_accept_ms"] = report.SmtpAcceptMs.ToJson();
        result.Metrics["pickup_accept_ms"] = report.PickupAcceptMs.ToJson();
        result.Metrics["drain_after_load_s"] = Math.Round(report.DrainS, 1);
        result.Metrics["rss_mb_over_time"] = report.Rss.Select(r => new Dictionary<string, object> { ["t_s"] = Math.Round(r.AtS), ["child"] = r.Child, ["rss_mb"] = Math.Round(r.RssMb, 1) }).ToList();
        result.Extra = $"lost {report.Lost}, duplicated {report.Duplicated}, dead letters {report.DeadLetters}/{report.PoisonExpected} poison; " +
                       $"SMTP accept p50 {report.SmtpAcceptMs.P(0.5):0} / p99 {report.SmtpAcceptMs.P(0.99):0} ms, pickup p50 {report.PickupAcceptMs.P(0.5):0} / p99 {report.PickupAcceptMs.P(0.99):0} ms; " +
                       $"RSS {RssSummary(report.Rss)}";
        result.Notes.Add($"plan: outage at {plan.OutageStart.TotalSeconds:0} s for {plan.OutageLength.TotalSeconds:0} s (outbound/ replaced by a regular file), kill -9 at {plan.KillAt.TotalSeconds:0} s and an immediate restart; {plan.SmtpConnections} SMTP connections");
        result.Notes.Add("accept latency counts from the message's scheduled slot: SMTP until 250 after DATA; pickup until the file has left pickup/ and pickup/.claimed/ (polled every 100 ms)");
        if (report.Problem is { } problem) result.Error = problem;
        return result;
    }

    private static string RssSummary(IReadOnlyList<(double AtS, int Child, double RssMb)> rss)
    {
        var parts = rss.GroupBy(r => r.Child).Select(g =>
        {
            var list = g.ToList();
            var warm = list.Skip(list.Count / 4).ToList();
            return warm.Count == 0 ? "" : $"child {g.Key}: {warm.Min(r => r.RssMb):0}-{warm.Max(r => r.RssMb):0} MB once warm, last {list[^1].RssMb:0} MB";
        });
        return string.Join("; ", parts);
    }

    public static async Task<SoakReport> RunAsync(SoakPlan plan, Action<string>? progress = null)
    {
        progress ??= _ => { };
        var root = TempDirs.Create("b8");
        try
        {
            var (data, pickup, claimed, spool, spoolAway, staging, siteConfig) = new ChildGatewayDirs(root).Prepare();
            var maxInFlight = Math.Max(2000, (int)(plan.Rate * (plan.OutageLength.TotalSeconds + 60) * 1.5));
            await File.WriteAllTextAsync(siteConfig, $"actor-gateway.max-in-flight = {maxInFlight}\n{plan.SiteHocon}");
            var port = FreePort();
            string[] args = ["run", "--data-dir", data, "--config", siteConfig, "--admin-listen", "off", "--smtp-listen", $"127.0.0.1:{port}"];
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);

            var count = (int)Math.Max(10, Math.Round(plan.Rate * plan.Duration.TotalSeconds));
            var isPoison = Enumerable.Range(0, count).Select(i => Throughput.IsPoison(i, plan.PoisonFraction)).ToArray();
            var child = GatewayChild.Start(args, Watch);
            var children = 1;
            var circuitOpened = 0;
            try
            {
                await WaitReadyAsync(child);
                var start = Clock.Now;
                double Elapsed() => Clock.Seconds(start, Clock.Now);
                var rss = new ConcurrentQueue<(double, int, double)>();
                using var stop = new CancellationTokenSource();

                // RSS of the current child every 5 s.
                var sampler = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var c = Volatile.Read(ref child);
                        if (ChildRssMb(c.Pid) is { } mb) rss.Enqueue((Elapsed(), Volatile.Read(ref children), mb));
                        try { await Task.Delay(5000, stop.Token); } catch (OperationCanceledException) { }
                    }
                });

                // Pickup: dropped at the slot; accepted once gone from pickup/ and pickup/.claimed/.
                var dropped = new ConcurrentDictionary<string, (int N, long Slot)>();
                var pickupAccepted = new ConcurrentQueue<double>();
                var pickupPoller = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var present = new HashSet<string>(StringComparer.Ordinal);
                        try
                        {
                            foreach (var f in Directory.EnumerateFiles(pickup, "*.eml")) present.Add(Path.GetFileName(f));
                            foreach (var f in Directory.EnumerateFiles(claimed)) present.Add(Path.GetFileName(f)[(Path.GetFileName(f).IndexOf('~') + 1)..]);
                        }
                        catch (IOException)
                        {
                            continue;
                        }
                        var now = Clock.Now;
                        foreach (var (name, (_, slot)) in dropped)
                        {
                            if (present.Contains(name) || !dropped.TryRemove(name, out _)) continue;
                            pickupAccepted.Enqueue(Clock.Ms(slot, now));
                        }
                        await Task.Delay(100);
                    }
                });

                // SMTP: a few connections take the messages due, as an MTA's queue runner does.
                var smtpQueue = new BlockingCollection<(int N, long Slot)>();
                var smtpAccepted = new ConcurrentQueue<double>();
                var acked = new ConcurrentBag<int>();
                var ambiguous = new ConcurrentBag<int>();
                var retries = 0;
                var refused = 0;
                var senders = Enumerable.Range(0, plan.SmtpConnections).Select(_ => Task.Run(async () =>
                {
                    SmtpSender? sender = null;
                    foreach (var (n, slot) in smtpQueue.GetConsumingEnumerable())
                    {
                        var mail = Build(n, isPoison[n]);
                        while (true)
                        {
                            try
                            {
                                sender ??= await SmtpSender.ConnectAsync(endPoint);
                                var outcome = await sender.SendAsync(mail);
                                if (outcome == SmtpOutcome.Accepted)
                                {
                                    smtpAccepted.Enqueue(Clock.Ms(slot, Clock.Now));
                                    acked.Add(n);
                                    break;
                                }
                                if (outcome == SmtpOutcome.Refused)
                                {
                                    Interlocked.Increment(ref refused);
                                    break;
                                }
                                // 4xx: not accepted; try again shortly (a new connection).
                                Interlocked.Increment(ref retries);
                                sender.Dispose();
                                sender = null;
                                await Task.Delay(200);
                            }
                            catch (AmbiguousException)
                            {
                                ambiguous.Add(n);
                                sender?.Dispose();
                                sender = null;
                                break;
                            }
                            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException)
                            {
                                // Before the final ".": nothing can have been accepted. Connect again.
                                Interlocked.Increment(ref retries);
                                sender?.Dispose();
                                sender = null;
                                await Task.Delay(200);
                            }
                        }
                    }
                    sender?.Dispose();
                })).ToArray();

                // The load, the outage and the kill, on the wall clock.
                long bytesOffered = 0;
                var outageBegun = false;
                var outageEnded = false;
                var killed = false;
                var lastReport = 0.0;
                for (var i = 0; i < count; i++)
                {
                    var due = i / plan.Rate;
                    while (Elapsed() < due)
                    {
                        var wait = due - Elapsed();
                        if (wait > 0.002) await Task.Delay(TimeSpan.FromSeconds(Math.Min(wait, 0.05)));
                    }
                    var t = Elapsed();
                    if (!outageBegun && t >= plan.OutageStart.TotalSeconds)
                    {
                        outageBegun = true;
                        Directory.Move(spool, spoolAway);
                        await File.WriteAllBytesAsync(spool, []);
                        progress($"{t:0} s: delivery target down");
                    }
                    if (outageBegun && !outageEnded && t >= (plan.OutageStart + plan.OutageLength).TotalSeconds)
                    {
                        outageEnded = true;
                        File.Delete(spool);
                        Directory.Move(spoolAway, spool);
                        progress($"{t:0} s: delivery target back");
                    }
                    if (!killed && t >= plan.KillAt.TotalSeconds)
                    {
                        killed = true;
                        circuitOpened += child.Count(CircuitOpen);
                        child.KillHard();
                        child.Dispose();
                        Volatile.Write(ref child, GatewayChild.Start(args, Watch));
                        Interlocked.Increment(ref children);
                        progress($"{t:0} s: kill -9, restarted");
                    }
                    if (t - lastReport >= 30)
                    {
                        lastReport = t;
                        progress($"{t:0} s: {i:N0}/{count:N0} offered; pickup waiting {dropped.Count:N0}, SMTP queued {smtpQueue.Count:N0}, acknowledged {acked.Count:N0}");
                    }

                    var slot = Clock.Now;
                    if (i % 2 == 0)
                    {
                        var name = $"m{i:D7}.eml";
                        var mail = Build(i, isPoison[i]);
                        bytesOffered += mail.Length;
                        var staged = Path.Combine(staging, name);
                        await File.WriteAllBytesAsync(staged, mail);
                        dropped[name] = (i, slot);
                        File.Move(staged, Path.Combine(pickup, name));
                    }
                    else
                    {
                        bytesOffered += SizeOf(i);
                        smtpQueue.Add((i, slot));
                    }
                }
                if (outageBegun && !outageEnded)
                {
                    File.Delete(spool);
                    Directory.Move(spoolAway, spool);
                }
                smtpQueue.CompleteAdding();
                await Task.WhenAll(senders);
                var loadS = Elapsed();
                progress($"{loadS:0} s: load done; draining");

                // Drain: until every healthy message is in the spool (or nothing changes for a while).
                var pickupNames = Enumerable.Range(0, count).Where(i => i % 2 == 0).ToList();
                var expectedHealthy = pickupNames.Where(i => !isPoison[i]).Concat(acked.Where(i => !isPoison[i])).ToHashSet();
                var drainStart = Clock.Now;
                var last = -1;
                var lastChange = Clock.Now;
                var stall = plan.DrainStall ?? TimeSpan.FromSeconds(180);
                while (true)
                {
                    var inSpool = CountEml(spool);
                    if (inSpool >= expectedHealthy.Count && dropped.IsEmpty && expectedHealthy.IsSubsetOf(DeliveredNumbers(spool))) break;
                    if (child.HasExited) throw new InvalidOperationException($"the gateway exited while draining:\n{child.Tail}");
                    if (inSpool != last) (last, lastChange) = (inSpool, Clock.Now);
                    else if (Clock.Seconds(lastChange, Clock.Now) > stall.TotalSeconds) break;
                    await Task.Delay(200);
                }
                var drainS = Clock.Seconds(drainStart, Clock.Now);
                await Task.Delay(2000); // anything later would be a duplicate
                stop.Cancel();
                await sampler;
                circuitOpened += child.Count(CircuitOpen);
                child.Terminate(TimeSpan.FromSeconds(30));

                // Verify by source Message-ID (delivered) and by recipient (dead letters).
                await pickupPoller;
                var delivered = DeliveredNumbers(spool);
                var distinct = delivered.ToHashSet();
                var ambiguousSet = ambiguous.ToHashSet();
                var lost = expectedHealthy.Count(n => !distinct.Contains(n));
                var dead = await DeadLetterRecipientsAsync(data);
                var deadNumbers = dead.Select(r => PoisonNumber().Match(r)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
                var poisonExpected = pickupNames.Count(i => isPoison[i]) + acked.Count(i => isPoison[i]) + ambiguousSet.Count(i => isPoison[i] && deadNumbers.Contains(i));
                return new SoakReport
                {
                    Offered = count,
                    PickupDropped = pickupNames.Count,
                    SmtpAcknowledged = acked.Count,
                    SmtpAmbiguous = ambiguousSet.Count,
                    SmtpRetries = retries,
                    SmtpRefused = refused,
                    HealthyExpected = expectedHealthy.Count,
                    PoisonExpected = poisonExpected,
                    Delivered = delivered.Count,
                    Lost = lost,
                    Duplicated = delivered.Count - distinct.Count + (deadNumbers.Count - deadNumbers.Distinct().Count()),
                    DeadLetters = dead.Count,
                    DeadLetteredHealthy = dead.Count - deadNumbers.Count,
                    Badmail = Directory.Exists(Path.Combine(data, "badmail")) ? Directory.GetFiles(Path.Combine(data, "badmail"), "*.eml").Length : 0,
                    CircuitOpened = circuitOpened,
                    PickupAcceptMs = new Latencies(pickupAccepted),
                    SmtpAcceptMs = new Latencies(smtpAccepted),
                    Rss = rss.ToList(),
                    DrainS = drainS,
                    LoadS = loadS,
                    BytesOffered = bytesOffered,
                };
            }
            finally
            {
                child.Dispose();
            }
        }
        finally
        {
            ChildProcesses.KillAll();
            TempDirs.Delete(root);
        }
    }

    private static async Task WaitReadyAsync(GatewayChild child)
    {
        var start = Clock.Now;
        while (child.FirstSeen(Ready) is null || child.FirstSeen(SmtpReady) is null)
        {
            if (child.HasExited) throw new InvalidOperationException($"the gateway exited at start-up:\n{child.Tail}");
            if (Clock.Seconds(start, Clock.Now) > 90) throw new TimeoutException($"the gateway did not start:\n{child.Tail}");
            await Task.Delay(50);
        }
    }

    /// <summary>Mixed sizes, deterministic per message: 70% 2-10 KB, 25% 10-100 KB, 5% 100 KB-1 MB (log-uniform within each band).</summary>
    public static int SizeOf(int n)
    {
        var r = new Random(n * 7919 + 17);
        var band = r.NextDouble();
        var (lo, hi) = band < 0.70 ? (2_048.0, 10_240.0) : band < 0.95 ? (10_240.0, 102_400.0) : (102_400.0, 1_048_576.0);
        return (int)Math.Exp(Math.Log(lo) + r.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
    }

    /// <summary>A BenchMail message (healthy, or poison: a blank display name), padded with text lines to its size.</summary>
    public static byte[] Build(int n, bool poison)
    {
        var mail = BenchMail.Build("b8", n, poison);
        var size = SizeOf(n);
        if (mail.Length >= size) return mail;
        var line = Encoding.ASCII.GetBytes("The figures above were checked twice; the attached tables follow the same layout as last quarter.\r\n");
        var result = new byte[mail.Length + (size - mail.Length + line.Length - 1) / line.Length * line.Length];
        mail.CopyTo(result, 0);
        for (var at = mail.Length; at < result.Length; at += line.Length) line.CopyTo(result, at);
        return result;
    }

    private static int CountEml(string dir) => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.eml").Count() : 0;

    private static List<int> DeliveredNumbers(string spool)
    {
        var delivered = new List<int>();
        foreach (var f in Directory.EnumerateFiles(spool, "*.eml"))
        {
            if (SourceNumber(f) is { } n) delivered.Add(n);
        }
        return delivered;
    }

    private static int? SourceNumber(string file)
    {
        var buffer = new byte[8192];
        int read;
        using (var s = File.OpenRead(file)) read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var m = SourceId().Match(Encoding.UTF8.GetString(buffer, 0, read));
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static double? ChildRssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The recipients of the journal's dead-letter queue (<c>gateway deadletters --data-dir DIR --json</c>; its stdout is only JSON).</summary>
    private static async Task<IReadOnlyList<string>> DeadLetterRecipientsAsync(string data)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var a in new[] { GatewayChild.GatewayDll, "deadletters", "--data-dir", data, "--json" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException("could not run gateway deadletters");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"gateway deadletters exited {p.ExitCode}: {await stderr}");
        using var doc = JsonDocument.Parse(await stdout);
        return doc.RootElement.GetProperty("deadLetters").EnumerateArray()
            .Select(e => e.TryGetProperty("recipient", out var r) ? r.GetString() ?? "" : "").ToList();
    }

    [GeneratedRegex(@"^Message-ID:\s*<bench-b8-(\d+)@", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SourceId();

    [GeneratedRegex(@"^ghost(\d+)@", RegexOptions.IgnoreCase)]
    private static partial Regex PoisonNumber();

    private enum SmtpOutcome
    {
        Accepted,
        TryAgain,
        Refused,
    }

    /// <summary>The connection broke after the final "." was sent and before the reply: the message may or may not be accepted.</summary>
    private sealed class AmbiguousException(string message) : Exception(message);

    /// <summary>A minimal SMTP client on one connection: EHLO once, then MAIL, RCPT, DATA per message, every read bounded.</summary>
    private sealed partial class SmtpSender : IDisposable
    {
        private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(120);
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private SmtpSender(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public static async Task<SmtpSender> ConnectAsync(IPEndPoint endPoint)
        {
            var tcp = new TcpClient();
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await tcp.ConnectAsync(endPoint, cts.Token);
                var sender = new SmtpSender(tcp);
                if (await sender.ReadAsync() != 220) throw new IOException("no 220 greeting");
                await sender.WriteAsync("EHLO soak.test\r\n");
                if (await sender.ReadAsync() != 250) throw new IOException("EHLO refused");
                return sender;
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }

        public async Task<SmtpOutcome> SendAsync(byte[] mail)
        {
            var text = Encoding.UTF8.GetString(mail);
            var to = ToAddress().Match(text).Groups[1].Value;
            await WriteAsync("MAIL FROM:<bob.sender@fabrikam.com>\r\n");
            var mailReply = await ReadAsync();
            if (mailReply != 250) return mailReply >= 500 ? SmtpOutcome.Refused : SmtpOutcome.TryAgain;
            await WriteAsync($"RCPT TO:<{to}>\r\n");
            var rcpt = await ReadAsync();
            if (rcpt != 250) return rcpt >= 500 ? SmtpOutcome.Refused : SmtpOutcome.TryAgain;
            await WriteAsync("DATA\r\n");
            var data = await ReadAsync();
            if (data != 354) return data >= 500 ? SmtpOutcome.Refused : SmtpOutcome.TryAgain;
            // Dot-stuffing: BenchMail lines never start with "."; the text ends with CRLF.
            await _stream.WriteAsync(mail);
            await WriteAsync(".\r\n");
            int final;
            try
            {
                final = await ReadAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException)
            {
                throw new AmbiguousException(ex.Message);
            }
            return final == 250 ? SmtpOutcome.Accepted : final >= 500 ? SmtpOutcome.Refused : SmtpOutcome.TryAgain;
        }

        private async Task WriteAsync(string line)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(line));
        }

        /// <summary>Reads one (possibly multi-line) reply and returns its code.</summary>
        private async Task<int> ReadAsync()
        {
            using var cts = new CancellationTokenSource(ReadTimeout);
            while (true)
            {
                var line = await _reader.ReadLineAsync(cts.Token) ?? throw new IOException("connection closed");
                if (line.Length < 4 || !int.TryParse(line.AsSpan(0, 3), out var code)) throw new IOException($"bad reply '{line}'");
                if (line[3] == ' ') return code;
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _tcp.Dispose();
        }

        [GeneratedRegex(@"^To: .*<([^>]+)>", RegexOptions.Multiline)]
        private static partial Regex ToAddress();
    }
}
