using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Domain.Tests.Messages;

/// <summary>The message's rules outside the event fold, with no ActorSystem: receipts, classification, DSNs, expiry, failures.</summary>
public class MessageRulesTests
{
    private static readonly MessageId Id = MessageId.Parse("m1");
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SourceAddress Sender = new(AddressRole.Sender, "jane@fabrikam.com", "Jane Doe");
    private static readonly SourceAddress John = new(AddressRole.To, "john@contoso.com", "John Smith");
    private static readonly SourceAddress Ann = new(AddressRole.Cc, "ann@partner.example", "Ann Lee");

    private static readonly MappedAddress JohnMapped = new(AddressRole.To, John.Address, "JSMITH@VMNODE1", "template", "profs", "spool");
    private static readonly MappedAddress AnnMapped = new(AddressRole.Cc, Ann.Address, "ann.lee@relay.example", "template", "partners", "smtp");

    private static RouteTable Routes(bool profsNotifies = false, bool partnersNotifies = false,
        IReadOnlyDictionary<Stage, IReadOnlyDictionary<string, FailureKind>>? partnersClassification = null) => new(
    [
        new Route("profs", ["contoso.com"], TestData.Profile(), "spool", profsNotifies),
        new Route("partners", ["partner.example"], TestData.Profile(), "smtp", partnersNotifies, partnersClassification),
    ]);

    private static MessageState Accepted(string? returnPath = "jane@fabrikam.com") =>
        MessageState.Empty.Apply(new MessageAccepted(Id, "001.eml", 100, new MessageEnvelope(Sender, [John, Ann], "Hi", "x@y", returnPath), T0));

    private static MessageState Mapped() =>
        Accepted().Apply(new RecipientsMapped(Id, new MappedAddress(AddressRole.Sender, Sender.Address, Sender.Address, "passthrough"), [JohnMapped, AnnMapped], T0.AddSeconds(1)));

    [Fact]
    public void Should_partition_a_receipt_into_delivered_refused_and_deferred_with_role_route_and_reply()
    {
        var receipt = new DeliveryReceipt("smtp://relay", false,
        [
            new RecipientResult("JSMITH@VMNODE1", RecipientDisposition.Delivered, "250 ok"),
            new RecipientResult("ann.lee@relay.example", RecipientDisposition.Refused, "550 5.1.1 user unknown"),
            new RecipientResult("stranger@relay.example", RecipientDisposition.Deferred, null),
        ]);

        var (delivered, refused, deferred) = MessageRules.PartitionReceipt([JohnMapped, AnnMapped], "smtp", receipt);

        Assert.Equal(["JSMITH@VMNODE1"], delivered);
        var r = Assert.Single(refused);
        Assert.Equal(new RecipientFailure(AddressRole.Cc, "ann.lee@relay.example", ReasonCodes.RecipientRefused, Stage.Delivery,
            "smtp answered: 550 5.1.1 user unknown", "partners", "550 5.1.1 user unknown"), r);
        var d = Assert.Single(deferred);
        Assert.Equal(ReasonCodes.RecipientDeferred, d.Reason);
        Assert.Equal(AddressRole.To, d.Role); // a recipient the mapping does not know is a To
        Assert.Null(d.Route);
        Assert.Equal("smtp answered: (no reply)", d.Detail);
    }

    [Fact]
    public void Should_match_receipt_recipients_to_the_mapping_without_regard_to_case()
    {
        var receipt = new DeliveryReceipt("x", false, [new RecipientResult("jsmith@vmnode1", RecipientDisposition.Refused, "550")]);

        var outcome = MessageRules.PartitionReceipt([JohnMapped], "spool", receipt);

        Assert.Equal("profs", Assert.Single(outcome.Refused).Route);
    }

    [Fact]
    public void Should_take_the_route_classification_over_the_global_one_for_the_first_pending_recipient()
    {
        var global = new Dictionary<Stage, IReadOnlyDictionary<string, FailureKind>>
        {
            [Stage.Delivery] = new Dictionary<string, FailureKind> { ["System.IO.IOException"] = FailureKind.Transient, ["X"] = FailureKind.Unknown },
        };
        var partners = new Dictionary<Stage, IReadOnlyDictionary<string, FailureKind>>
        {
            [Stage.Delivery] = new Dictionary<string, FailureKind> { ["X"] = FailureKind.Permanent },
        };
        // John (profs, no overrides) is delivered: Ann (partners) is the first pending one.
        var state = Mapped().Apply(new DeliveryAttempted(Id, "spool", "x", ["JSMITH@VMNODE1"], [], [], 1, T0.AddSeconds(2)));

        var merged = MessageRules.ClassificationFor(state, Stage.Delivery, Routes(partnersClassification: partners), global)!;

        Assert.Equal(FailureKind.Permanent, merged["X"]);
        Assert.Equal(FailureKind.Transient, merged["System.IO.IOException"]);
        Assert.Same(global[Stage.Delivery], MessageRules.ClassificationFor(Mapped(), Stage.Delivery, Routes(partnersClassification: partners), global));
        Assert.Null(MessageRules.ClassificationFor(Mapped(), Stage.Mapping, Routes(), global));
    }

    [Fact]
    public void Should_notify_the_sender_only_when_a_failed_recipients_route_says_so()
    {
        var state = Mapped();
        var annRefused = MessageRules.RecipientsFailed(Id, state.Apply(new MessageDelivered(Id, "smtp", "x", false, 1, T0.AddSeconds(2), ["JSMITH@VMNODE1"],
            [new RecipientFailure(AddressRole.Cc, AnnMapped.Target, ReasonCodes.RecipientRefused, Stage.Delivery, "550", "partners")])), T0.AddSeconds(3));

        Assert.True(MessageRules.ShouldNotify(state, annRefused, Routes(partnersNotifies: true)));
        Assert.False(MessageRules.ShouldNotify(state, annRefused, Routes(profsNotifies: true)));
    }

    [Fact]
    public void Should_notify_for_a_whole_message_failure_when_any_recipients_route_says_so()
    {
        var state = Accepted();
        var whole = MessageRules.StageFailed(Id, state, Stage.Mapping, new InvalidOperationException("boom"), 3, T0.AddSeconds(1));

        Assert.True(MessageRules.ShouldNotify(state, whole, Routes(profsNotifies: true)));
        Assert.False(MessageRules.ShouldNotify(state, whole, Routes()));
    }

    [Fact]
    public void Should_not_notify_twice_or_without_an_address_to_notify()
    {
        var whole = MessageRules.StageFailed(Id, Accepted(), Stage.Mapping, new InvalidOperationException("boom"), 1, T0);
        var notifiedThenReplayed = Accepted()
            .Apply(whole)
            .Apply(new SenderNotified(Id, "jane@fabrikam.com", "smtp", "x", T0.AddSeconds(1)))
            .Apply(new ReplayRequested(Id, 1, "alice", "fixed", T0.AddSeconds(2)));

        Assert.False(MessageRules.ShouldNotify(notifiedThenReplayed, whole, Routes(profsNotifies: true)));
        Assert.False(MessageRules.ShouldNotify(MessageState.Empty, whole, Routes(profsNotifies: true)));
    }

    [Fact]
    public void Should_report_every_recipient_in_a_dsn_when_the_whole_message_failed()
    {
        var state = Accepted();
        var dead = state.Apply(MessageRules.StageFailed(Id, state, Stage.Mapping, new InvalidOperationException("boom"), 1, T0));

        var failed = MessageRules.FailedForNotification(dead);

        Assert.Equal([John.Address, Ann.Address], failed.Select(f => f.Address));
        Assert.All(failed, f => Assert.Equal(ReasonCodes.Unhandled, f.Reason));
    }

    [Fact]
    public void Should_expire_the_pending_recipients_and_keep_the_earlier_failures()
    {
        var refusedAnn = new RecipientFailure(AddressRole.Cc, AnnMapped.Target, ReasonCodes.RecipientRefused, Stage.Delivery, "550", "partners");
        var state = Mapped().Apply(new DeliveryAttempted(Id, "smtp", "x", [], [refusedAnn], [], 1, T0.AddSeconds(2)));

        var expired = MessageRules.Expired(Id, state, Stage.Delivery, TimeSpan.FromDays(2), T0.AddDays(2));

        Assert.Equal(ReasonCodes.Expired, expired.Reason);
        Assert.Equal(JohnMapped.Target, expired.Recipient);
        Assert.Equal([refusedAnn.Address, JohnMapped.Target], expired.Recipients!.Select(r => r.Address));
        Assert.Equal("profs", expired.Recipients![1].Route);
        Assert.False(expired.Partial);
        Assert.Contains("1 recipient(s) pending", expired.ErrorMessage);
    }

    [Fact]
    public void Should_expire_a_message_that_never_mapped_with_its_source_addresses()
    {
        var expired = MessageRules.Expired(Id, Accepted(), Stage.Mapping, TimeSpan.FromHours(1), T0.AddHours(1));

        Assert.Equal([John.Address, Ann.Address], expired.Recipients!.Select(r => r.Address));
        Assert.All(expired.Recipients!, r => Assert.Equal(Stage.Mapping, r.Stage));
    }

    [Fact]
    public void Should_name_the_recipient_an_exception_concerns_and_keep_no_exception_object()
    {
        var state = Accepted();
        var blank = new AddressMappingException(ReasonCodes.MapBlankDisplayName, John, "the display name is blank");

        var dead = MessageRules.StageFailed(Id, state, Stage.Mapping, blank, 1, T0);

        Assert.Equal(ReasonCodes.MapBlankDisplayName, dead.Reason);
        Assert.Equal(John.Address, dead.Recipient);
        Assert.Equal(typeof(AddressMappingException).FullName, dead.ErrorType);
        var only = Assert.Single(dead.Recipients!);
        Assert.Equal((AddressRole.To, John.Address, ReasonCodes.MapBlankDisplayName), (only.Role, only.Address, only.Reason));
        Assert.Null(MessageRules.RecipientsOf(new IOException("disk"), Stage.Delivery));
    }

    [Fact]
    public void Should_trim_a_stack_trace_to_eight_lines()
    {
        var trace = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"   at Frame{i}()  "));

        var trimmed = MessageRules.TrimStackTrace(trace)!;

        Assert.Equal(8, trimmed.Split('\n').Length);
        Assert.EndsWith("Frame8()", trimmed);
        Assert.Null(MessageRules.TrimStackTrace(null));
    }

    [Fact]
    public void Should_owe_a_clearing_after_a_replay_and_after_a_purge_for_the_right_generations()
    {
        var dead = Accepted().Apply(MessageRules.StageFailed(Id, Accepted(), Stage.Mapping, new InvalidOperationException("x"), 1, T0));
        Assert.False(MessageRules.ClearOwed(dead));

        var replayed = dead.Apply(new ReplayRequested(Id, 1, "alice", "fixed", T0.AddSeconds(1)));
        Assert.True(MessageRules.ClearOwed(replayed));
        Assert.Equal(0, MessageRules.ClearUpTo(replayed));

        var purged = dead.Apply(new MessagePurged(Id, "bob", "spam", T0.AddSeconds(1)));
        Assert.True(MessageRules.ClearOwed(purged));
        Assert.Equal(0, MessageRules.ClearUpTo(purged));
    }

    [Fact]
    public void Should_give_a_replay_after_deliveries_a_delivery_id_of_its_own()
    {
        Assert.Equal(Id, MessageRules.DeliveryId(Id, Mapped()));

        var partly = Mapped()
            .Apply(new MessageDelivered(Id, "spool", "x", false, 1, T0.AddSeconds(2), ["JSMITH@VMNODE1"],
                [new RecipientFailure(AddressRole.Cc, AnnMapped.Target, ReasonCodes.RecipientRefused, Stage.Delivery, "550", "partners")]))
            .Apply(new ReplayRequested(Id, 1, "alice", "fixed", T0.AddSeconds(3)));

        Assert.Equal(MessageId.Parse("m1-r1"), MessageRules.DeliveryId(Id, partly));
    }

    [Fact]
    public void Should_dead_letter_a_crash_loop_naming_the_recipient_that_was_mapped()
    {
        var started = new StageStarted(Id, Stage.Mapping, T0, John.Address);

        var dead = MessageRules.CrashLoop(Id, Accepted(), started, 2, T0.AddMinutes(1));

        Assert.Equal(ReasonCodes.CrashLoop, dead.Reason);
        Assert.Equal(2, dead.Attempts);
        Assert.Contains("crashed 2 times", dead.ErrorMessage);
        Assert.Equal(John.Address, Assert.Single(dead.Recipients!).Address);
        Assert.Null(MessageRules.CrashLoop(Id, Accepted(), started with { Recipient = null }, 2, T0).Recipients);
    }
}
