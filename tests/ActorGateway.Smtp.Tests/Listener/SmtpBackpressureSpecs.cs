using ActorGateway.Domain;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;
using MailKit.Net.Smtp;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>The sink's verdict decides the reply after DATA; only Accepted gives 250.</summary>
public sealed class SmtpBackpressureSpecs
{
    public static TheoryData<string, int, string> Verdicts => new()
    {
        { "busy", 452, "4.3.1" },
        { "journal-down", 451, "4.3.0" },
        { "too-large", 552, "5.3.4" },
        { "malformed", 550, "5.6.0" },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public async Task Should_answer_the_sinks_verdict_after_DATA(string verdict, int code, string enhanced)
    {
        var sink = new FakeMessageSink { Respond = _ => Result(verdict) };
        await using var server = await TestSmtpServer.StartAsync(sink: sink);
        await using var client = await server.ConnectAsync();
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");
        await client.CommandAsync("RCPT TO:<b@example.com>");
        await client.CommandAsync("DATA");

        var reply = await client.CommandAsync("From: a@client.test\r\n\r\nhi\r\n.");
        var next = await client.CommandAsync("MAIL FROM:<a@client.test>");

        Assert.True(reply.Is(code, enhanced), reply.ToString());
        Assert.DoesNotContain("/var/secret", reply.Text);
        Assert.True(next.Is(250, "2.1.0"), next.ToString());
        Assert.Single(server.Sink.Submissions);
    }

    [Fact]
    public async Task Should_let_MailKit_see_452_when_the_gateway_is_busy_and_250_once_it_is_not()
    {
        var busy = true;
        var sink = new FakeMessageSink();
        sink.Respond = _ => busy ? FakeMessageSink.Busy : new SmtpSubmitResult.Accepted("q-later");
        await using var server = await TestSmtpServer.StartAsync(sink: sink);
        using var client = await server.ConnectMailKitAsync();
        var message = TestSmtpServer.Message("retry me", "body", "a@example.com");

        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        busy = false;
        var accepted = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);

        Assert.Equal(SmtpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.StartsWith("4.3.1 GW-BUSY", refused.Message);
        Assert.Equal("2.0.0 Ok: queued as q-later", accepted);
        Assert.Single(server.Log.WithCode(SmtpLogCodes.Deferred));
    }

    private static SmtpSubmitResult Result(string verdict) => verdict switch
    {
        "busy" => FakeMessageSink.Busy,
        "journal-down" => FakeMessageSink.JournalDown,
        "too-large" => new SmtpSubmitResult.Rejected(ReasonCodes.MimeTooLarge, "message is 99 bytes; the limit is 98"),
        "malformed" => new SmtpSubmitResult.Rejected(ReasonCodes.MimeNoSender, "no From or Sender mailbox"),
        _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
    };
}
