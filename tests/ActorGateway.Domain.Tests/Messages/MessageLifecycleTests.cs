using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;
using Effect = ActorGateway.Domain.Messages.LifecycleEffect;
using Input = ActorGateway.Domain.Messages.LifecycleInput;

namespace ActorGateway.Domain.Tests.Messages;

/// <summary>The message lifecycle decider, with no ActorSystem: inputs in, events and effects out.</summary>
public class MessageLifecycleTests
{
    private static readonly MessageId Id = MessageId.Parse("m1");
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SourceAddress Sender = new(AddressRole.Sender, "jane@fabrikam.com", "Jane Doe");
    private static readonly SourceAddress John = new(AddressRole.To, "john@contoso.com", "John Smith");
    private static readonly SourceAddress Ann = new(AddressRole.To, "ann@contoso.com", "Ann Lee");
    private static readonly MappedAddress SenderMapped = new(AddressRole.Sender, Sender.Address, Sender.Address, "passthrough");
    private static readonly MappedAddress JohnMapped = new(AddressRole.To, John.Address, "JSMITH@VMNODE1", "template", "profs", "spool");
    private static readonly MappedAddress AnnMapped = new(AddressRole.To, Ann.Address, "ALEE@VMNODE1", "template", "profs", "spool");

    private static LifecycleSettings Settings(int threshold = 2, bool deleteContent = true) => new(
        MessageLifetime: TimeSpan.FromDays(2), MaxUnknownRestarts: 3, MaxUnknownDelayedRetries: 3,
        TransientRetryMin: TimeSpan.FromSeconds(10), TransientRetryMax: TimeSpan.FromMinutes(10), CrashLoopThreshold: threshold,
        SubmitTimeout: TimeSpan.FromSeconds(30), DeleteContentAfterDelivery: deleteContent, DsnTransport: "smtp", ReportingMta: "gw.test",
        Classification: new Dictionary<Stage, IReadOnlyDictionary<string, FailureKind>>());

    private static LifecycleContext Context(bool notify = false, int threshold = 2) =>
        new(Settings(threshold), new RouteTable([new Route("profs", ["contoso.com"], TestData.Profile(), "spool", notify)]), Jitter: 0.5);

    private static Input.Accept Submission(params SourceAddress[] to) => new("001.eml", 100, new MessageEnvelope(Sender, to.Length == 0 ? [John] : to, "Hi", "x@y"));

    /// <summary>One decision applied as the actor applies it: the events folded into the state, the runtime taken over.</summary>
    private static (Lifecycle State, LifecycleDecision Decision) Step(Lifecycle state, Input input, DateTimeOffset? at = null, LifecycleContext? context = null)
    {
        var decision = MessageLifecycle.Decide(state, input, at ?? T0, context ?? Context());
        var next = decision.Events.Aggregate(state with { Runtime = decision.Runtime }, (s, e) => s.Apply(e));
        return (next, decision);
    }

    /// <summary>Decides and then follows every <see cref="LifecycleDecision.Next"/>, as the actor does; returns all effects in order.</summary>
    private static (Lifecycle State, List<IMessageEvent> Events, List<Effect> Effects) Run(Lifecycle state, Input input, DateTimeOffset? at = null, LifecycleContext? context = null)
    {
        var events = new List<IMessageEvent>();
        var effects = new List<Effect>();
        Input? next = input;
        while (next is not null)
        {
            var (after, decision) = Step(state, next, at, context);
            state = after;
            events.AddRange(decision.Events);
            effects.AddRange(decision.Effects);
            next = decision.Next;
        }
        return (state, events, effects);
    }

    private static Lifecycle Accepted(params SourceAddress[] to) => Run(Lifecycle.New(Id), Submission(to)).State;

    private static Lifecycle MappingRuns(params SourceAddress[] to) => Run(Accepted(to), Input.RiskGranted.Instance).State;

    private static Lifecycle AwaitingDispatch() => Run(MappingRuns(), new Input.Mapped(SenderMapped, [JohnMapped], [])).State;

    private static Lifecycle DeliveryRuns() => Run(Run(AwaitingDispatch(), new Input.DispatchAllowed("spool")).State, Input.RiskGranted.Instance).State;

    [Fact]
    public void Should_accept_durably_then_reply_and_ask_the_risk_gate_for_mapping()
    {
        var (state, events, effects) = Run(Lifecycle.New(Id), Submission());

        var accepted = Assert.IsType<MessageAccepted>(Assert.Single(events));
        Assert.Equal(T0, accepted.At);
        Assert.Equal(MessageStatus.Accepted, state.Journal.Status);
        Assert.Contains(Effect.ReplyAccepted.Instance, effects);
        Assert.Contains(new Effect.RequestRisk(Suspect: false, Stage.Mapping), effects);
        Assert.Equal(Stage.Mapping, state.Runtime.AwaitingPermit);
    }

    [Fact]
    public void Should_reply_to_a_repeated_submission_without_writing_again()
    {
        var (_, decision) = Step(Accepted(), Submission());

        Assert.Empty(decision.Events);
        Assert.Contains(Effect.ReplyAccepted.Instance, decision.Effects);
    }

    [Fact]
    public void Should_run_the_mapper_without_a_journal_row_once_the_gate_granted()
    {
        // The gate's stage ledger holds the entry durably before it grants; the happy path writes no StageStarted.
        var (state, decision) = Step(Accepted(), Input.RiskGranted.Instance);

        Assert.Empty(decision.Events);
        var map = Assert.IsType<Effect.MapRecipients>(Assert.Single(decision.Effects));
        Assert.False(map.Probe);
        Assert.Equal([John], map.Envelope.Recipients);
        Assert.Equal(Stage.Mapping, state.Runtime.Running);
        Assert.True(state.Runtime.HoldingPermit);
    }

    [Fact]
    public void Should_end_the_stage_after_mapping_and_wait_for_the_transports_circuit()
    {
        var (state, events, effects) = Run(MappingRuns(), new Input.Mapped(SenderMapped, [JohnMapped], []));

        Assert.IsType<RecipientsMapped>(Assert.Single(events));
        Assert.Contains(Effect.StopChild.Instance, effects);
        Assert.Contains(new Effect.ReleaseRisk(Cleared: true), effects);
        Assert.Contains(new Effect.RequestDispatch("spool"), effects);
        var lifetime = Assert.Single(effects.OfType<Effect.StartTimer>());
        Assert.Equal((MessageLifecycle.LifetimeTimer, TimeSpan.FromDays(2)), (lifetime.Key, lifetime.Delay));
        Assert.Equal("spool", state.Runtime.AwaitingDispatch);
        Assert.Null(state.Runtime.Running);
    }

    [Fact]
    public void Should_deliver_the_transports_recipients_once_the_circuit_and_the_gate_allow()
    {
        var (afterDispatch, dispatched) = Step(AwaitingDispatch(), new Input.DispatchAllowed("spool"));
        Assert.Contains(new Effect.CancelTimer(MessageLifecycle.LifetimeTimer), dispatched.Effects);
        Assert.Contains(new Effect.RequestRisk(false, Stage.Delivery), dispatched.Effects);

        var (_, granted) = Step(afterDispatch, Input.RiskGranted.Instance);

        Assert.Empty(granted.Events);
        var deliver = Assert.IsType<Effect.Deliver>(Assert.Single(granted.Effects));
        Assert.Equal(("spool", Id), (deliver.Transport, deliver.DeliveryId));
        Assert.Equal([JohnMapped], deliver.Recipients);
    }

    [Fact]
    public void Should_finish_delivered_and_delete_the_content()
    {
        var receipt = new DeliveryReceipt("outbound/m1.eml", false, [new RecipientResult("JSMITH@VMNODE1", RecipientDisposition.Delivered, null)]);

        var (state, events, effects) = Run(DeliveryRuns(), new Input.Delivered("spool", receipt));

        Assert.IsType<MessageDelivered>(Assert.Single(events));
        Assert.Contains(new Effect.ReportOutcome("spool", TransientFailure: false), effects);
        Assert.Contains(new Effect.Measure(LifecycleMetric.Delivered, "spool"), effects);
        Assert.Contains(Effect.DeleteContent.Instance, effects);
        Assert.Equal(new Effect.Finish(Outcomes.Delivered, null), effects[^1]);
        Assert.True(state.Journal.IsFinished);
    }

    [Fact]
    public void Should_retry_only_deferred_recipients_with_a_persisted_schedule()
    {
        var state = Run(Run(Run(MappingRuns(John, Ann), new Input.Mapped(SenderMapped, [JohnMapped, AnnMapped], [])).State,
            new Input.DispatchAllowed("spool")).State, Input.RiskGranted.Instance).State;
        var receipt = new DeliveryReceipt("x", false,
        [
            new RecipientResult("JSMITH@VMNODE1", RecipientDisposition.Delivered, "250"),
            new RecipientResult("ALEE@VMNODE1", RecipientDisposition.Deferred, "450 later"),
        ]);

        var (after, decision) = Step(state, new Input.Delivered("spool", receipt));

        Assert.Collection(decision.Events,
            e => Assert.Equal(["ALEE@VMNODE1"], Assert.IsType<DeliveryAttempted>(e).Deferred.Select(d => d.Address)),
            e => Assert.Equal(1, Assert.IsType<RetryScheduled>(e).Attempt));
        var timer = Assert.Single(decision.Effects.OfType<Effect.StartTimer>());
        Assert.Equal(new Input.RunStage(Stage.Delivery), timer.Input);
        Assert.Equal(SupervisionPolicy.Backoff(1, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10), 0.5), timer.Delay);
        Assert.Equal(["ALEE@VMNODE1"], after.Journal.PendingRecipients.Select(r => r.Target));
    }

    [Fact]
    public void Should_stop_the_child_and_quarantine_for_a_permanent_failure()
    {
        var blank = new AddressMappingException(ReasonCodes.MapBlankDisplayName, John, "blank");

        var (directive, failure) = MessageLifecycle.ChildFailed(MappingRuns(), blank, T0, Context());

        Assert.Equal(ChildDirective.Stop, directive);
        var followUp = Assert.IsType<Input.StageFailed>(Assert.IsType<Effect.SelfTell>(Assert.Single(failure.Effects)).Input);
        var (state, events, effects) = Run(MappingRuns() with { Runtime = failure.Runtime }, followUp);

        var dead = Assert.IsType<MessageDeadLettered>(Assert.Single(events));
        Assert.Equal((ReasonCodes.MapBlankDisplayName, Stage.Mapping, 1), (dead.Reason, dead.Stage, dead.Attempts));
        Assert.Contains(Effect.ForgetChild.Instance, effects);
        var record = Assert.Single(effects.OfType<Effect.SendDeadLetterRecord>());
        Assert.Equal("profs", record.Entry.Route);
        Assert.True(state.Runtime.RecordPending);
        Assert.DoesNotContain(effects, e => e is Effect.Finish); // not before the queue confirms

        var confirmed = Run(state, Input.RecordConfirmed.Instance);
        Assert.Equal(new Effect.Finish(Outcomes.DeadLettered, ReasonCodes.MapBlankDisplayName), confirmed.Effects[^1]);
    }

    [Fact]
    public void Should_restart_an_unknown_failure_at_once_then_retry_later_then_quarantine()
    {
        var state = MappingRuns();
        for (var restart = 1; restart <= 3; restart++)
        {
            var (directive, decision) = MessageLifecycle.ChildFailed(state, new InvalidOperationException("odd"), T0, Context());
            Assert.Equal(ChildDirective.Restart, directive);
            Assert.Equal(new Input.RunStage(Stage.Mapping), Assert.Single(decision.Effects.OfType<Effect.SelfTell>()).Input);
            state = state with { Runtime = decision.Runtime };
            Assert.Equal(restart, state.Runtime.UnknownRestarts);
        }

        var (later, retry) = MessageLifecycle.ChildFailed(state, new InvalidOperationException("odd"), T0, Context());

        Assert.Equal(ChildDirective.Restart, later);
        var retryStage = Assert.IsType<Input.RetryStage>(Assert.Single(retry.Effects.OfType<Effect.SelfTell>()).Input);
        Assert.Equal(("unknown", "InvalidOperationException: odd"), (retryStage.Kind, retryStage.Error));
        var scheduled = Step(state with { Runtime = retry.Runtime }, retryStage);
        Assert.IsType<RetryScheduled>(Assert.Single(scheduled.Decision.Events));
        Assert.Contains(new Effect.ReleaseRisk(true), scheduled.Decision.Effects);
    }

    [Fact]
    public void Should_tell_the_circuit_of_a_transient_delivery_failure_and_not_blame_the_message()
    {
        var (directive, decision) = MessageLifecycle.ChildFailed(DeliveryRuns(), new IOException("target down"), T0, Context());

        Assert.Equal(ChildDirective.Restart, directive);
        Assert.Contains(new Effect.ReportOutcome("spool", TransientFailure: true), decision.Effects);
        Assert.IsType<Input.RetryStage>(Assert.Single(decision.Effects.OfType<Effect.SelfTell>()).Input);
        Assert.Null(decision.Runtime.DispatchTransport);
    }

    [Fact]
    public void Should_expire_instead_of_scheduling_a_retry_past_the_lifetime()
    {
        var state = MappingRuns();

        var (_, decision) = Step(state, new Input.RetryStage(Stage.Mapping, "transient", "IOException: x"), at: T0 + TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));

        Assert.Equal(ReasonCodes.Expired, Assert.IsType<MessageDeadLettered>(Assert.Single(decision.Events)).Reason);
    }

    [Fact]
    public void Should_end_the_wait_on_an_open_circuit_only_by_the_lifetime()
    {
        var (_, events, effects) = Run(AwaitingDispatch(), Input.LifetimeElapsed.Instance, at: T0.AddDays(2));

        Assert.Contains(new Effect.CancelDispatch("spool"), effects);
        var dead = Assert.IsType<MessageDeadLettered>(Assert.Single(events));
        Assert.Equal((ReasonCodes.Expired, Stage.Delivery), (dead.Reason, dead.Stage));
    }

    [Fact]
    public void Should_notify_the_sender_when_the_route_says_so_and_finish_after_the_dsn()
    {
        var context = Context(notify: true);
        var unmappable = new MessageUnmappableException([new RecipientFailure(AddressRole.To, John.Address, ReasonCodes.MapBlankDisplayName, Stage.Mapping, "blank", "profs")]);
        var failed = MessageLifecycle.ChildFailed(MappingRuns(), unmappable, T0, context);
        var stageFailed = (Input)((Effect.SelfTell)failed.Decision.Effects.Single()).Input;
        var (quarantined, events, _) = Run(MappingRuns() with { Runtime = failed.Decision.Runtime }, stageFailed, context: context);
        Assert.True(Assert.IsType<MessageDeadLettered>(Assert.Single(events)).NotifySender);

        var (notifying, _, effects) = Run(quarantined, Input.RecordConfirmed.Instance, context: context);
        var dsn = Assert.Single(effects.OfType<Effect.NotifySender>());
        Assert.Equal(("jane@fabrikam.com", "smtp", "gw.test"), (dsn.To, dsn.Transport, dsn.ReportingMta));

        var done = Run(notifying, new Input.Notified(true, "jane@fabrikam.com", "smtp", "relay", null, null), context: context);
        Assert.IsType<SenderNotified>(Assert.Single(done.Events));
        Assert.Equal(new Effect.Finish(Outcomes.DeadLettered, ReasonCodes.MapBlankDisplayName), done.Effects[^1]);
    }

    [Fact]
    public void Should_wait_for_the_stage_ledger_after_a_crash_before_anything_runs()
    {
        var (waiting, events, effects) = Run(MappingRuns() with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true));

        Assert.Empty(events);
        Assert.Equal([Effect.AskInterruption.Instance], effects);
        Assert.Empty(Run(waiting, Input.Continue.Instance).Effects);
        Assert.Empty(Run(Accepted(), new Input.CrashReport(Stage.Mapping)).Events); // not asked: ignored
    }

    [Fact]
    public void Should_count_a_stage_the_ledger_held_open_and_quarantine_it_at_the_threshold()
    {
        var resumed = Run(MappingRuns() with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;

        var first = Run(resumed, new Input.CrashReport(Stage.Mapping));
        var interrupted = Assert.IsType<StageInterrupted>(first.Events[0]);
        Assert.Equal((Stage.Mapping, 1), (interrupted.Stage, interrupted.Crashes));
        Assert.Contains(new Effect.ReportSuspect(true), first.Effects);
        Assert.Contains(new Effect.RequestRisk(Suspect: true, Stage.Mapping), first.Effects);

        // A suspect runs alone, recording each recipient first in its own journal; the process dies again.
        var careful = Run(first.State, Input.RiskGranted.Instance);
        Assert.Equal(John.Address, Assert.IsType<StageStarted>(Assert.Single(careful.Events)).Recipient);
        Assert.True(Assert.Single(careful.Effects.OfType<Effect.MapRecipients>()).Probe);

        var again = Run(careful.State with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;
        var second = Run(again, new Input.CrashReport(Stage.Mapping));
        var dead = Assert.IsType<MessageDeadLettered>(second.Events[1]);
        Assert.Equal((ReasonCodes.CrashLoop, John.Address), (dead.Reason, dead.Recipient));
        Assert.Contains(new Effect.ReleaseRisk(Cleared: true), second.Effects);
    }

    [Fact]
    public void Should_not_count_the_same_ledger_entry_twice_for_a_suspect_that_waited_its_turn()
    {
        var resumed = Run(MappingRuns() with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;
        var counted = Run(resumed, new Input.CrashReport(Stage.Mapping, LedgerRow: 17)).State;
        Assert.Equal(17, counted.Journal.CountedLedgerRow);

        // The process died again before this suspect got its turn: the ledger still holds the row-17 entry.
        var again = Run(counted with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;
        var (_, events, effects) = Run(again, new Input.CrashReport(Stage.Mapping, LedgerRow: 17));

        Assert.Empty(events);
        Assert.Contains(new Effect.ReportSuspect(true), effects); // still a suspect, its count unchanged
        Assert.Equal(1, again.Journal.Crashes);
    }

    [Fact]
    public void Should_not_count_a_crash_against_a_message_that_was_not_in_a_stage()
    {
        var resumed = Run(AwaitingDispatch() with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;

        var (_, events, effects) = Run(resumed, new Input.CrashReport(null));

        Assert.Empty(events);
        Assert.Contains(new Effect.ReportSuspect(false), effects);
        Assert.Contains(new Effect.RequestDispatch("spool"), effects);
    }

    [Fact]
    public void Should_not_blame_a_stale_ledger_entry_for_a_stage_the_journal_shows_finished()
    {
        // Mapped durably, and the process died before the ledger recorded that mapping was left.
        var resumed = Run(AwaitingDispatch() with { Runtime = MessageRuntime.Initial }, new Input.Resume(AfterCrash: true)).State;

        var (_, events, effects) = Run(resumed, new Input.CrashReport(Stage.Mapping));

        Assert.Empty(events);
        Assert.Contains(new Effect.ReportSuspect(false), effects);
    }

    [Fact]
    public void Should_leave_the_circuits_line_when_held_and_answer_after_the_hold_is_durable()
    {
        var (state, decision) = Step(AwaitingDispatch(), new Input.Operate(OperatorAction.Hold, "alice", "checking", Reactivated: false));

        Assert.IsType<MessageHeld>(Assert.Single(decision.Events));
        Assert.Contains(new Effect.CancelDispatch("spool"), decision.Effects);
        Assert.Contains(new Effect.CancelTimer(MessageLifecycle.LifetimeTimer), decision.Effects);
        Assert.Equal(OperatorVerdict.Proceed, Assert.Single(decision.Effects.OfType<Effect.ReplyOperator>()).Verdict);
        Assert.Null(state.Runtime.AwaitingDispatch);
        Assert.Equal(new Effect.Finish(Outcomes.Held, null), Run(state, Input.Continue.Instance).Effects[^1]);
    }

    [Fact]
    public void Should_refuse_an_operator_command_without_writing_anything()
    {
        var (_, decision) = Step(AwaitingDispatch(), new Input.Operate(OperatorAction.Replay, "alice", "why not", Reactivated: false));

        Assert.Empty(decision.Events);
        Assert.Equal(ReasonCodes.NotInQuarantine, Assert.IsType<Effect.ReplyOperator>(Assert.Single(decision.Effects)).Code);
        Assert.Null(decision.Next);
    }

    [Fact]
    public void Should_stop_again_after_an_operator_command_about_an_unknown_id()
    {
        var (_, events, effects) = Run(Lifecycle.New(Id), new Input.Operate(OperatorAction.Purge, "bob", "x", Reactivated: true));

        Assert.Empty(events);
        Assert.Equal(OperatorVerdict.NotFound, effects.OfType<Effect.ReplyOperator>().Single().Verdict);
        Assert.Equal(new Effect.Finish(Outcomes.Abandoned, ReasonCodes.MessageNotFound), effects[^1]);
    }

    [Fact]
    public void Should_replay_from_mapping_and_clear_the_old_entry_at_least_once_before_finishing()
    {
        var quarantined = Run(MappingRuns(), new Input.StageFailed(Stage.Mapping, new AddressMappingException(ReasonCodes.MapBlankDisplayName, John, "blank"), 1)).State;
        quarantined = Run(quarantined, Input.RecordConfirmed.Instance).State;

        var (replayed, events, effects) = Run(quarantined, new Input.Operate(OperatorAction.Replay, "alice", "fixed", Reactivated: true));

        Assert.Equal(1, Assert.IsType<ReplayRequested>(Assert.Single(events)).Replay);
        Assert.Contains(Effect.StopSendingRecord.Instance, effects);
        Assert.Contains(new Effect.SendClear(0, "replayed"), effects);
        Assert.Contains(new Effect.RequestRisk(false, Stage.Mapping), effects);
        Assert.False(replayed.Runtime.RecordConfirmed);

        var (_, cleared) = Step(replayed, new Input.ClearConfirmed(0));
        Assert.Contains(Effect.StopSendingClear.Instance, cleared.Effects);
        Assert.True(cleared.Runtime.ClearConfirmed);
    }

    [Fact]
    public void Should_release_an_admitted_but_never_accepted_message_after_the_submit_timeout()
    {
        var (waiting, _, effects) = Run(Lifecycle.New(Id), new Input.Resume(AfterCrash: false));
        Assert.Equal(new Effect.StartTimer(MessageLifecycle.AbandonTimer, Input.AbandonElapsed.Instance, TimeSpan.FromSeconds(30)), Assert.Single(effects));

        var abandoned = Run(waiting, Input.AbandonElapsed.Instance);

        Assert.Equal(new Effect.Finish(Outcomes.Abandoned, ReasonCodes.Abandoned), abandoned.Effects[^1]);
        Assert.Empty(Run(Accepted(), Input.AbandonElapsed.Instance).Effects);
    }
}
