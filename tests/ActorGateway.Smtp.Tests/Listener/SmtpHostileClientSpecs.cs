using System.Diagnostics;
using System.Text;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>
/// Clients that break the rules, over raw sockets. Each test checks the exact reply, that nothing
/// reached the sink that should not have, and that a fresh client is still served afterwards.
/// </summary>
public sealed class SmtpHostileClientSpecs
{
    [Fact]
    public async Task Should_reply_500_5_5_2_to_an_over_long_command_line_and_stay_in_step()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var tooLong = await client.CommandAsync("NOOP " + new string('A', 2000));
        var exactlyAtLimit = await client.CommandAsync("NOOP " + new string('A', 512 - "NOOP \r\n".Length));
        var next = await client.CommandAsync("NOOP");

        Assert.True(tooLong.Is(500, "5.5.2"), tooLong.ToString());
        Assert.True(exactlyAtLimit.Is(250, "2.0.0"), exactlyAtLimit.ToString());
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        Assert.Contains(server.Log.WithCode(SmtpLogCodes.Limit), e => e.Properties.ContainsKey("MaxLineLength"));
        await server.AssertStillServesAsync();
    }

    [Theory]
    [InlineData("NOOP\n")]
    [InlineData("NOOP\rNOOP\r\n")]
    public async Task Should_reply_500_5_5_2_to_a_bare_LF_or_CR_in_a_command(string bytes)
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync(bytes);
        var reply = await client.ReadReplyAsync();
        var next = await client.CommandAsync("NOOP");

        Assert.True(reply!.Is(500, "5.5.2"), reply.ToString());
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_reply_503_5_5_1_to_DATA_without_RCPT()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");

        var data = await client.CommandAsync("DATA");
        var noMailData = await client.CommandAsync("RSET") is { Code: 250 } ? await client.CommandAsync("DATA") : null;

        Assert.True(data.Is(503, "5.5.1"), data.ToString());
        Assert.True(noMailData!.Is(503, "5.5.1"), noMailData.ToString());
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_reply_503_5_5_1_to_MAIL_before_EHLO_or_HELO()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var mail = await client.CommandAsync("MAIL FROM:<a@client.test>");
        var rcpt = await client.CommandAsync("RCPT TO:<b@example.com>");

        Assert.True(mail.Is(503, "5.5.1"), mail.ToString());
        Assert.True(rcpt.Is(503, "5.5.1"), rcpt.ToString());
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_cap_recipients_with_452_4_5_3_and_stay_responsive_under_ten_thousand_RCPT_commands()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        var batch = new StringBuilder();
        for (var i = 0; i < 10_000; i++) batch.Append("RCPT TO:<user").Append(i).Append("@example.com>\r\n");
        batch.Append("NOOP\r\n");
        var stopwatch = Stopwatch.StartNew();

        // Read while writing: the replies outgrow the socket buffers long before the commands are all sent.
        var send = client.SendAsync(batch.ToString());
        var replies = new List<RawReply>();
        for (var i = 0; i < 10_001; i++) replies.Add(await client.ReadReplyAsync() ?? throw new IOException($"closed after {i} replies"));
        await send;

        Assert.All(replies.Take(100), r => Assert.True(r.Is(250, "2.1.5"), r.ToString()));
        Assert.All(replies.Skip(100).Take(9_900), r => Assert.True(r.Is(452, "4.5.3"), r.ToString()));
        Assert.True(replies[^1].Is(250, "2.0.0"), replies[^1].ToString());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"took {stopwatch.Elapsed}");
        // The transaction kept the first 100 and can still be completed.
        Assert.Equal(354, (await client.CommandAsync("DATA")).Code);
        Assert.Equal(250, (await client.CommandAsync("From: a@client.test\r\n\r\nhi\r\n.")).Code);
        Assert.Equal(100, Assert.Single(server.Sink.Submissions).Recipients.Count);
        Assert.Single(server.Log.WithCode(SmtpLogCodes.Limit), e => e.Properties.ContainsKey("MaxRecipients"));
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_survive_pipelined_garbage_with_NULs_and_close_with_421_4_7_0()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var garbage = new byte[64 * 1024];
        new Random(20_250_321).NextBytes(garbage);
        for (var i = 0; i < garbage.Length; i += 97) garbage[i] = 0;
        for (var i = 50; i < garbage.Length; i += 200) garbage[i] = (byte)'\n';

        try
        {
            await client.SendAsync(garbage);
        }
        catch (IOException)
        {
            // The server may close while the garbage is still being written; that is a fine outcome.
        }
        var replies = await client.ReadUntilClosedAsync();

        Assert.NotEmpty(replies);
        Assert.All(replies, r => Assert.True(r.Code is 500 or 421, r.ToString()));
        Assert.True(replies[^1].Is(421, "4.7.0"), replies[^1].ToString());
        Assert.Empty(server.Sink.Submissions);
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_close_with_421_4_7_0_at_the_tenth_error()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        for (var i = 1; i < 10; i++)
        {
            var reply = await client.CommandAsync("BOGUS" + i);
            Assert.True(reply.Is(500, "5.5.1"), reply.ToString());
        }
        await client.SendAsync("BOGUS10\r\n");
        var closing = await client.ReadUntilClosedAsync();

        var last = Assert.Single(closing);
        Assert.True(last.Is(421, "4.7.0"), last.ToString());
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_accept_nothing_when_the_client_disconnects_in_the_middle_of_DATA()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using (var client = await server.ConnectAsync())
        {
            await client.EhloAsync();
            await client.CommandAsync("MAIL FROM:<a@client.test>");
            await client.CommandAsync("RCPT TO:<b@example.com>");
            Assert.Equal(354, (await client.CommandAsync("DATA")).Code);
            await client.SendAsync("From: a@client.test\r\nTo: b@example.com\r\n\r\nhalf a message\r\n");
        }

        await server.WaitForNoSessionsAsync();
        Assert.Empty(server.Sink.Submissions);
        Assert.Single(server.Log.WithCode(SmtpLogCodes.DataAborted));
        await server.AssertStillServesAsync();
    }

    [Theory]
    [InlineData(new byte[] { (byte)'N', (byte)'O', (byte)'O', (byte)'P', (byte)' ', 0xFF, 0xFE })]
    [InlineData(new byte[] { (byte)'V', (byte)'R', (byte)'F', (byte)'Y', (byte)' ', 0xC3, 0x28 })]
    [InlineData(new byte[] { (byte)'N', (byte)'O', 0x00, (byte)'O', (byte)'P' })]
    [InlineData(new byte[] { (byte)'V', (byte)'R', (byte)'F', (byte)'Y', (byte)' ', 0xC3, 0xA9 })]
    public async Task Should_reply_500_5_5_2_to_invalid_UTF8_control_characters_or_unannounced_non_ASCII_in_a_command(byte[] command)
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync([.. command, (byte)'\r', (byte)'\n']);
        var reply = await client.ReadReplyAsync();

        Assert.True(reply!.Is(500, "5.5.2"), reply.ToString());
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_reply_500_5_5_2_to_invalid_UTF8_even_with_SMTPUTF8()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        await client.SendAsync([.. "MAIL FROM:<"u8, 0xC3, 0x28, .. "@client.test> SMTPUTF8\r\n"u8]);
        var reply = await client.ReadReplyAsync();

        Assert.True(reply!.Is(500, "5.5.2"), reply.ToString());
    }

    [Fact]
    public async Task Should_reply_552_5_3_4_to_a_declared_SIZE_over_the_limit()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        var tooBig = await client.CommandAsync("MAIL FROM:<a@client.test> SIZE=65537");
        var fits = await client.CommandAsync("MAIL FROM:<a@client.test> SIZE=65536");

        Assert.True(tooBig.Is(552, "5.3.4"), tooBig.ToString());
        Assert.True(fits.Is(250, "2.1.0"), fits.ToString());
    }

    [Fact]
    public async Task Should_reply_552_5_3_4_to_a_message_over_the_limit_and_submit_nothing()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");
        var line = new string('x', 998) + "\r\n";
        var body = new StringBuilder("From: a@client.test\r\n\r\n");
        while (body.Length <= 70 * 1024) body.Append(line);

        var reply = await client.CommandAsync(body + ".");
        var next = await client.CommandAsync("NOOP");

        Assert.True(reply.Is(552, "5.3.4"), reply.ToString());
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        Assert.Empty(server.Sink.Submissions);
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_reject_a_message_with_a_line_over_1000_octets()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");

        var reply = await client.CommandAsync("From: a@client.test\r\n\r\n" + new string('x', 999) + "\r\n.");

        Assert.True(reply.Is(500, "5.5.2"), reply.ToString());
        Assert.Empty(server.Sink.Submissions);
        await server.AssertStillServesAsync();
    }

    [Theory]
    [InlineData("hello\n.\nMAIL FROM:<evil@client.test>\r\n")]
    [InlineData("hello\r\n.\nRCPT TO:<evil@example.com>\r\n")]
    [InlineData("hello\r.\r\n")]
    [InlineData("hello\n.\r\nMAIL FROM:<evil@client.test>\r\nRCPT TO:<evil@example.com>\r\nDATA\r\nFrom: evil@client.test\r\n\r\nspoof\r\n")]
    public async Task Should_reject_a_message_with_bare_line_endings_so_nothing_can_be_smuggled(string smuggled)
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");

        var reply = await client.CommandAsync("From: a@client.test\r\n\r\n" + smuggled + "tail\r\n.");
        var next = await client.CommandAsync("NOOP");

        Assert.True(reply.Is(500, "5.5.2"), reply.ToString());
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        Assert.Empty(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_close_an_idle_session_with_421_4_4_2_after_the_command_timeout()
    {
        await using var server = await TestSmtpServer.StartAsync(o => o with { CommandTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        var replies = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));

        var reply = Assert.Single(replies);
        Assert.True(reply.Is(421, "4.4.2"), reply.ToString());
        Assert.Single(server.Log.WithCode(SmtpLogCodes.Timeout));
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_close_with_421_4_4_2_and_accept_nothing_when_message_text_stops_coming()
    {
        await using var server = await TestSmtpServer.StartAsync(o => o with { DataTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");
        await client.SendAsync("From: a@client.test\r\n\r\nand then nothing");

        var replies = await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));

        var reply = Assert.Single(replies);
        Assert.True(reply.Is(421, "4.4.2"), reply.ToString());
        Assert.Empty(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_refuse_a_session_over_the_limit_with_421_4_3_2()
    {
        await using var server = await TestSmtpServer.StartAsync(o => o with { MaxSessions = 2 });
        var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();

        await using (var third = await RawSmtpClient.ConnectAsync(server.EndPoint))
        {
            var replies = await third.ReadUntilClosedAsync();
            var reply = Assert.Single(replies);
            Assert.True(reply.Is(421, "4.3.2"), reply.ToString());
        }
        Assert.Equal(221, (await first.CommandAsync("QUIT")).Code);
        await first.DisposeAsync();

        // The slot frees once the first session has ended.
        var deadline = DateTime.UtcNow + RawSmtpClient.DefaultTimeout;
        while (server.Server.ActiveSessions > 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first session did not end");
            await Task.Delay(20);
        }
        await server.AssertStillServesAsync();
        Assert.Contains(server.Log.WithCode(SmtpLogCodes.Limit), e => e.Properties.ContainsKey("MaxSessions"));
    }

    [Fact]
    public async Task Should_reply_500_5_5_1_to_unknown_commands_and_502_to_unimplemented_ones()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var unknown = await client.CommandAsync("GET / HTTP/1.1");
        var expn = await client.CommandAsync("EXPN staff");
        var startTls = await client.CommandAsync("STARTTLS");

        Assert.True(unknown.Is(500, "5.5.1"), unknown.ToString());
        Assert.True(expn.Is(502, "5.5.1"), expn.ToString());
        Assert.True(startTls.Is(502, "5.5.1"), startTls.ToString());
    }

    [Fact]
    public async Task Should_reply_451_4_3_0_and_never_250_when_the_sink_throws()
    {
        var sink = new FakeMessageSink { Respond = _ => throw new InvalidOperationException("journal exploded") };
        await using var server = await TestSmtpServer.StartAsync(sink: sink);
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");

        var reply = await client.CommandAsync("From: a@client.test\r\n\r\nhi\r\n.");
        var next = await client.CommandAsync("NOOP");

        Assert.True(reply.Is(451, "4.3.0"), reply.ToString());
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        Assert.Single(server.Log.WithCode(SmtpLogCodes.SubmitFailed));
    }
}
