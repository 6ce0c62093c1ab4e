using System.Net;
using ActorGateway.Smtp.Listener;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace ActorGateway.Smtp.Tests.Support;

/// <summary>
/// An <see cref="SmtpServer"/> on 127.0.0.1 and a free port, with a <see cref="FakeMessageSink"/>
/// and a captured log; short timeouts. Dispose it (<c>await using</c>) to stop it.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TestSmtpServer(SmtpServer server, FakeMessageSink sink, TestLog log, ILoggerFactory loggerFactory)
    {
        Server = server;
        Sink = sink;
        Log = log;
        _loggerFactory = loggerFactory;
    }

    public SmtpServer Server { get; }

    public FakeMessageSink Sink { get; }

    public TestLog Log { get; }

    public IPEndPoint EndPoint => Server.EndPoint;

    /// <summary>The options tests start from: loopback, port 0, 64 KiB messages, timeouts that end a stuck test quickly.</summary>
    public static SmtpListenerOptions DefaultOptions => new()
    {
        EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        HostName = "mx.gateway.test",
        MaxMessageBytes = 64 * 1024,
        CommandTimeout = TimeSpan.FromSeconds(30),
        DataTimeout = TimeSpan.FromSeconds(30),
        ShutdownTimeout = TimeSpan.FromSeconds(2),
    };

    public static async Task<TestSmtpServer> StartAsync(Func<SmtpListenerOptions, SmtpListenerOptions>? configure = null, FakeMessageSink? sink = null)
    {
        var options = configure?.Invoke(DefaultOptions) ?? DefaultOptions;
        sink ??= new FakeMessageSink();
        var log = new TestLog();
        var loggerFactory = log.CreateFactory();
        var server = await SmtpServer.StartAsync(options, sink, loggerFactory, CancellationToken.None);
        return new TestSmtpServer(server, sink, log, loggerFactory);
    }

    public Task<RawSmtpClient> ConnectAsync() => RawSmtpClient.ConnectGreetedAsync(EndPoint);

    /// <summary>A connected MailKit client; the caller disposes it.</summary>
    public async Task<SmtpClient> ConnectMailKitAsync(SecureSocketOptions security = SecureSocketOptions.None)
    {
        var client = new SmtpClient { Timeout = 15_000, LocalDomain = "client.test" };
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        using var cts = new CancellationTokenSource(RawSmtpClient.DefaultTimeout);
        await client.ConnectAsync(EndPoint.Address.ToString(), EndPoint.Port, security, cts.Token);
        return client;
    }

    /// <summary>Polls until no session is active (sessions end asynchronously after the client goes away).</summary>
    public async Task WaitForNoSessionsAsync()
    {
        var deadline = DateTime.UtcNow + RawSmtpClient.DefaultTimeout;
        while (Server.ActiveSessions > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Server.ActiveSessions} sessions still active");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The proof that a hostile session did not hurt the service: a new client gets a whole
    /// transaction through. Returns the submission it made.
    /// </summary>
    public async Task AssertStillServesAsync()
    {
        var before = Sink.Submissions.Count;
        await using var client = await ConnectAsync();
        await client.EhloAsync();
        Assert.Equal(250, (await client.CommandAsync("MAIL FROM:<probe@client.test>")).Code);
        Assert.Equal(250, (await client.CommandAsync("RCPT TO:<probe@example.com>")).Code);
        Assert.Equal(354, (await client.CommandAsync("DATA")).Code);
        var accepted = await client.CommandAsync("From: probe@client.test\r\nTo: probe@example.com\r\nSubject: probe\r\n\r\nstill alive\r\n.");
        Assert.Equal(250, accepted.Code);
        Assert.Equal(221, (await client.CommandAsync("QUIT")).Code);
        Assert.Equal(before + 1, Sink.Submissions.Count);
    }

    public static MimeMessage Message(string subject, string body, params string[] to)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender Person", "sender@client.test"));
        foreach (var address in to) message.To.Add(MailboxAddress.Parse(address));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
