using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Domain.Tests.Operations;

public class ReplayPreviewTests
{
    private static readonly MessageId Id = MessageId.Parse("m1");
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly SourceAddress Sender = new(AddressRole.Sender, "admin@fabrikam.com", "Exchange Admin");
    private static readonly SourceAddress Blank = new(AddressRole.To, "jdoe@contoso.com", "     ");
    private static readonly SourceAddress Alice = new(AddressRole.To, "alice@contoso.com", "Alice Smith");

    private static RouteTable Routes(string directoryCsv = "") =>
        new([new Route("profs", ["contoso.com"], TestData.Profile(directoryCsv.Length == 0 ? AddressDirectory.Empty : TestData.Directory(directoryCsv)))]);

    private static MessageState Fold(params IMessageEvent[] events) => events.Aggregate(MessageState.Empty, (s, e) => s.Apply(e));

    private static MessageAccepted Accepted(params SourceAddress[] recipients) =>
        new(Id, "017-poison-blank-display-name.eml", 400, new MessageEnvelope(Sender, recipients, "Q189789", "<p@x>"), T0);

    private static RecipientFailure BlankFailure() =>
        new(AddressRole.To, Blank.Address, ReasonCodes.MapBlankDisplayName, Stage.Mapping, "no directory entry and the display name is blank (5 x U+0020)", "profs");

    /// <summary>The seed's poison message: nothing mapped, dead-lettered at mapping.</summary>
    private static MessageState Poison() =>
        Fold(Accepted(Blank),
            new MessageDeadLettered(Id, ReasonCodes.MapBlankDisplayName, Stage.Mapping, Blank.Address, "MessageUnmappableException", "no recipient can be mapped",
                null, 1, T0.AddSeconds(1), [BlankFailure()]));

    [Fact]
    public void Should_show_that_the_poison_message_still_fails_without_a_directory_entry()
    {
        var preview = ReplayPreview.For(Id, Poison(), Routes());

        Assert.True(preview.Quarantined);
        Assert.False(preview.WouldMap);
        Assert.Equal(1, preview.StillFailing);
        var jdoe = Assert.Single(preview.Addresses, a => a.Role == AddressRole.To);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, jdoe.Old.Code);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, jdoe.New.Code);
        Assert.False(jdoe.Changed);
    }

    [Fact]
    public void Should_show_the_new_target_once_the_directory_has_an_entry()
    {
        var preview = ReplayPreview.For(Id, Poison(), Routes("jdoe@contoso.com,JDOE,VMNODE1"));

        Assert.True(preview.WouldMap);
        Assert.Equal(1, preview.WouldMapCount);
        Assert.Equal(0, preview.StillFailing);
        var jdoe = Assert.Single(preview.Addresses, a => a.Role == AddressRole.To);
        Assert.Equal(AddressOutcome.FailedKind, jdoe.Old.Kind);
        Assert.Equal(AddressOutcome.MappedKind, jdoe.New.Kind);
        Assert.Equal("JDOE@VMNODE1", jdoe.New.Target);
        Assert.Equal("profs", jdoe.New.Route);
        Assert.True(jdoe.Changed);
        var sender = Assert.Single(preview.Addresses, a => a.Role == AddressRole.Sender);
        Assert.Equal(AddressOutcome.UnknownKind, sender.Old.Kind); // mapping never finished for the poison message
        Assert.False(sender.Changed);
        Assert.Equal("admin@fabrikam.com", sender.New.Target);     // no route covers fabrikam.com: passes through
    }

    [Fact]
    public void Should_keep_recipients_delivered_before_as_settled_and_preview_only_the_failed_ones()
    {
        var state = Fold(Accepted(Alice, Blank),
            new RecipientsMapped(Id, new MappedAddress(AddressRole.Sender, Sender.Address, Sender.Address, "passthrough"),
                [new MappedAddress(AddressRole.To, Alice.Address, "ASMITH@VMNODE1", "template", "profs", "spool")], T0.AddSeconds(1), [BlankFailure()]),
            new MessageDelivered(Id, "spool", "outbound/m1.eml", false, 1, T0.AddSeconds(2), ["ASMITH@VMNODE1"]),
            new MessageDeadLettered(Id, ReasonCodes.MapBlankDisplayName, Stage.Mapping, Blank.Address, "AddressMappingException", "blank",
                null, 1, T0.AddSeconds(3), [BlankFailure()], Partial: true));

        var preview = ReplayPreview.For(Id, state, Routes("jdoe@contoso.com,JDOE,VMNODE1"));

        var alice = Assert.Single(preview.Addresses, a => a.Address == Alice.Address);
        Assert.Equal(AddressOutcome.DeliveredKind, alice.Old.Kind);
        Assert.Equal(AddressOutcome.DeliveredKind, alice.New.Kind);
        Assert.False(alice.Changed);
        Assert.Equal(1, preview.WouldMapCount); // only jdoe is mapped again
        Assert.True(preview.WouldMap);
        var sender = Assert.Single(preview.Addresses, a => a.Role == AddressRole.Sender);
        Assert.Equal(AddressOutcome.MappedKind, sender.Old.Kind);
        Assert.False(sender.Changed);
    }

    [Fact]
    public void Should_report_a_recipient_refused_at_delivery_as_unchanged_when_it_maps_to_the_same_target()
    {
        var refused = new RecipientFailure(AddressRole.To, "ASMITH@VMNODE1", ReasonCodes.RecipientRefused, Stage.Delivery, "550 5.1.1 user unknown", "profs", "550 5.1.1 user unknown");
        var state = Fold(Accepted(Alice),
            new RecipientsMapped(Id, new MappedAddress(AddressRole.Sender, Sender.Address, Sender.Address, "passthrough"),
                [new MappedAddress(AddressRole.To, Alice.Address, "ASMITH@VMNODE1", "template", "profs", "spool")], T0.AddSeconds(1)),
            new MessageDelivered(Id, "spool", "-", false, 1, T0.AddSeconds(2), [], [refused]),
            new MessageDeadLettered(Id, ReasonCodes.RecipientRefused, Stage.Delivery, "ASMITH@VMNODE1", "RecipientRefused", "refused", null, 1, T0.AddSeconds(3), [refused]));

        var preview = ReplayPreview.For(Id, state, Routes());

        var alice = Assert.Single(preview.Addresses, a => a.Address == Alice.Address);
        Assert.Equal(ReasonCodes.RecipientRefused, alice.Old.Code);
        Assert.Equal("ASMITH@VMNODE1", alice.Old.Target);
        Assert.Equal("ASMITH@VMNODE1", alice.New.Target);
        Assert.False(alice.Changed);
        Assert.True(preview.WouldMap);
    }

    [Fact]
    public void Should_not_map_when_the_sender_on_a_routed_domain_cannot_be_mapped()
    {
        var blankSender = new SourceAddress(AddressRole.Sender, "ops@contoso.com", " ");
        var state = Fold(new MessageAccepted(Id, "x.eml", 10, new MessageEnvelope(blankSender, [Alice], "s", null), T0));

        var preview = ReplayPreview.For(Id, state, Routes());

        Assert.False(preview.Quarantined);
        Assert.False(preview.WouldMap);
        var sender = Assert.Single(preview.Addresses, a => a.Role == AddressRole.Sender);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, sender.New.Code);
    }

    [Fact]
    public void Should_refuse_a_message_that_was_never_accepted()
    {
        Assert.Throws<InvalidOperationException>(() => ReplayPreview.For(Id, MessageState.Empty, Routes()));
    }
}
