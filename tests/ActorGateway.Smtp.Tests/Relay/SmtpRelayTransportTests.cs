using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Smtp.Relay;
using Xunit.Abstractions;

namespace ActorGateway.Smtp.Tests.Relay;

/// <summary>
/// The relay against a real SMTP server that is not ours (the SmtpServer library, scripted by
/// <see cref="RelayScriptedSmtpServer"/>), over 127.0.0.1 and ports chosen at run time.
/// </summary>
public sealed class SmtpRelayTransportTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "agw-relay-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly RelayTestLogger<SmtpRelayTransport> _log = new(output);

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Transports first (they QUIT), then the servers.
        for (var i = _cleanup.Count - 1; i >= 0; i--) await _cleanup[i].DisposeAsync();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Should_deliver_to_two_recipients_with_the_exact_envelope_and_bytes()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var id = MessageId.New();
        var content = Message("Exact bytes");

        var receipt = await relay.DeliverAsync(id, content, new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "BOB@VMNODE1"]), default);

        var received = Assert.Single(server.ReadMessages());
        Assert.Equal("sender@example.com", received.MailFrom);
        Assert.Equal(["ALICE@VMNODE1", "BOB@VMNODE1"], received.RcptTos);
        Assert.Equal(Encoding.UTF8.GetString(content), Encoding.UTF8.GetString(received.Content));
        Assert.Equal(content, received.Content);

        Assert.False(receipt.AlreadyPresent);
        Assert.StartsWith($"smtp://127.0.0.1:{server.Port} (250 ", receipt.Location);
        Assert.Collection(receipt.Recipients,
            r => AssertResult(r, "ALICE@VMNODE1", RecipientDisposition.Delivered, "250 2.0.0 OK queued as 0001"),
            r => AssertResult(r, "BOB@VMNODE1", RecipientDisposition.Delivered, "250 2.0.0 OK queued as 0001"));
        Assert.Single(_log.WithCode(ReasonCodes.RelaySent));
    }

    [Fact]
    public async Task Should_take_recipients_only_from_the_envelope_and_send_the_bytes_unchanged()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        // The transport actor hands over rewritten content (Bcc removed); whatever it hands over goes out as it is.
        var content = Message("Envelope only", extraHeaders: "Cc: CAROL@VMNODE1\r\nBcc: hidden@example.com\r\n");

        await relay.DeliverAsync(MessageId.New(), content, new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);

        var received = Assert.Single(server.ReadMessages());
        Assert.Equal(["ALICE@VMNODE1"], received.RcptTos);
        Assert.Equal(content, received.Content);
    }

    [Fact]
    public async Task Should_report_refused_and_deferred_recipients_with_the_server_replies()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        var receipt = await relay.DeliverAsync(MessageId.New(), Message("Mixed"),
            new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "refuse-bob@VMNODE1", "defer-carol@VMNODE1"]), default);

        Assert.Equal(["ALICE@VMNODE1"], Assert.Single(server.ReadMessages()).RcptTos);
        Assert.Collection(receipt.Recipients,
            r => AssertResult(r, "ALICE@VMNODE1", RecipientDisposition.Delivered, "250 2.0.0 OK queued as 0001"),
            r => AssertResult(r, "refuse-bob@VMNODE1", RecipientDisposition.Refused, "550 5.1.1 user unknown"),
            r => AssertResult(r, "defer-carol@VMNODE1", RecipientDisposition.Deferred, "450 4.2.1 try later"));
        Assert.Single(_log.WithCode(ReasonCodes.RelayRecipientRefused));
        Assert.Single(_log.WithCode(ReasonCodes.RelayRecipientDeferred));
    }

    [Fact]
    public async Task Should_send_nothing_and_not_throw_when_no_recipient_is_accepted()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        var receipt = await relay.DeliverAsync(MessageId.New(), Message("Nobody"),
            new OutboundEnvelope("sender@example.com", ["refuse-a@VMNODE1", "defer-b@VMNODE1"]), default);

        Assert.Empty(server.ReadMessages());
        Assert.False(receipt.AlreadyPresent);
        Assert.Collection(receipt.Recipients,
            r => AssertResult(r, "refuse-a@VMNODE1", RecipientDisposition.Refused, "550 5.1.1 user unknown"),
            r => AssertResult(r, "defer-b@VMNODE1", RecipientDisposition.Deferred, "450 4.2.1 try later"));

        // The connection survived the RSET and is used for the next message.
        await relay.DeliverAsync(MessageId.New(), Message("Next"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);
        Assert.Single(server.ReadMessages());
        Assert.Equal(1, server.ReadStats().Connections);
    }

    [Fact]
    public async Task Should_throw_permanent_GW_RELAY_REFUSED_when_DATA_gets_5xx()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var id = MessageId.New();

        var ex = await Assert.ThrowsAsync<PermanentMessageException>(() =>
            relay.DeliverAsync(id, Message("Rejected"), new OutboundEnvelope("reject-me@example.com", ["ALICE@VMNODE1"]), default));

        Assert.Equal(ReasonCodes.RelayRefused, ex.ReasonCode);
        Assert.Contains("DATA", ex.Message);
        Assert.Contains("554 5.6.0 rejected", ex.Message);
        Assert.Equal(FailureKind.Permanent, FailureClassifier.Classify(ex));
        Assert.Empty(server.ReadMessages());
        Assert.False(File.Exists(((RelaySentMarkers)relay.Markers).PathOf(id)));
        Assert.Single(_log.WithCode(ReasonCodes.RelayRefused));
    }

    [Fact]
    public async Task Should_throw_permanent_GW_RELAY_REFUSED_when_MAIL_FROM_gets_5xx()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        var ex = await Assert.ThrowsAsync<PermanentMessageException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Bad sender"), new OutboundEnvelope("badsender@example.com", ["ALICE@VMNODE1"]), default));

        Assert.Equal(ReasonCodes.RelayRefused, ex.ReasonCode);
        Assert.Contains("MAIL FROM", ex.Message);
        Assert.Contains("553 5.7.1 sender refused", ex.Message);
        Assert.Equal("badsender@example.com", ex.Address);
    }

    [Theory]
    [InlineData("tempsender@example.com", "MAIL FROM", "451 4.3.0 sender deferred")]
    [InlineData("tempdata@example.com", "DATA", "451 4.3.0 data deferred")]
    public async Task Should_throw_transient_when_MAIL_FROM_or_DATA_gets_4xx(string sender, string stage, string reply)
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Later"), new OutboundEnvelope(sender, ["ALICE@VMNODE1"]), default));

        Assert.Contains(stage, ex.Message);
        Assert.Contains(reply, ex.Message);
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(ex));
        Assert.NotEmpty(_log.WithCode(ReasonCodes.RelayDeferred));

        // The connection is still good after RSET.
        await relay.DeliverAsync(MessageId.New(), Message("Next"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);
        Assert.Equal(1, server.ReadStats().Connections);
    }

    [Fact]
    public async Task Should_throw_transient_when_nothing_listens()
    {
        var relay = CreateRelay(FreePort());

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Nobody home"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));

        Assert.StartsWith(ReasonCodes.RelayDeferred, ex.Message);
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(ex));
    }

    [Fact]
    public async Task Should_throw_transient_when_the_server_answers_421_at_connect()
    {
        var server = await StartServerAsync(mode: "down");
        var relay = CreateRelay(server.Port);

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Down"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));

        Assert.Contains("421", ex.Message);
    }

    [Fact]
    public async Task Should_throw_transient_when_the_server_never_greets()
    {
        var server = await StartServerAsync(mode: "silent");
        var relay = CreateRelay(server.Port, o => o with { Timeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Silence"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));

        Assert.StartsWith(ReasonCodes.RelayDeferred, ex.Message);
    }

    [Fact]
    public async Task Should_throw_transient_when_a_reply_is_slower_than_the_timeout()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port, o => o with { Timeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Slow"), new OutboundEnvelope("sender@example.com", ["slow-alice@VMNODE1"]), default));

        Assert.StartsWith(ReasonCodes.RelayDeferred, ex.Message);
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(ex));
        Assert.Empty(server.ReadMessages());
    }

    [Fact]
    public async Task Should_throw_transient_and_keep_no_marker_when_the_server_cuts_the_connection_after_DATA()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var id = MessageId.New();

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(id, Message("Cut"), new OutboundEnvelope("drop@example.com", ["ALICE@VMNODE1"]), default));

        Assert.StartsWith(ReasonCodes.RelayDeferred, ex.Message);
        Assert.False(File.Exists(((RelaySentMarkers)relay.Markers).PathOf(id)));
        Assert.Empty(server.ReadMessages());

        // The broken connection is not reused: the next message goes out on a new one.
        await relay.DeliverAsync(MessageId.New(), Message("Next"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);
        Assert.Single(server.ReadMessages());
        Assert.Equal(2, server.ReadStats().Connections);
    }

    [Fact]
    public async Task Should_throw_transient_when_starttls_is_required_but_not_offered()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port, o => o with { Tls = SmtpRelayTls.StartTls });

        await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("No TLS"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));
        Assert.Empty(server.ReadMessages());
    }

    [Fact]
    public async Task Should_reuse_one_connection_for_two_deliveries()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        await relay.DeliverAsync(MessageId.New(), Message("One"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);
        await relay.DeliverAsync(MessageId.New(), Message("Two"), new OutboundEnvelope("sender@example.com", ["BOB@VMNODE1"]), default);

        Assert.Equal(2, server.ReadMessages().Count);
        Assert.Equal(1, server.ReadStats().Connections);
        Assert.Single(_log.WithCode(ReasonCodes.RelayConnected));
    }

    [Fact]
    public async Task Should_open_at_most_max_connections_for_concurrent_deliveries()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port, o => o with { MaxConnections = 2 });

        var receipts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            relay.DeliverAsync(MessageId.New(), Message($"Concurrent {i}"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default)));

        Assert.All(receipts, r => Assert.Equal(RecipientDisposition.Delivered, Assert.Single(r.Recipients).Disposition));
        Assert.Equal(8, server.ReadMessages().Count);
        Assert.InRange(server.ReadStats().Connections, 1, 2);
    }

    [Fact]
    public async Task Should_return_AlreadyPresent_without_contacting_the_server_for_the_same_message_id()
    {
        var server = await StartServerAsync();
        var state = Path.Combine(_work, "state");
        var relay = CreateRelay(server.Port, stateDir: state);
        var id = MessageId.New();
        var envelope = new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "refuse-bob@VMNODE1"]);
        var first = await relay.DeliverAsync(id, Message("Once"), envelope, default);
        var stats = server.ReadStats();

        var second = await relay.DeliverAsync(id, Message("Once"), envelope, default);

        Assert.True(second.AlreadyPresent);
        Assert.Equal(first.Location, second.Location);
        Assert.Equal(first.Recipients, second.Recipients);
        Assert.Equal(stats, server.ReadStats());
        Assert.Single(server.ReadMessages());
        Assert.Single(_log.WithCode(ReasonCodes.RelayAlreadySent));

        // After a restart too, with the server gone: the marker alone answers.
        await server.DisposeAsync();
        await using var restarted = new SmtpRelayTransport(relay.Options, state, _log);
        var third = await restarted.DeliverAsync(id, Message("Once"), envelope, default);
        Assert.True(third.AlreadyPresent);
        Assert.Equal(first.Recipients, third.Recipients);
    }

    [Fact]
    public async Task Should_record_the_settled_results_in_a_durable_marker()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var id = MessageId.New();

        await relay.DeliverAsync(id, Message("Marked"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "refuse-bob@VMNODE1", "defer-carol@VMNODE1"]), default);

        var record = await relay.Markers.ReadAsync(id, default);
        Assert.NotNull(record);
        Assert.Equal(id.Value, record.MessageId);
        Assert.Equal(
            [("ALICE@VMNODE1", RecipientDisposition.Delivered), ("defer-carol@VMNODE1", RecipientDisposition.Deferred), ("refuse-bob@VMNODE1", RecipientDisposition.Refused)],
            record.Recipients.Select(r => (r.Recipient, r.Disposition)).Order());
        Assert.Contains("\"disposition\": \"refused\"", await File.ReadAllTextAsync(((RelaySentMarkers)relay.Markers).PathOf(id)));
    }

    [Fact]
    public async Task Should_retry_only_the_deferred_recipients_for_the_same_message_id()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var id = MessageId.New();
        var envelope = new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "defer-carol@VMNODE1"]);
        await relay.DeliverAsync(id, Message("Partly"), envelope, default);
        var rcptsBefore = server.ReadStats().Rcpts;

        var again = await relay.DeliverAsync(id, Message("Partly"), envelope, default);

        Assert.False(again.AlreadyPresent);
        Assert.Equal(rcptsBefore + 1, server.ReadStats().Rcpts);
        Assert.Single(server.ReadMessages());
        Assert.Collection(again.Recipients,
            r => AssertResult(r, "ALICE@VMNODE1", RecipientDisposition.Delivered, "250 2.0.0 OK queued as 0001"),
            r => AssertResult(r, "defer-carol@VMNODE1", RecipientDisposition.Deferred, "450 4.2.1 try later"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<>")]
    public async Task Should_relay_with_the_null_sender(string sender)
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);

        var receipt = await relay.DeliverAsync(MessageId.New(), Message("Bounce"), new OutboundEnvelope(sender, ["ALICE@VMNODE1"]), default);

        Assert.Equal(RecipientDisposition.Delivered, Assert.Single(receipt.Recipients).Disposition);
        var received = Assert.Single(server.ReadMessages());
        Assert.Equal("<>", received.MailFrom);
    }

    [Fact]
    public async Task Should_check_an_idle_connection_with_NOOP_and_reopen_it_when_the_server_is_gone()
    {
        var server = await StartServerAsync();
        var clock = new RelayManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var relay = CreateRelay(server.Port, o => o with { MaxIdle = TimeSpan.FromSeconds(30) }, clock);
        var envelope = new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]);

        await relay.DeliverAsync(MessageId.New(), Message("One"), envelope, default);
        clock.Advance(TimeSpan.FromSeconds(10));
        await relay.DeliverAsync(MessageId.New(), Message("Two"), envelope, default);
        Assert.Equal(new RelayServerStats(Connections: 1, Noops: 0, Rcpts: 2), server.ReadStats());

        clock.Advance(TimeSpan.FromSeconds(31));
        await relay.DeliverAsync(MessageId.New(), Message("Three"), envelope, default);
        Assert.Equal(new RelayServerStats(Connections: 1, Noops: 1, Rcpts: 3), server.ReadStats());

        // The server restarts on the same port while the connection idles: NOOP fails, a new one is opened.
        var port = server.Port;
        await server.DisposeAsync();
        var replacement = await StartServerAsync(port: port);
        clock.Advance(TimeSpan.FromSeconds(31));
        var receipt = await relay.DeliverAsync(MessageId.New(), Message("Four"), envelope, default);

        Assert.Equal(RecipientDisposition.Delivered, Assert.Single(receipt.Recipients).Disposition);
        Assert.Single(replacement.ReadMessages());
        Assert.Equal(1, replacement.ReadStats().Connections);
        Assert.Equal(2, _log.WithCode(ReasonCodes.RelayConnected).Count());
    }

    [Fact]
    public async Task Should_repeat_at_once_on_a_new_connection_when_a_reused_one_broke_before_MAIL_FROM()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        var envelope = new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]);
        await relay.DeliverAsync(MessageId.New(), Message("One"), envelope, default);

        // Not idle long enough for NOOP: the first command finds the connection dead.
        var port = server.Port;
        await server.DisposeAsync();
        var replacement = await StartServerAsync(port: port);
        var receipt = await relay.DeliverAsync(MessageId.New(), Message("Two"), envelope, default);

        Assert.Equal(RecipientDisposition.Delivered, Assert.Single(receipt.Recipients).Disposition);
        Assert.Single(replacement.ReadMessages());
        Assert.Empty(_log.WithCode(ReasonCodes.RelayDeferred));
    }

    [Fact]
    public async Task Should_authenticate_with_the_configured_credentials()
    {
        var server = await StartServerAsync(auth: "relay:s3cret");
        var relay = CreateRelay(server.Port, o => o with { Username = "relay", Password = "s3cret" });

        await relay.DeliverAsync(MessageId.New(), Message("Authenticated"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);

        Assert.Single(server.ReadMessages());
    }

    [Fact]
    public async Task Should_throw_transient_when_authentication_fails()
    {
        var server = await StartServerAsync(auth: "relay:s3cret");
        var relay = CreateRelay(server.Port, o => o with { Username = "relay", Password = "wrong" });

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("Wrong password"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));

        Assert.Contains("535", ex.Message);
        Assert.Empty(server.ReadMessages());
    }

    [Fact]
    public async Task Should_throw_transient_not_permanent_when_the_server_requires_authentication()
    {
        var server = await StartServerAsync(auth: "relay:s3cret");
        var relay = CreateRelay(server.Port);

        var ex = await Assert.ThrowsAsync<TransientFailureException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("No credentials"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));

        output.WriteLine(ex.Message);
        Assert.Contains("requires authentication", ex.Message);
        Assert.Contains("set username and password", ex.Message);
        Assert.Empty(server.ReadMessages());
    }

    [Fact]
    public async Task Should_refuse_delivery_after_dispose()
    {
        var server = await StartServerAsync();
        var relay = CreateRelay(server.Port);
        await relay.DeliverAsync(MessageId.New(), Message("Before"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default);

        await relay.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            relay.DeliverAsync(MessageId.New(), Message("After"), new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1"]), default));
    }

    private async Task<RelayScriptedSmtpServer> StartServerAsync(string mode = "up", int port = 0, string? auth = null)
    {
        var server = await RelayScriptedSmtpServer.StartAsync(_work, mode, port, auth);
        _cleanup.Add(server);
        return server;
    }

    private SmtpRelayTransport CreateRelay(int port, Func<SmtpRelayOptions, SmtpRelayOptions>? configure = null, TimeProvider? time = null, string? stateDir = null)
    {
        var options = new SmtpRelayOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Tls = SmtpRelayTls.None,
            Timeout = TimeSpan.FromSeconds(10),
            HeloName = "gateway.test",
        };
        var relay = new SmtpRelayTransport(configure?.Invoke(options) ?? options, stateDir ?? Path.Combine(_work, "state-" + Guid.NewGuid().ToString("N")[..8]), _log, time);
        _cleanup.Add(relay);
        return relay;
    }

    /// <summary>The reply as the server wrote it; SmtpServer adds ", N retry(ies) remaining." to its error replies.</summary>
    private static void AssertResult(RecipientResult result, string recipient, RecipientDisposition disposition, string reply)
    {
        Assert.Equal(recipient, result.Recipient);
        Assert.Equal(disposition, result.Disposition);
        Assert.StartsWith(reply, result.Reply);
    }

    /// <summary>An RFC 5322 message with 8-bit text, a line that starts with a dot and a long line (within RFC 5321's 1000-octet line limit).</summary>
    private static byte[] Message(string subject, string extraHeaders = "") => Encoding.UTF8.GetBytes(
        "From: Sender <sender@example.com>\r\n" +
        "To: ALICE@VMNODE1\r\n" +
        extraHeaders +
        $"Subject: {subject}\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@example.com>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "Grüße aus Zürich.\r\n" +
        ".a line that starts with a dot\r\n" +
        new string('x', 900) + "\r\n");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
