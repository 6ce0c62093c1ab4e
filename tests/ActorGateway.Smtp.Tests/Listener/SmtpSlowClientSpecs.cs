using System.Net;
using System.Text;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>
/// Slowloris and its kin, over raw sockets: a client that trickles one octet at a time (each within the idle
/// timeout) must still be closed at the command or data deadline, one client address cannot take every session,
/// and the smaller protocol cases (NUL in the text, the bare &lt;postmaster&gt;) get their documented replies.
/// </summary>
public sealed class SmtpSlowClientSpecs
{
    /// <summary>Idle timeouts the trickle always beats (one octet every 500 ms), and deadlines it cannot.</summary>
    private static SmtpListenerOptions Slowloris(SmtpListenerOptions o) => o with
    {
        CommandTimeout = TimeSpan.FromSeconds(3),
        DataTimeout = TimeSpan.FromSeconds(3),
        CommandDeadline = TimeSpan.FromSeconds(2),
        DataDeadline = TimeSpan.FromSeconds(2),
    };

    /// <summary>Sends one octet every 500 ms (up to 40, about 20 s) until the server closes; returns the replies it sent.</summary>
    private static async Task<IReadOnlyList<RawReply>> TrickleAsync(RawSmtpClient client, byte octet)
    {
        var replies = client.ReadUntilClosedAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 40 && !replies.IsCompleted; i++)
        {
            try
            {
                await client.SendAsync([octet]);
            }
            catch (IOException)
            {
                break;
            }
            await Task.WhenAny(replies, Task.Delay(500));
        }
        return await replies;
    }

    [Fact]
    public async Task Should_close_a_session_whose_command_line_trickles_in_past_the_command_deadline()
    {
        await using var server = await TestSmtpServer.StartAsync(Slowloris);
        await using var client = await server.ConnectAsync();
        await client.SendAsync("NOOP");

        var replies = await TrickleAsync(client, (byte)'P');

        var last = Assert.Single(replies);
        Assert.True(last.Is(421, "4.4.2"), last.ToString());
        Assert.Contains("Command line not completed", last.Text);
        Assert.Single(server.Log.WithCode(SmtpLogCodes.SlowClient));
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_close_a_session_whose_message_text_trickles_in_past_the_data_deadline_and_accept_nothing()
    {
        await using var server = await TestSmtpServer.StartAsync(Slowloris);
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        Assert.Equal(250, (await client.CommandAsync("MAIL FROM:<slow@client.test>")).Code);
        Assert.Equal(250, (await client.CommandAsync("RCPT TO:<user@example.com>")).Code);
        Assert.Equal(354, (await client.CommandAsync("DATA")).Code);
        await client.SendAsync("Subject: slow\r\n\r\n");

        var replies = await TrickleAsync(client, (byte)'x');

        var last = Assert.Single(replies);
        Assert.True(last.Is(421, "4.4.2"), last.ToString());
        Assert.Contains("Message text not completed", last.Text);
        Assert.Empty(server.Sink.Submissions);
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_refuse_one_more_session_from_an_address_at_its_limit_with_421_4_7_0_and_serve_other_addresses()
    {
        await using var server = await TestSmtpServer.StartAsync(o => o with { MaxSessionsPerAddress = 2 });
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();

        await using var third = await RawSmtpClient.ConnectAsync(server.EndPoint);
        var refused = await third.ReadUntilClosedAsync();
        await using var other = await RawSmtpClient.ConnectFromAsync(server.EndPoint, IPAddress.Parse("127.0.0.2"));
        var otherGreeting = await other.ReadReplyAsync();

        var reply = Assert.Single(refused);
        Assert.True(reply.Is(421, "4.7.0"), reply.ToString());
        Assert.Contains("127.0.0.1", reply.Text);
        Assert.Equal(220, otherGreeting?.Code);
        Assert.Contains(server.Log.WithCode(SmtpLogCodes.Limit), e => e.Properties.ContainsKey("MaxSessionsPerAddress"));

        await first.CommandAsync("QUIT");
        await first.ReadUntilClosedAsync();
        await Wait(() => server.Server.ActiveSessions <= 2);
        await using var again = await server.ConnectAsync(); // a slot of 127.0.0.1 is free again
        Assert.Equal(250, (await again.CommandAsync("NOOP")).Code);
    }

    [Fact]
    public async Task Should_refuse_a_NUL_byte_in_the_message_text_with_500_5_5_2_and_stay_in_step()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<user@example.com>");
        await client.CommandAsync("DATA");

        var refused = await client.CommandAsync("From: a@client.test\r\nTo: user@example.com\r\nSubject: nul\r\n\r\nbefore\0after\r\n.");
        var next = await client.CommandAsync("NOOP");

        Assert.True(refused.Is(500, "5.5.2"), refused.ToString());
        Assert.Contains("NUL", refused.Text);
        Assert.True(next.Is(250, "2.0.0"), next.ToString());
        Assert.Empty(server.Sink.Submissions);
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task Should_accept_RCPT_TO_postmaster_and_deliver_it_to_the_configured_postmaster_address()
    {
        await using var server = await TestSmtpServer.StartAsync(o => o with { Postmaster = "hostmaster@example.com" });
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");

        var rcpt = await client.CommandAsync("RCPT TO:<Postmaster>");
        await client.CommandAsync("DATA");
        var accepted = await client.CommandAsync("From: a@client.test\r\nTo: postmaster\r\nSubject: abuse report\r\n\r\nhello\r\n.");

        Assert.True(rcpt.Is(250, "2.1.5"), rcpt.ToString());
        Assert.Equal(250, accepted.Code);
        var submission = Assert.Single(server.Sink.Submissions);
        Assert.Equal(["hostmaster@example.com"], submission.Recipients);
    }

    [Fact]
    public void Should_read_the_slow_client_limits_and_the_postmaster_from_the_shipped_configuration()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "gateway.conf")));

        var options = SmtpListenerOptions.FromConfig(config.GetConfig("actor-gateway.smtp"));

        Assert.NotNull(options.CommandDeadline);
        Assert.NotNull(options.DataDeadline);
        Assert.NotNull(options.MaxSessionsPerAddress);
        Assert.NotNull(options.Postmaster);
    }

    private static async Task Wait(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + RawSmtpClient.DefaultTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
