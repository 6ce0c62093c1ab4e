using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>
/// No open relay: RCPT TO is accepted only for a domain the sink routes. Source routes, the
/// percent hack, bang paths and a quoted "@" in the local part are refused even when the final
/// domain is routed, since they ask whoever handles the mail next to forward it elsewhere.
/// A recipient without a domain (even RFC 5321's bare &lt;postmaster&gt;) is refused too: the
/// gateway routes by domain only.
/// </summary>
public sealed class SmtpRelaySpecs
{
    [Theory]
    [InlineData("<user@elsewhere.test>")]
    [InlineData("<postmaster@elsewhere.test>")]
    [InlineData("<user>")]
    [InlineData("<postmaster>")]
    [InlineData("<@a.test,@b.test:user@elsewhere.test>")]
    [InlineData("<@a.test:user@example.com>")]
    [InlineData("<user%elsewhere.test@example.com>")]
    [InlineData("<elsewhere.test!user@example.com>")]
    [InlineData("<\"user@elsewhere.test\"@example.com>")]
    [InlineData("<user@[127.0.0.1]>")]
    [InlineData("<user@example.com.elsewhere.test>")]
    [InlineData("<user@sub.example.com>")]
    public async Task Should_refuse_recipients_outside_the_routed_domains_with_550_5_7_1(string path)
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");

        var refused = await client.CommandAsync($"RCPT TO:{path}");
        var data = await client.CommandAsync("DATA");
        var routed = await client.CommandAsync("RCPT TO:<user@Example.COM>");

        Assert.True(refused.Is(550, "5.7.1"), refused.ToString());
        Assert.True(data.Is(503, "5.5.1"), data.ToString());
        Assert.True(routed.Is(250, "2.1.5"), routed.ToString());
        Assert.Single(server.Log.WithCode(SmtpLogCodes.RelayDenied));
        Assert.Empty(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_accept_the_null_sender()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();

        var mail = await client.CommandAsync("MAIL FROM:<>");
        var rcpt = await client.CommandAsync("RCPT TO:<postmaster@example.com>");

        Assert.True(mail.Is(250, "2.1.0"), mail.ToString());
        Assert.True(rcpt.Is(250, "2.1.5"), rcpt.ToString());
    }

    [Fact]
    public async Task Should_refuse_a_null_recipient_as_bad_syntax()
    {
        await using var server = await TestSmtpServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<>");

        var rcpt = await client.CommandAsync("RCPT TO:<>");

        Assert.True(rcpt.Is(501, "5.1.3"), rcpt.ToString());
    }
}
