using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Testing;
using MailKit.Net.Smtp;
using MimeKit;
using Xunit.Abstractions;

namespace ActorGateway.Host.Tests.Cluster;

/// <summary>
/// The clustered deployment as docker-compose.yml runs it, as processes on 127.0.0.1: three `gateway run` nodes over one
/// PostgreSQL (journal, content, relay markers) and one shared spool directory, every node restarted when it dies (as
/// `restart: unless-stopped` does). Mail arrives over SMTP on all three; one node is SIGKILLed in mid-flight; some messages
/// are poison (blank display names) and one is deadly (fault injection kills the process that maps it).
/// </summary>
public sealed partial class ClusterFailoverSpecs(ITestOutputHelper output) : IDisposable
{
    private const int Total = 2000;
    private const int Threshold = 2;
    private const int Partitions = 12;
    private const int DeadlyIndex = 1500;

    /// <summary>The failover bound this test states: a killed node's partitions answer again on the others within it.</summary>
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(45);

    private readonly TempDir _tmp = new();
    private readonly List<Node> _nodes = [];

    private static bool IsPoison(int i) => i % 100 == 7;

    private static string Build(int i)
    {
        var (name, address) = i == DeadlyIndex ? ("Deadly Person", "deadly@contoso.com")
            : IsPoison(i) ? ("   ", $"ghost{i}@contoso.com")
            : ($"Person Number{i}", $"p{i}@contoso.com");
        return Mail.Build(i, name, address);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [SkippableFact]
    public async Task Should_lose_nothing_when_a_node_is_killed_and_quarantine_a_deadly_message_after_at_most_threshold_deaths()
    {
        using var database = PostgresServer.CreateDatabase();
        var spool = _tmp.Sub("spool");
        Directory.CreateDirectory(spool);
        var config = _tmp.Sub("cluster-test.conf");
        await File.WriteAllTextAsync(config, $$"""
            actor-gateway {
              fault-injection.fail-fast-recipients = "^deadly@"
              supervision.crash-loop-threshold = {{Threshold}}
              cluster.partitions = {{Partitions}}
            }
            akka.cluster.split-brain-resolver.stable-after = 3s
            """);
        for (var n = 1; n <= 3; n++) _nodes.Add(new Node(n, _tmp.Sub($"node{n}"), FreePort(), FreePort(), FreePort()));
        // Every node a seed (as docs/cluster.md says): a restarted first seed that finds no other seed answering forms a
        // cluster of its own, so the more seeds it can ask, the less likely that is.
        var seeds = string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.ClusterPort}"));
        foreach (var node in _nodes)
        {
            node.Arguments =
            [
                "run", "--data-dir", node.DataDir, "--config", config,
                "--storage", "postgres", "--postgres", database.ConnectionString,
                "--cluster-host", "127.0.0.1", "--cluster-port", node.ClusterPort.ToString(), "--cluster-seeds", seeds,
                "--spool-dir", spool, "--smtp-listen", $"127.0.0.1:{node.SmtpPort}", "--admin-listen", $"127.0.0.1:{node.AdminPort}",
            ];
        }

        using var stop = new CancellationTokenSource();
        foreach (var node in _nodes) node.Start();
        var keeper = KeepRunningAsync(stop.Token);
        try
        {
            await Wait.UntilAsync(() => _nodes.All(n => n.IsUp), TimeSpan.FromSeconds(90), Describe);

            // Phase 1: the first half, over all three nodes; node 2 (a seed) is SIGKILLed in mid-flight.
            var acknowledged = new ConcurrentDictionary<int, string>();
            var uncertain = new ConcurrentDictionary<int, string>();
            var killed = new TaskCompletionSource<Stopwatch>();
            var sending = SendAsync(0, Total / 2, acknowledged, uncertain, onProgress: count =>
            {
                if (count == Total / 4 && !killed.Task.IsCompleted)
                {
                    _nodes[1].Kill();
                    killed.TrySetResult(Stopwatch.StartNew());
                }
            });
            await sending;
            var sinceKill = await killed.Task;

            // The dead node's partitions answer again on the others (node 1's view of the whole cluster).
            await Wait.UntilAsync(() => PartitionsAnswering(_nodes[0]) == Partitions, FailoverBound, Describe);
            var failover = sinceKill.Elapsed;
            output.WriteLine($"failover: every partition answers again {failover.TotalSeconds:0.0} s after the SIGKILL");
            await Wait.UntilAsync(() => _nodes.All(n => n.IsUp), TimeSpan.FromSeconds(90), Describe);

            // Phase 2: the second half, with the deadly message among it.
            await SendAsync(Total / 2, Total, acknowledged, uncertain, onProgress: null);
            // The deadly message kills the process that maps it, which can be the one that was just writing its 250: then the
            // client sees the connection drop (uncertain). It was accepted all the same (mapping starts only once it is
            // journaled), and the wait below requires its GW-CRASH-LOOP either way.
            Assert.True(acknowledged.ContainsKey(DeadlyIndex) || uncertain.ContainsKey(DeadlyIndex), "the deadly message was never sent, so it was never tested");

            // Everything acknowledged ends: delivered, or quarantined with a reason; the deadly one as GW-CRASH-LOOP.
            var good = acknowledged.Keys.Where(i => !IsPoison(i) && i != DeadlyIndex).ToHashSet();
            var poison = acknowledged.Keys.Where(IsPoison).ToHashSet();
            await Wait.UntilAsync(() =>
            {
                var delivered = SpoolByMessageId(spool);
                var quarantine = Quarantine(_nodes[0]);
                return good.All(i => delivered.ContainsKey(MessageIdOf(i)))
                    && quarantine.Count(q => q.Reason == ReasonCodes.MapBlankDisplayName) >= poison.Count
                    && quarantine.Any(q => q.Reason == ReasonCodes.CrashLoop);
            }, TimeSpan.FromSeconds(240), () => $"delivered {SpoolByMessageId(spool).Count} of {good.Count}; quarantine {string.Join(", ", Quarantine(_nodes[0]).GroupBy(q => q.Reason).Select(g => $"{g.Key}={g.Count()}"))}\n{Describe()}");

            var spooled = SpoolByMessageId(spool);
            // Exactly once: no Message-ID in two spool files; every acknowledged good message there; nothing else there.
            Assert.DoesNotContain(spooled, kv => kv.Value > 1);
            Assert.All(good, i => Assert.Equal(1, spooled[MessageIdOf(i)]));
            var expected = good.Select(MessageIdOf).Concat(uncertain.Keys.Where(i => !IsPoison(i) && i != DeadlyIndex).Select(MessageIdOf)).ToHashSet();
            Assert.DoesNotContain(spooled.Keys, k => !expected.Contains(k));

            // Each poison message quarantined once (not once per node), and every node's admin API shows the same quarantine.
            var views = _nodes.Select(Quarantine).ToList();
            foreach (var view in views)
            {
                var blank = view.Where(q => q.Reason == ReasonCodes.MapBlankDisplayName).ToList();
                Assert.Equal(blank.Count, blank.Select(q => q.Id).Distinct().Count());
                Assert.True(blank.Count >= poison.Count && blank.Count <= poison.Count + uncertain.Keys.Count(IsPoison), $"{blank.Count} blank-name entries for {poison.Count} poison messages");
                Assert.Single(view, q => q.Reason == ReasonCodes.CrashLoop);
                Assert.Equal(views[0].Select(q => q.Id).Order(), view.Select(q => q.Id).Order());
            }

            // The deadly message took down at most `threshold` processes in the whole cluster (the SIGKILL was ours).
            var deathsByFault = _nodes.Sum(n => n.Deaths) - 1;
            output.WriteLine($"process deaths: {string.Join(", ", _nodes.Select(n => $"node{n.Index}={n.Deaths}"))} (one SIGKILL by the test); acknowledged {acknowledged.Count}, uncertain {uncertain.Count}");
            Assert.True(deathsByFault >= 1, "the deadly message never killed a process: the test tested nothing");
            Assert.True(deathsByFault <= Threshold, $"the deadly message killed {deathsByFault} processes (threshold {Threshold})\n{Describe()}");
            Assert.True(failover < FailoverBound);
        }
        finally
        {
            stop.Cancel();
            await keeper;
            foreach (var node in _nodes) await node.StopAsync();
            foreach (var node in _nodes) output.WriteLine($"--- node{node.Index} (last run) ---\n{Tail(node.Output, 60)}");
        }
    }

    private static string MessageIdOf(int i) => $"<host-{i}@fabrikam.com>";

    /// <summary>Sends messages [from, to) over SMTP, two sessions per node; a session whose node dies moves to another node.</summary>
    private async Task SendAsync(int from, int to, ConcurrentDictionary<int, string> acknowledged, ConcurrentDictionary<int, string> uncertain, Action<int>? onProgress)
    {
        var next = from - 1;
        var done = 0;
        async Task Worker(int preferred)
        {
            var target = preferred;
            using var client = new SmtpClient { Timeout = 60_000 };
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= to) break;
                var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Build(i))));
                for (var attempt = 0; ; attempt++)
                {
                    var node = _nodes[target % _nodes.Count];
                    try
                    {
                        if (!client.IsConnected) await client.ConnectAsync("127.0.0.1", node.SmtpPort, MailKit.Security.SecureSocketOptions.None);
                        await client.SendAsync(message);
                        acknowledged[i] = node.Name;
                        break;
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or MailKit.ServiceNotConnectedException or OperationCanceledException)
                    {
                        var wasConnected = client.IsConnected;
                        try { client.Disconnect(false); } catch (Exception) { /* gone already */ }
                        if (ex is SmtpCommandException { StatusCode: var code } && (int)code is >= 400 and < 500)
                        {
                            // 451/452: not accepted, so sending again is right (the sender's MTA would).
                            await Task.Delay(200);
                        }
                        else if (ex is SocketException && !wasConnected)
                        {
                            target++; // the node is down: connect to another
                            await Task.Delay(100);
                        }
                        else
                        {
                            // Cut off mid-transaction: the node may have accepted it before dying. Not sent again, so it may
                            // be delivered once or not at all; never twice.
                            uncertain[i] = $"{node.Name}: {ex.GetType().Name}";
                            target++;
                            break;
                        }
                        if (attempt > 50) throw new InvalidOperationException($"message {i} could not be sent: {ex.Message}");
                    }
                }
                onProgress?.Invoke(Interlocked.Increment(ref done));
            }
            if (client.IsConnected) await client.DisconnectAsync(true);
        }
        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(() => Worker(w))));
    }

    /// <summary>Restarts every node whose process died, as `restart: unless-stopped` does, and counts the deaths.</summary>
    private async Task KeepRunningAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var node in _nodes.Where(n => n.HasExited)) node.Restart();
            try { await Task.Delay(200, ct); } catch (OperationCanceledException) { }
        }
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static int PartitionsAnswering(Node node)
    {
        try
        {
            var json = JsonNode.Parse(Http.GetStringAsync($"http://127.0.0.1:{node.AdminPort}/api/v1/status").GetAwaiter().GetResult())!;
            return (int?)json["gateway"]?["partitionsAnswering"] ?? -1;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    private static List<(string Id, string Reason)> Quarantine(Node node)
    {
        try
        {
            var json = JsonNode.Parse(Http.GetStringAsync($"http://127.0.0.1:{node.AdminPort}/api/v1/deadletters?limit=1000").GetAwaiter().GetResult())!;
            return json["deadLetters"]!.AsArray().Select(e => ((string)e!["messageId"]!, (string)e["reason"]!)).ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>Message-ID header → how many spool files carry it.</summary>
    private static Dictionary<string, int> SpoolByMessageId(string spool)
    {
        var counts = new Dictionary<string, int>();
        foreach (var file in Directory.GetFiles(spool, "*.eml"))
        {
            string? id = null;
            try
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (line.Length == 0) break;
                    if (line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase)) { id = line[11..].Trim(); break; }
                }
            }
            catch (IOException) { continue; }
            if (id is not null) counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return counts;
    }

    private string Describe() => string.Join("\n", _nodes.Select(n => $"node{n.Index}: up={n.IsUp} deaths={n.Deaths}\n{Tail(n.Output, 15)}"));

    private static string Tail(string text, int lines) => string.Join("\n", text.Split('\n').TakeLast(lines));

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _tmp.Dispose();
    }

    /// <summary>One gateway node: its ports stay the same across restarts, as a container's would.</summary>
    private sealed partial class Node(int index, string dataDir, int clusterPort, int smtpPort, int adminPort) : IDisposable
    {
        private GatewayProcess? _process;
        private readonly StringBuilder _earlier = new();

        public int Index { get; } = index;
        public string Name => $"node{Index}";
        public string DataDir { get; } = dataDir;
        public int ClusterPort { get; } = clusterPort;
        public int SmtpPort { get; } = smtpPort;
        public int AdminPort { get; } = adminPort;
        public string[] Arguments { get; set; } = [];
        public int Deaths { get; private set; }

        public string Output => _process?.Output ?? "";

        public bool HasExited => _process is { HasExited: true };

        public bool IsUp => _process is { HasExited: false } p && UpLine().IsMatch(p.Output);

        public void Start() =>
            _process = GatewayProcess.Start(new Dictionary<string, string> { ["GATEWAY_FAULT_INJECTION"] = "enabled" }, Arguments);

        public void Restart()
        {
            Deaths++;
            _earlier.AppendLine($"--- {Name} run ended with {_process!.ExitCode} ---").AppendLine(Tail(_process.Output, 30));
            _process.Dispose();
            Start();
        }

        public void Kill() => _process?.KillHard();

        public async Task StopAsync()
        {
            if (_process is null || _process.HasExited) return;
            _process.Terminate();
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(30))) _process.KillHard();
        }

        public void Dispose() => _process?.Dispose();

        [GeneratedRegex(@"GW-CLUSTER-UP This node")]
        private static partial Regex UpLine();
    }
}
