using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>One bad recipient never costs the others their delivery.</summary>
public sealed class PerRecipientSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public PerRecipientSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private PerRecipientSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "per-recipient-specs", output) => _dir = dir;

    [Fact]
    public async Task Should_deliver_to_two_recipients_and_dead_letter_only_the_blank_named_third()
    {
        using var harness = new GatewayHarness(Sys);
        var message = TestMessages.Build(1, "Grace Hopper", "grace@contoso.com", cc: "\"   \" <ghost@contoso.com>, \"Smith, John\" <john@contoso.com>");

        var id = await harness.SubmitAsync(message);
        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.PartiallyDelivered, outcome.Outcome);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, outcome.Reason);
        var spooled = await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + ".eml"));
        Assert.Contains("X-Receiver: GHOPPER@VMNODE1", spooled);
        Assert.Contains("X-Receiver: JSMITH@VMNODE1", spooled);
        Assert.DoesNotContain("ghost", spooled.Split("\r\n\r\n")[0].Split("X-Gateway-Original-Cc")[0]);

        var entry = (await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterLookup>(
            new DeadLetterQueueProtocol.GetDeadLetter(id), TimeSpan.FromSeconds(5))).Entry!;
        Assert.True(entry.Partial);
        var failed = Assert.Single(entry.Recipients!);
        Assert.Equal("ghost@contoso.com", failed.Address);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, failed.Reason);
        Assert.Equal(Stage.Mapping, failed.Stage);
        Assert.Equal(1, harness.MapperStarts[id]);

        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        Assert.Equal(["message-accepted.v1", "recipients-mapped.v1", "message-delivered.v1", "message-dead-lettered.v1"],
            timeline.Select(t => t.Manifest));
    }

    [Fact]
    public async Task Should_retry_only_deferred_recipients_and_dead_letter_only_refused_ones()
    {
        var target = new ScriptedTransport(deferrals: 2);
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: target));
        // Mapped: AOK, DLATER (deferred twice), RGONE (refused).
        var message = TestMessages.Build(2, "Alice Ok", "a@contoso.com", cc: "\"Dee Later\" <d@contoso.com>, \"Ron Gone\" <r@contoso.com>");

        var id = await harness.SubmitAsync(message);
        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.PartiallyDelivered, outcome.Outcome);
        Assert.Equal(ReasonCodes.RecipientRefused, outcome.Reason);
        var envelopes = target.Envelopes.ToList();
        Assert.Equal(3, envelopes.Count);
        Assert.Equal(["AOK@VMNODE1", "DLATER@VMNODE1", "RGONE@VMNODE1"], envelopes[0].Recipients);
        Assert.Equal(["DLATER@VMNODE1"], envelopes[1].Recipients); // only the deferred one is retried
        Assert.Equal(["DLATER@VMNODE1"], envelopes[2].Recipients);

        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        Assert.Equal(2, timeline.Count(t => t.Event is DeliveryAttempted));
        var delivered = Assert.Single(timeline.Select(t => t.Event).OfType<MessageDelivered>());
        Assert.Equal(["DLATER@VMNODE1"], delivered.Delivered!);
        var dead = Assert.Single(timeline.Select(t => t.Event).OfType<MessageDeadLettered>());
        Assert.True(dead.Partial);
        var refused = Assert.Single(dead.Recipients!);
        Assert.Equal("RGONE@VMNODE1", refused.Address);
        Assert.Equal("550 5.1.1 user unknown", refused.Reply);
        Assert.Equal(Stage.Delivery, refused.Stage);
    }

    [Fact]
    public async Task Should_dead_letter_the_whole_message_when_no_recipient_can_be_mapped_and_list_every_one()
    {
        using var harness = new GatewayHarness(Sys);
        var message = TestMessages.Build(3, " ", "x@contoso.com", cc: "<y@nowhere.example>");

        var id = await harness.SubmitAsync(message);
        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
        var entry = (await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterLookup>(
            new DeadLetterQueueProtocol.GetDeadLetter(id), TimeSpan.FromSeconds(5))).Entry!;
        Assert.False(entry.Partial);
        Assert.Equal([ReasonCodes.MapBlankDisplayName, ReasonCodes.NoRoute], entry.Recipients!.Select(r => r.Reason));
        Assert.Equal(1, entry.Attempts);
    }

    [Fact]
    public async Task Should_map_through_an_smtp_rewrite_route_matched_by_wildcard()
    {
        var config = _dir.Config("""
            actor-gateway.routes = [
              { name = "partners", domains = ["*.fabrikam.com"], profile { kind = "smtp-rewrite", domain = "mail.example.net", local-part = "{first-initial}.{surname}" } },
              { name = "profs", domains = ["contoso.com"], profile { kind = "profs", node = "VMNODE1" } }
            ]
            """);
        var system = ActorSystem.Create("rewrite", config);
        try
        {
            using var harness = new GatewayHarness(system);
            var id = await harness.SubmitAsync(TestMessages.Build(4, "Zoë Müller", "zoe@eu.fabrikam.com", cc: "\"Ada Lovelace\" <ada@contoso.com>"));
            var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(Outcomes.Delivered, outcome.Outcome);
            var spooled = await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + ".eml"));
            Assert.Contains("X-Receiver: z.muller@mail.example.net", spooled);
            Assert.Contains("X-Receiver: ALOVELAC@VMNODE1", spooled);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
