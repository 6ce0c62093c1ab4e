using ActorGateway.Actors;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using ActorGateway.Smtp.Listener;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>Reply formatting, and the mapping from the gateway's verdicts to SMTP replies.</summary>
public sealed class SmtpRepliesSpecs
{
    [Fact]
    public void Should_format_multi_line_replies_and_neutralise_line_breaks_in_text()
    {
        var reply = new SmtpReply(550, "5.6.0", "GW-MIME-MALFORMED: bad\r\n250 2.0.0 injected", "second");

        Assert.Equal("550-5.6.0 GW-MIME-MALFORMED: bad??250 2.0.0 injected\r\n550 5.6.0 second\r\n", reply.ToString());
    }

    public static TheoryData<string, string> GatewayVerdicts => new()
    {
        { "accepted", "250 2.0.0 Ok: queued as 0192abcd" },
        { ReasonCodes.MimeTooLarge, "552 5.3.4 Message size exceeds fixed maximum message size (GW-MIME-TOO-LARGE)" },
        { ReasonCodes.MimeNoSender, "550 5.6.0 GW-MIME-NO-SENDER: reason text" },
        { ReasonCodes.MimeMalformed, "550 5.6.0 GW-MIME-MALFORMED: reason text" },
        { "deferred:" + ReasonCodes.Busy, "452 4.3.1 GW-BUSY: Insufficient system resources, try again later" },
        { "deferred:" + ReasonCodes.IntakeUnreadable, "451 4.3.0 GW-INTAKE-UNREADABLE: Temporary local problem, try again later" },
        { "deferred:" + ReasonCodes.Shutdown, "451 4.3.0 GW-SHUTTING-DOWN: Temporary local problem, try again later" },
    };

    [Theory]
    [MemberData(nameof(GatewayVerdicts))]
    public void Should_map_each_gateway_verdict_to_its_reply(string verdict, string expected)
    {
        SubmitResult result = verdict switch
        {
            "accepted" => new SubmitResult.Accepted(MessageId.Parse("0192abcd")),
            _ when verdict.StartsWith("deferred:", StringComparison.Ordinal) => new SubmitResult.Deferred(verdict["deferred:".Length..], "reason text"),
            _ => new SubmitResult.Rejected(verdict, "reason text"),
        };

        var reply = GatewaySmtpSink.Map(result).ToReply();

        Assert.Equal(expected + "\r\n", reply.ToString());
        Assert.Equal(result is SubmitResult.Accepted, reply.Code == 250);
    }
}
