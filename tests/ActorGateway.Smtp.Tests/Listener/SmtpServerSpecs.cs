using System.Text;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>The listener over real sockets with well-behaved clients: MailKit, and raw commands.</summary>
public sealed class SmtpServerSpecs
{
    [Fact]
    public async Task Should_accept_a_MailKit_message_for_two_recipients_and_hand_over_its_bytes_unmodified()
    {
        await using var server = await TestSmtpServer.StartAsync();
        // Lines starting with "." are dot-stuffed by MailKit and must arrive unstuffed.
        var message = TestSmtpServer.Message("Quarterly report", "Hello,\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n", "alice@example.com", "bob@routed.test");

        using var client = await server.ConnectMailKitAsync();
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        var response = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);

        var submission = Assert.Single(server.Sink.Submissions);
        Assert.Equal("2.0.0 Ok: queued as q1", response);
        Assert.Equal(["alice@example.com", "bob@routed.test"], submission.Recipients);
        Assert.Equal("sender@client.test", submission.MailFrom);
        Assert.Matches(@"^smtp:[0-9a-f]{12}:127\.0\.0\.1$", submission.Source);
        Assert.Equal(Encoding.UTF8.GetString(Serialize(message)), Encoding.UTF8.GetString(submission.Message));
    }

    [Fact]
    public async Task Should_accept_several_messages_in_one_session()
    {
        await using var server = await TestSmtpServer.StartAsync();
        using var client = await server.ConnectMailKitAsync();

        var first = await client.SendAsync(TestSmtpServer.Message("one", "first", "a@example.com"));
        var second = await client.SendAsync(TestSmtpServer.Message("two", "second", "b@example.com", "c@example.com"));
        await client.DisconnectAsync(quit: true);

        Assert.Equal("2.0.0 Ok: queued as q1", first);
        Assert.Equal("2.0.0 Ok: queued as q2", second);
        Assert.Equal([["a@example.com"], ["b@example.com", "c@example.com"]], server.Sink.Submissions.Select(s => s.Recipients));
    }

    [Fact]
    public async Task Should_answer_a_pipelined_transaction_in_order_and_remove_dot_stuffing()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        await client.SendAsync("MAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@EXAMPLE.com>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n");
        var replies = new List<RawReply>();
        for (var i = 0; i < 5; i++) replies.Add((await client.ReadReplyAsync())!);
        Assert.Equal([250, 250, 250, 250, 354], replies.Select(r => r.Code));
        Assert.True(replies[0].Is(250, "2.1.0"), replies[0].ToString());
        Assert.True(replies[1].Is(250, "2.1.5"), replies[1].ToString());

        // Pipelined after the message: QUIT must be answered as well.
        await client.SendAsync("From: x@client.test\r\n\r\n..stuffed\r\n...\r\nlast\r\n.\r\nQUIT\r\n");
        var accepted = await client.ReadReplyAsync();
        var quit = await client.ReadReplyAsync();

        Assert.True(accepted!.Is(250, "2.0.0"), accepted.ToString());
        Assert.Equal("2.0.0 Ok: queued as q1", accepted.Text);
        Assert.True(quit!.Is(221, "2.0.0"), quit.ToString());
        var submission = Assert.Single(server.Sink.Submissions);
        Assert.Equal("", submission.MailFrom);
        Assert.Equal(["a@example.com", "b@EXAMPLE.com"], submission.Recipients);
        Assert.Equal("From: x@client.test\r\n\r\n.stuffed\r\n..\r\nlast\r\n", Encoding.ASCII.GetString(submission.Message));
    }

    [Fact]
    public async Task Should_advertise_its_extensions_in_reply_to_EHLO()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var ehlo = await client.EhloAsync();

        Assert.Equal("mx.gateway.test Hello client.test", ehlo.Lines[0]);
        Assert.Equal(["SIZE 65536", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", "SMTPUTF8"], ehlo.Lines.Skip(1));
    }

    [Fact]
    public async Task Should_answer_HELO_VRFY_HELP_and_NOOP()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var helo = await client.CommandAsync("HELO client.test");
        var vrfy = await client.CommandAsync("VRFY alice");
        var help = await client.CommandAsync("HELP");
        var noop = await client.CommandAsync("NOOP");
        var mail = await client.CommandAsync("MAIL FROM:<a@client.test>");

        Assert.Equal(250, helo.Code);
        Assert.Equal("mx.gateway.test", helo.Text);
        Assert.True(vrfy.Is(252, "2.1.5"), vrfy.ToString());
        Assert.True(help.Is(214, "2.0.0"), help.ToString());
        Assert.Contains("EHLO", help.Text);
        Assert.True(noop.Is(250, "2.0.0"), noop.ToString());
        Assert.True(mail.Is(250, "2.1.0"), mail.ToString());
    }

    [Fact]
    public async Task Should_forget_the_transaction_on_RSET()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");

        var rset = await client.CommandAsync("RSET");
        var data = await client.CommandAsync("DATA");
        var rcpt = await client.CommandAsync("RCPT TO:<b@example.com>");
        var mail = await client.CommandAsync("MAIL FROM:<a@client.test>");

        Assert.True(rset.Is(250, "2.0.0"), rset.ToString());
        Assert.True(data.Is(503, "5.5.1"), data.ToString());
        Assert.True(rcpt.Is(503, "5.5.1"), rcpt.ToString());
        Assert.True(mail.Is(250, "2.1.0"), mail.ToString());
        Assert.Empty(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_accept_UTF8_addresses_only_with_SMTPUTF8()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        var withoutExtension = await client.CommandAsync("MAIL FROM:<zoë@client.test>");
        var mail = await client.CommandAsync("MAIL FROM:<zoë@client.test> SMTPUTF8 BODY=8BITMIME");
        var rcpt = await client.CommandAsync("RCPT TO:<müller@example.com>");

        Assert.True(withoutExtension.Is(500, "5.5.2"), withoutExtension.ToString());
        Assert.True(mail.Is(250, "2.1.0"), mail.ToString());
        Assert.True(rcpt.Is(250, "2.1.5"), rcpt.ToString());
    }

    [Fact]
    public async Task Should_log_each_session_event_with_its_code_and_session_id()
    {
        await using var server = await TestSmtpServer.StartAsync();
        using (var client = await server.ConnectMailKitAsync())
        {
            await client.SendAsync(TestSmtpServer.Message("logged", "body", "a@example.com"));
            await client.DisconnectAsync(quit: true);
        }
        await server.WaitForNoSessionsAsync();

        var sessionId = server.Sink.Submissions.Single().Source.Split(':')[1];
        var opened = Assert.Single(server.Log.WithCode(SmtpLogCodes.SessionOpened));
        var accepted = Assert.Single(server.Log.WithCode(SmtpLogCodes.Accepted));
        var closed = Assert.Single(server.Log.WithCode(SmtpLogCodes.SessionClosed));
        Assert.All([opened, accepted, closed], e => Assert.Equal(sessionId, e.SessionId));
        Assert.Equal("q1", accepted.Properties["QueueId"]);
        Assert.Single(server.Log.WithCode(SmtpLogCodes.Listening));
        // Every event of ours carries a code; nothing from the generic host's "Now listening on: http://…".
        Assert.All(server.Log.Entries.Where(e => e.Category.StartsWith("ActorGateway.", StringComparison.Ordinal)), e => Assert.StartsWith("GW-SMTP-", e.Code));
        Assert.DoesNotContain(server.Log.Entries, e => e.Category.StartsWith("Microsoft.Hosting.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_tell_idle_sessions_421_when_it_stops()
    {
        var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        await server.DisposeAsync();

        var replies = await client.ReadUntilClosedAsync();
        var reply = Assert.Single(replies);
        Assert.True(reply.Is(421, "4.3.2"), reply.ToString());
        await Assert.ThrowsAnyAsync<Exception>(() => RawSmtpClient.ConnectAsync(server.EndPoint));
    }

    [Fact]
    public async Task Should_run_as_a_hosted_service()
    {
        var sink = new FakeMessageSink();
        var service = new SmtpListenerService(TestSmtpServer.DefaultOptions, () => sink, NullLoggerFactory.Instance);
        await using (service)
        {
            await service.StartAsync(CancellationToken.None);
            var endPoint = service.Server!.EndPoint;
            Assert.NotEqual(0, endPoint.Port);
            await using (var client = await RawSmtpClient.ConnectGreetedAsync(endPoint))
            {
                Assert.Equal(221, (await client.CommandAsync("QUIT")).Code);
            }
            await service.StopAsync(CancellationToken.None);
        }
    }

    private static byte[] Serialize(MimeMessage message)
    {
        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(format, stream);
        return stream.ToArray();
    }
}
