extern alias SmtpServerLibrary;

using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Peer = SmtpServerLibrary::SmtpServer;

namespace ActorGateway.Smtp.Tests.Relay;

/// <summary>What the scripted server counted: TCP connections, NOOPs and RCPT commands.</summary>
public sealed record RelayServerStats(int Connections, int Noops, int Rcpts);

/// <summary>One message the scripted server accepted: its envelope and exact bytes.</summary>
public sealed record RelayReceivedMessage(string MailFrom, IReadOnlyList<string> RcptTos, byte[] Content);

/// <summary>
/// The downstream SMTP peer of the relay and end-to-end tests: an in-process server built on the
/// SmtpServer NuGet package (an independent SMTP implementation, not ours), on 127.0.0.1 and a port
/// chosen at run time. Real sockets, real protocol; it needs nothing but the .NET SDK.
/// <para>Scripted by the envelope's local parts:</para>
/// <list type="bullet">
/// <item>MAIL FROM <c>badsender*</c> → 553 5.7.1; <c>tempsender*</c> → 451 4.3.0.</item>
/// <item>RCPT TO <c>refuse*</c> → 550 5.1.1; <c>defer*</c> → 450 4.2.1; <c>slow*</c> → 250 after <see cref="SlowReply"/>.</item>
/// <item>DATA when MAIL FROM was <c>reject*</c> → 554 5.6.0; <c>tempdata*</c> → 451 4.3.0; <c>drop*</c> → the connection is cut without a reply.</item>
/// </list>
/// <para>Modes: <c>up</c> (the SMTP server), <c>down</c> (421 at connect, then close), <c>silent</c>
/// (accepts the TCP connection and never answers); the last two are plain sockets, since no SMTP is spoken.</para>
/// </summary>
public sealed class RelayScriptedSmtpServer : IAsyncDisposable
{
    /// <summary>How long a <c>slow*</c> recipient waits for its RCPT reply.</summary>
    public static readonly TimeSpan SlowReply = TimeSpan.FromSeconds(3);

    private readonly ConcurrentQueue<RelayReceivedMessage> _messages = new();
    private readonly CancellationTokenSource _stop = new();
    private int _connections;
    private int _noops;
    private int _rcpts;
    private int _queued;
    private Task _running = Task.CompletedTask;
    private TcpListener? _rawListener;
    private int _disposed;

    private RelayScriptedSmtpServer()
    {
    }

    public int Port { get; private set; }

    /// <param name="workDir">Kept for callers that give each server a directory of the test's own; nothing is written there.</param>
    /// <param name="mode">"up", "down" (421 at connect) or "silent" (never greets).</param>
    /// <param name="port">0 for any free port; a fixed one to restart a server in place.</param>
    /// <param name="auth">"user:password" to require AUTH (PLAIN or LOGIN, allowed without TLS).</param>
    public static async Task<RelayScriptedSmtpServer> StartAsync(string workDir, string mode = "up", int port = 0, string? auth = null)
    {
        _ = workDir;
        var server = new RelayScriptedSmtpServer();
        switch (mode)
        {
            case "up":
                await server.StartSmtpAsync(port, auth);
                break;
            case "down":
            case "silent":
                server.StartRaw(port, mode == "down");
                break;
            default:
                throw new ArgumentException($"unknown mode '{mode}' (up, down or silent)", nameof(mode));
        }
        return server;
    }

    public RelayServerStats ReadStats() => new(Volatile.Read(ref _connections), Volatile.Read(ref _noops), Volatile.Read(ref _rcpts));

    /// <summary>The accepted messages, in arrival order.</summary>
    public IReadOnlyList<RelayReceivedMessage> ReadMessages() => _messages.ToArray();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        _rawListener?.Stop();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }

    private async Task StartSmtpAsync(int port, string? auth)
    {
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new Peer.Net.EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);

        var options = new Peer.SmtpServerOptionsBuilder()
            .ServerName("relay-test.local")
            // The library ends a session after this many failed commands in a row; scripted refusals are not abuse.
            .MaxRetryCount(1000)
            .Endpoint(e =>
            {
                e.Endpoint(new IPEndPoint(IPAddress.Loopback, port));
                if (auth is not null) e.AuthenticationRequired().AllowUnsecureAuthentication();
            })
            .Build();

        var services = new Peer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Filter(this));
        services.Add(new Store(this));
        if (auth is not null)
        {
            var (user, password) = (auth.Split(':', 2)[0], auth.Split(':', 2)[1]);
            services.Add(new Peer.Authentication.DelegatingUserAuthenticator((u, p) => u == user && p == password));
        }

        var server = new Peer.SmtpServer(options, services);
        server.SessionCreated += (_, e) =>
        {
            Interlocked.Increment(ref _connections);
            e.Context.CommandExecuting += (_, c) =>
            {
                if (c.Command is Peer.Protocol.NoopCommand) Interlocked.Increment(ref _noops);
                if (c.Command is Peer.Protocol.RcptCommand) Interlocked.Increment(ref _rcpts);
            };
        };
        _running = server.StartAsync(_stop.Token);
        var first = await Task.WhenAny(started.Task, _running, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != started.Task)
        {
            var why = _running.IsFaulted ? _running.Exception!.GetBaseException().Message : "it did not start listening within 30 s";
            throw new InvalidOperationException($"the scripted SMTP server could not listen on 127.0.0.1:{port}: {why}");
        }
        Port = await started.Task;
    }

    private void StartRaw(int port, bool greetWith421)
    {
        _rawListener = new TcpListener(IPAddress.Loopback, port);
        _rawListener.Start();
        Port = ((IPEndPoint)_rawListener.LocalEndpoint).Port;
        var listener = _rawListener;
        var held = new ConcurrentBag<TcpClient>();
        _running = Task.Run(async () =>
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    if (greetWith421)
                    {
                        using (client)
                            await client.GetStream().WriteAsync("421 4.3.2 service not available\r\n"u8.ToArray(), _stop.Token);
                    }
                    else
                    {
                        held.Add(client);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                foreach (var client in held) client.Dispose();
            }
        });
    }

    private static string LocalPart(Peer.Mail.IMailbox? mailbox) => (mailbox?.User ?? "").ToLowerInvariant();

    private static string Address(Peer.Mail.IMailbox? mailbox) =>
        mailbox is null || (string.IsNullOrEmpty(mailbox.User) && string.IsNullOrEmpty(mailbox.Host)) ? "<>" : $"{mailbox.User}@{mailbox.Host}";

    private static Peer.Protocol.SmtpResponseException Reply(int code, string text, bool quit = false) =>
        new(new Peer.Protocol.SmtpResponse((Peer.Protocol.SmtpReplyCode)code, text), quit);

    private sealed class Filter(RelayScriptedSmtpServer owner) : Peer.Storage.IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(Peer.ISessionContext context, Peer.Mail.IMailbox from, int size, CancellationToken cancellationToken)
        {
            var local = LocalPart(from);
            if (local.StartsWith("badsender", StringComparison.Ordinal)) throw Reply(553, "5.7.1 sender refused");
            if (local.StartsWith("tempsender", StringComparison.Ordinal)) throw Reply(451, "4.3.0 sender deferred");
            return Task.FromResult(true);
        }

        public async Task<bool> CanDeliverToAsync(Peer.ISessionContext context, Peer.Mail.IMailbox to, Peer.Mail.IMailbox from, CancellationToken cancellationToken)
        {
            var local = LocalPart(to);
            if (local.StartsWith("refuse", StringComparison.Ordinal)) throw Reply(550, "5.1.1 user unknown");
            if (local.StartsWith("defer", StringComparison.Ordinal)) throw Reply(450, "4.2.1 try later");
            if (local.StartsWith("slow", StringComparison.Ordinal)) await Task.Delay(SlowReply, owner._stop.Token);
            return true;
        }
    }

    private sealed class Store(RelayScriptedSmtpServer owner) : Peer.Storage.IMessageStore
    {
        public Task<Peer.Protocol.SmtpResponse> SaveAsync(Peer.ISessionContext context, Peer.IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var sender = LocalPart(transaction.From);
            if (sender.StartsWith("reject", StringComparison.Ordinal))
                return Task.FromResult(new Peer.Protocol.SmtpResponse((Peer.Protocol.SmtpReplyCode)554, "5.6.0 rejected"));
            if (sender.StartsWith("tempdata", StringComparison.Ordinal))
                return Task.FromResult(new Peer.Protocol.SmtpResponse((Peer.Protocol.SmtpReplyCode)451, "4.3.0 data deferred"));
            if (sender.StartsWith("drop", StringComparison.Ordinal))
            {
                // A server that dies after the data arrived and before it answered.
                context.Pipe.Input.Complete();
                context.Pipe.Output.Complete();
                throw new OperationCanceledException("connection dropped by the script");
            }

            var number = Interlocked.Increment(ref owner._queued).ToString("D4", CultureInfo.InvariantCulture);
            // The library's buffer stops before the CRLF that precedes the terminating dot; that CRLF ends the
            // message's last line and belongs to the content (RFC 5321 §4.1.1.4), so it is put back.
            var content = new byte[buffer.Length + 2];
            buffer.CopyTo(content);
            content[^2] = (byte)'\r';
            content[^1] = (byte)'\n';
            owner._messages.Enqueue(new RelayReceivedMessage(Address(transaction.From), transaction.To.Select(Address).ToList(), content));
            return Task.FromResult(new Peer.Protocol.SmtpResponse(Peer.Protocol.SmtpReplyCode.Ok, $"2.0.0 OK queued as {number}"));
        }
    }
}
