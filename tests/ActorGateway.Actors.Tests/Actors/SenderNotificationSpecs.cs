using System.Text;
using Akka.Actor;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>Routes with notify-sender = on send the sender an RFC 3464 DSN, never to the null sender, never in a loop.</summary>
public sealed class SenderNotificationSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string NotifyingRoutes = """
        actor-gateway.dsn.reporting-mta = "gateway.test"
        actor-gateway.routes = [ { name = "profs", domains = ["contoso.com"], notify-sender = on, profile { kind = "profs", node = "VMNODE1" } } ]
        """;

    private readonly TestDataDir _dir;
    private readonly ScriptedTransport _smtp = new("smtp");

    public SenderNotificationSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private SenderNotificationSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(NotifyingRoutes), "dsn-specs", output) => _dir = dir;

    private GatewayHarness Harness() => new(Sys, new GatewayNodeOptions(Transports: [_smtp]));

    [Fact]
    public async Task Should_send_the_sender_a_dsn_from_the_null_sender_naming_only_the_failed_recipient()
    {
        using var harness = Harness();
        var id = await harness.SubmitAsync(TestMessages.Build(1, "Grace Hopper", "grace@contoso.com", cc: "\"   \" <ghost@contoso.com>"));

        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.PartiallyDelivered, outcome.Outcome);
        var (dsnId, bytes) = Assert.Single(_smtp.Messages);
        var envelope = Assert.Single(_smtp.Envelopes);
        Assert.Equal("", envelope.Sender);
        Assert.Equal(["bob@fabrikam.com"], envelope.Recipients);
        Assert.Equal(id.Value + "-dsn", dsnId.Value);
        var dsn = Encoding.UTF8.GetString(bytes);
        Assert.Contains("report-type=delivery-status", dsn);
        Assert.Contains("Final-Recipient: rfc822; ghost@contoso.com", dsn);
        Assert.DoesNotContain("grace@contoso.com", dsn.Split("text/rfc822-headers")[0].Split("message/delivery-status")[1]);
        Assert.Contains("Status: 5.1.3", dsn);
        Assert.Contains("Reporting-MTA: dns; gateway.test", dsn);

        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        Assert.IsType<SenderNotified>(timeline[^1].Event);
        Assert.True(Assert.Single(timeline.Select(t => t.Event).OfType<MessageDeadLettered>()).NotifySender);
    }

    [Fact]
    public async Task Should_never_send_a_dsn_to_the_null_sender()
    {
        using var harness = Harness();
        var result = await harness.Node.Ingress.SubmitAsync(TestMessages.Poison(2), "smtp-test", envelopeRecipients: ["ghost@contoso.com"], returnPath: "");
        var id = Assert.IsType<SubmitResult.Accepted>(result).MessageId;

        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
        Assert.Empty(_smtp.Messages);
        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        Assert.False(Assert.Single(timeline.Select(t => t.Event).OfType<MessageDeadLettered>()).NotifySender);
    }

    [Fact]
    public async Task Should_not_answer_an_automatic_message_with_a_dsn()
    {
        using var harness = Harness();
        var autoReply = "Auto-Submitted: auto-replied\r\n" + Encoding.UTF8.GetString(TestMessages.Poison(3));
        var id = await harness.SubmitAsync(Encoding.UTF8.GetBytes(autoReply));

        await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(_smtp.Messages);
        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        var settled = Assert.IsType<SenderNotificationFailed>(timeline[^1].Event);
        Assert.Equal(ReasonCodes.DsnSuppressed, settled.Reason);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
