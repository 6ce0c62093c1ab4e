using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Testing;
using MailKit.Net.Smtp;
using MimeKit;
using Npgsql;

namespace ActorGateway.Host.Tests.Cluster;

/// <summary>
/// PostgreSQL goes away under a running `gateway run --storage postgres` and comes back: while it is gone, new mail gets a
/// temporary refusal (4xx, never 250) and the process keeps running; once it is back, mail is accepted again, and what was
/// acknowledged before the outage is delivered. The database is "down" behind a TCP proxy the test owns: its listener
/// refuses connections and every open connection is cut, as when the server stops or the network drops.
/// </summary>
public sealed partial class DatabaseOutageSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private static MimeMessage Message(int i) =>
        MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Mail.Build(i, $"Person Number{i}", $"p{i}@contoso.com"))));

    private static async Task<int> SendAsync(int port, int i)
    {
        using var client = new SmtpClient { Timeout = 60_000 };
        await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
        try
        {
            await client.SendAsync(Message(i));
            return 250;
        }
        catch (SmtpCommandException ex)
        {
            return (int)ex.StatusCode;
        }
        finally
        {
            if (client.IsConnected) await client.DisconnectAsync(true);
        }
    }

    [SkippableFact]
    public async Task Should_refuse_mail_for_now_while_the_database_is_down_and_deliver_what_it_acknowledged_once_it_is_back()
    {
        using var database = PostgresServer.CreateDatabase();
        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        using var proxy = TcpProxy.Start(target.Host!, target.Port);
        var proxied = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3, CommandTimeout = 5 };
        var spool = _tmp.Sub("spool");
        var config = _tmp.Sub("outage.conf");
        await File.WriteAllTextAsync(config, """
            actor-gateway.submit-timeout = 10s
            actor-gateway.supervision { resume-backoff-min = 200ms, resume-backoff-max = 2s, transient-retry-min = 200ms, transient-retry-max = 2s }
            """);
        using var gateway = GatewayProcess.Start("run", "--data-dir", _tmp.Sub("data"), "--config", config, "--storage", "postgres",
            "--postgres", proxied.ConnectionString, "--spool-dir", spool, "--smtp-listen", "127.0.0.1:0", "--admin-listen", "off");
        await Wait.UntilAsync(() => ListeningPort().IsMatch(gateway.Output) || gateway.HasExited, TimeSpan.FromSeconds(60), () => gateway.Output);
        Assert.False(gateway.HasExited, gateway.Output);
        var port = int.Parse(ListeningPort().Match(gateway.Output).Groups[1].Value);

        // The first message of a cold node on a loaded machine may wait past submit-timeout (a 451, which a sender's MTA retries).
        var first = 0;
        await Wait.UntilAsync(() => (first = SendAsync(port, 1).GetAwaiter().GetResult()) == 250, TimeSpan.FromSeconds(90),
            () => $"last reply {first}\n{gateway.Output}");

        proxy.Down();
        var during = await SendAsync(port, 2);
        Assert.True(during is >= 400 and < 500, $"with the database down the reply was {during}, not a temporary refusal\n{gateway.Output}");
        Assert.False(gateway.HasExited, gateway.Output);

        proxy.Up();
        // Back: accepted again once the gateway's actors have recovered from the journal (until then, still 4xx).
        var after = 0;
        await Wait.UntilAsync(() => (after = SendAsync(port, 3).GetAwaiter().GetResult()) == 250, TimeSpan.FromSeconds(90),
            () => $"last reply {after}\n{gateway.Output}");

        await Wait.UntilAsync(() => SpooledIds(spool).Contains("<host-1@fabrikam.com>"),
            TimeSpan.FromSeconds(60), () => $"spool: {string.Join(", ", SpooledIds(spool))}\n{gateway.Output}");
        await Wait.UntilAsync(() => SpooledIds(spool).Contains("<host-3@fabrikam.com>"), TimeSpan.FromSeconds(60), () => gateway.Output);
        Assert.DoesNotContain("<host-2@fabrikam.com>", SpooledIds(spool)); // refused, so never accepted

        gateway.Terminate();
        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)), "gateway did not stop on SIGTERM");
    }

    private static List<string> SpooledIds(string spool) =>
        !Directory.Exists(spool)
            ? []
            : Directory.GetFiles(spool, "*.eml")
                .Select(f => File.ReadLines(f).TakeWhile(l => l.Length > 0).FirstOrDefault(l => l.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase)))
                .Where(l => l is not null).Select(l => l![11..].Trim()).ToList();

    [GeneratedRegex(@"GW-SMTP-LISTENING SMTP listener on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPort();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A TCP forwarder on 127.0.0.1 that can go down (refuse, and cut what is open) and come back on the same port.</summary>
    private sealed class TcpProxy : IDisposable
    {
        private readonly string _targetHost;
        private readonly int _targetPort;
        private readonly List<TcpClient> _open = [];
        private TcpListener? _listener;

        private TcpProxy(string targetHost, int targetPort, int port)
        {
            _targetHost = targetHost;
            _targetPort = targetPort;
            Port = port;
        }

        public int Port { get; }

        public static TcpProxy Start(string targetHost, int targetPort)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var proxy = new TcpProxy(targetHost, targetPort, port);
            proxy.Up();
            return proxy;
        }

        public void Up()
        {
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient client;
                    try
                    {
                        client = await listener.AcceptTcpClientAsync();
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }
                    _ = Task.Run(() => PumpAsync(client));
                }
            });
        }

        public void Down()
        {
            _listener?.Stop();
            _listener = null;
            lock (_open)
            {
                foreach (var c in _open)
                {
                    try
                    {
                        if (c.Client is { } socket) socket.LingerState = new LingerOption(true, 0); // RST, as a dead peer
                        c.Dispose();
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                    }
                }
                _open.Clear();
            }
        }

        private async Task PumpAsync(TcpClient client)
        {
            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_targetHost, _targetPort);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                return;
            }
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }
            async Task Copy(NetworkStream from, NetworkStream to)
            {
                try
                {
                    await from.CopyToAsync(to);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
                {
                }
                finally
                {
                    client.Dispose();
                    server.Dispose();
                }
            }
            await Task.WhenAll(Copy(client.GetStream(), server.GetStream()), Copy(server.GetStream(), client.GetStream()));
        }

        public void Dispose() => Down();
    }
}
