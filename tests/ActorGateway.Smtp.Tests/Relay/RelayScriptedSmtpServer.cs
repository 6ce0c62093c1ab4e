using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ActorGateway.Smtp.Tests.Relay;

/// <summary>What the scripted server counted: TCP connections, NOOPs and RCPT commands.</summary>
public sealed record RelayServerStats(int Connections, int Noops, int Rcpts);

/// <summary>One message the scripted server accepted: its envelope and exact bytes.</summary>
public sealed record RelayReceivedMessage(string MailFrom, IReadOnlyList<string> RcptTos, byte[] Content);

/// <summary>
/// Runs <c>relay_smtp_server.py</c> (aiosmtpd, Debian's python3-aiosmtpd under /usr/bin/python3) on
/// 127.0.0.1 and a port chosen at run time, and kills it on dispose. A machine without aiosmtpd
/// fails the test with a clear message; it never skips silently.
/// </summary>
public sealed class RelayScriptedSmtpServer : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<Task> AiosmtpdCheck = new(CheckAiosmtpdAsync);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Process _process;
    private readonly StringBuilder _stderr;
    private int _disposed;

    private RelayScriptedSmtpServer(Process process, StringBuilder stderr, int port, string spoolDir, string statsPath)
    {
        _process = process;
        _stderr = stderr;
        Port = port;
        SpoolDir = spoolDir;
        StatsPath = statsPath;
    }

    public int Port { get; }

    public string SpoolDir { get; }

    public string StatsPath { get; }

    /// <param name="workDir">A directory of the test's own; the spool and the stats file go below it.</param>
    /// <param name="mode">"up", "down" (421 at connect) or "silent" (never greets).</param>
    /// <param name="port">0 for any free port; a fixed one to restart a server in place.</param>
    /// <param name="auth">"user:password" to require AUTH.</param>
    public static async Task<RelayScriptedSmtpServer> StartAsync(string workDir, string mode = "up", int port = 0, string? auth = null)
    {
        await AiosmtpdCheck.Value;
        var dir = Path.Combine(workDir, "server-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var spool = Path.Combine(dir, "spool");
        var stats = Path.Combine(dir, "stats.json");
        var script = Path.Combine(AppContext.BaseDirectory, "Relay", "relay_smtp_server.py");
        if (!File.Exists(script)) throw new InvalidOperationException($"The scripted SMTP server is missing from the test output: {script}");

        var info = new ProcessStartInfo(Python)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(script);
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--spool", spool, "--stats", stats, "--mode", mode })
            info.ArgumentList.Add(arg);
        if (auth is not null)
        {
            info.ArgumentList.Add("--auth");
            info.ArgumentList.Add(auth);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Python}");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
            {
                await process.WaitForExitAsync(timeout.Token);
                string err;
                lock (stderr) err = stderr.ToString();
                throw new InvalidOperationException($"the scripted SMTP server did not start (exit {process.ExitCode}): {line} {err}");
            }
            return new RelayScriptedSmtpServer(process, stderr, int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture), spool, stats);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public RelayServerStats ReadStats() =>
        JsonSerializer.Deserialize<RelayServerStats>(File.ReadAllBytes(StatsPath), Json)
        ?? throw new InvalidOperationException("empty stats file");

    /// <summary>The accepted messages, in arrival order (the server writes the envelope last).</summary>
    public IReadOnlyList<RelayReceivedMessage> ReadMessages()
    {
        if (!Directory.Exists(SpoolDir)) return [];
        return Directory.GetFiles(SpoolDir, "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var envelope = JsonSerializer.Deserialize<EnvelopeFile>(File.ReadAllBytes(path), Json)
                    ?? throw new InvalidOperationException($"empty envelope {path}");
                return new RelayReceivedMessage(envelope.MailFrom, envelope.RcptTos, File.ReadAllBytes(Path.ChangeExtension(path, ".eml")));
            })
            .ToList();
    }

    public string StandardError
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill(_process);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static async Task CheckAiosmtpdAsync()
    {
        const string Missing = "The relay tests need Debian's python3-aiosmtpd for /usr/bin/python3 " +
            "(apt-get install python3-aiosmtpd); the python3 on PATH is not used.";
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Missing} {Python} does not exist.");
        var info = new ProcessStartInfo(Python) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import aiosmtpd");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{Missing} {Python} could not be started.");
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Missing} `{Python} -c \"import aiosmtpd\"` failed: {(await error).Trim()}");
    }

    private sealed record EnvelopeFile(string MailFrom, List<string> RcptTos);
}
