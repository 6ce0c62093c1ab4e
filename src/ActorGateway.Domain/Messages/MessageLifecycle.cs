using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Operations;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Domain.Messages;

/// <summary>The settings the lifecycle decides by (the <c>actor-gateway</c> section's; defaults live in hocon/gateway.conf).</summary>
public sealed record LifecycleSettings(
    TimeSpan MessageLifetime,
    int MaxUnknownRestarts,
    int MaxUnknownDelayedRetries,
    TimeSpan TransientRetryMin,
    TimeSpan TransientRetryMax,
    int CrashLoopThreshold,
    TimeSpan SubmitTimeout,
    bool DeleteContentAfterDelivery,
    string DsnTransport,
    string ReportingMta,
    IReadOnlyDictionary<Stage, IReadOnlyDictionary<string, FailureKind>> Classification);

/// <summary>What a decision may consult besides the state and the input: the settings, the route table in force, and a jitter in [0, 1) for back-off.</summary>
public sealed record LifecycleContext(LifecycleSettings Settings, RouteTable Routes, double Jitter = 0.5);

/// <summary>A crash suspect's mapping, one recipient at a time: what has been mapped so far.</summary>
public sealed record CarefulMapping(int Next, MappedAddress? Sender, IReadOnlyList<MappedAddress> Mapped, IReadOnlyList<RecipientFailure> Failed)
{
    public static readonly CarefulMapping Start = new(0, null, [], []);
}

/// <summary>
/// The message actor's runtime bookkeeping: what is running or awaited right now. It is not journaled;
/// after a restart the journal (<see cref="MessageState"/>) says what comes next and this starts afresh.
/// </summary>
public sealed record MessageRuntime
{
    public static readonly MessageRuntime Initial = new();

    /// <summary>The stage whose child is working now.</summary>
    public Stage? Running { get; init; }

    /// <summary>Immediate restarts of the running stage's child so far (unknown failures).</summary>
    public int UnknownRestarts { get; init; }

    /// <summary>A risky stage waiting for the risk gate's permit.</summary>
    public Stage? AwaitingPermit { get; init; }

    public bool HoldingPermit { get; init; }

    public CarefulMapping? Careful { get; init; }

    /// <summary>The transport whose circuit this message waits on.</summary>
    public string? AwaitingDispatch { get; init; }

    /// <summary>The transport the current delivery attempt was dispatched through (its circuit hears the outcome).</summary>
    public string? DispatchTransport { get; init; }

    public bool RecordConfirmed { get; init; }

    public bool RecordPending { get; init; }

    public bool ClearConfirmed { get; init; }

    public bool ClearPending { get; init; }

    /// <summary>Started only for an operator's command (the message was not in flight): it stops again when nothing is left to do.</summary>
    public bool Reactivated { get; init; }

    /// <summary>Resumed after a crash: nothing runs until the stage ledger has said whether a stage of this message was interrupted.</summary>
    public bool AwaitingCrashReport { get; init; }
}

/// <summary>A message as its decider sees it: its id, its journaled state and its runtime bookkeeping.</summary>
public sealed record Lifecycle(MessageId Id, MessageState Journal, MessageRuntime Runtime)
{
    public static Lifecycle New(MessageId id) => new(id, MessageState.Empty, MessageRuntime.Initial);

    public Lifecycle Apply(IMessageEvent evt) => this with { Journal = Journal.Apply(evt) };
}

/// <summary>What the message actor is told: stage results, timers, operator commands, crash and circuit notices.</summary>
public abstract record LifecycleInput
{
    private LifecycleInput()
    {
    }

    /// <summary>The gateway hands over a submission: accept it durably, then reply.</summary>
    public sealed record Accept(string Source, long SizeBytes, MessageEnvelope Envelope) : LifecycleInput;

    /// <summary>Go on from wherever the journal says; <paramref name="AfterCrash"/>: the last run did not shut down cleanly.</summary>
    public sealed record Resume(bool AfterCrash) : LifecycleInput;

    /// <summary>
    /// After a crash, the stage ledger's answer: the risky stage this message was inside when the process died
    /// (<paramref name="InLedger"/>), or null, and the ledger row that entered it.
    /// </summary>
    public sealed record CrashReport(Stage? InLedger, long LedgerRow = 0) : LifecycleInput;

    /// <summary>Do whatever the journal says comes next (after every step that changed the state).</summary>
    public sealed record Continue : LifecycleInput
    {
        public static readonly Continue Instance = new();
    }

    /// <summary>The risk gate allows a risky stage now.</summary>
    public sealed record RiskGranted : LifecycleInput
    {
        public static readonly RiskGranted Instance = new();
    }

    /// <summary>The transport's circuit lets this message try a delivery.</summary>
    public sealed record DispatchAllowed(string Transport) : LifecycleInput;

    /// <summary>The circuit is open: ask again after <paramref name="RetryAfter"/>.</summary>
    public sealed record DispatchDeferred(TimeSpan RetryAfter) : LifecycleInput;

    /// <summary>Timer: the lifetime ran out while the message waited on a circuit.</summary>
    public sealed record LifetimeElapsed : LifecycleInput
    {
        public static readonly LifetimeElapsed Instance = new();
    }

    /// <summary>The mapper mapped the sender and at least one recipient (<paramref name="Failed"/> could not be).</summary>
    public sealed record Mapped(MappedAddress Sender, IReadOnlyList<MappedAddress> Recipients, IReadOnlyList<RecipientFailure> Failed) : LifecycleInput;

    /// <summary>The transport delivered, with one result per recipient.</summary>
    public sealed record Delivered(string Transport, DeliveryReceipt Receipt) : LifecycleInput;

    /// <summary>The DSN was sent, or deliberately not (<paramref name="Reason"/>).</summary>
    public sealed record Notified(bool Sent, string To, string Transport, string Location, string? Reason, string? Detail) : LifecycleInput;

    /// <summary>Run (or run again) a stage now.</summary>
    public sealed record RunStage(Stage Stage) : LifecycleInput;

    /// <summary>From supervision: the stage failed in a way that does not blame the message (yet); schedule a delayed retry.</summary>
    public sealed record RetryStage(Stage Stage, string Kind, string Error) : LifecycleInput;

    /// <summary>From supervision: the stage failed for good.</summary>
    public sealed record StageFailed(Stage Stage, Exception Exception, int Attempts) : LifecycleInput;

    /// <summary>The dead-letter queue stored this message's entry.</summary>
    public sealed record RecordConfirmed : LifecycleInput
    {
        public static readonly RecordConfirmed Instance = new();
    }

    /// <summary>The dead-letter queue cleared this message's entries up to <paramref name="UpToReplays"/>.</summary>
    public sealed record ClearConfirmed(int UpToReplays) : LifecycleInput;

    /// <summary>An operator's command (<see cref="OperatorPolicy"/> decides whether it is allowed).</summary>
    public sealed record Operate(OperatorAction Action, string By, string Why, bool Reactivated) : LifecycleInput;

    /// <summary>Timer: admitted before a crash, never accepted, and no ingress submitted it again.</summary>
    public sealed record AbandonElapsed : LifecycleInput
    {
        public static readonly AbandonElapsed Instance = new();
    }
}

/// <summary>Where a log effect goes.</summary>
public enum LifecycleLogLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>The node metrics a decision counts.</summary>
public enum LifecycleMetric
{
    Received,
    Delivered,
    DeadLettered,
    RetryScheduled,
    OperatorAction,
}

/// <summary>What the message actor must do for a decision, after its events are durable.</summary>
public abstract record LifecycleEffect
{
    private LifecycleEffect()
    {
    }

    /// <summary>Tell the submitter the message is accepted (only after <c>MessageAccepted</c> is durable).</summary>
    public sealed record ReplyAccepted : LifecycleEffect
    {
        public static readonly ReplyAccepted Instance = new();
    }

    /// <summary>Answer the operator. <see cref="OperatorVerdict.Proceed"/> and <see cref="OperatorVerdict.AlreadyDone"/> are "done".</summary>
    public sealed record ReplyOperator(OperatorVerdict Verdict, string Code, string Detail) : LifecycleEffect;

    /// <summary>Run the mapping stage in the <c>mapper</c> child (created when there is none).</summary>
    public sealed record MapRecipients(MessageEnvelope Envelope, bool Probe) : LifecycleEffect;

    /// <summary>Deliver through the <c>transport</c> child.</summary>
    public sealed record Deliver(string Transport, MappedAddress Sender, IReadOnlyList<MappedAddress> Recipients, IReadOnlyList<MappedAddress> AllRecipients, MessageId DeliveryId) : LifecycleEffect;

    /// <summary>Send the sender a DSN through the <c>transport</c> child.</summary>
    public sealed record NotifySender(string To, IReadOnlyList<RecipientFailure> Failed, DateTimeOffset ArrivalDate, string Transport, string ReportingMta) : LifecycleEffect;

    /// <summary>Stop the stage child.</summary>
    public sealed record StopChild : LifecycleEffect
    {
        public static readonly StopChild Instance = new();
    }

    /// <summary>The stage child was stopped by supervision: forget it.</summary>
    public sealed record ForgetChild : LifecycleEffect
    {
        public static readonly ForgetChild Instance = new();
    }

    /// <summary>Ask the risk gate to let this message into <paramref name="Stage"/> (it records the entry in the stage ledger first).</summary>
    public sealed record RequestRisk(bool Suspect, Stage Stage) : LifecycleEffect;

    /// <summary>After a crash: ask the stage ledger whether this message was inside a stage.</summary>
    public sealed record AskInterruption : LifecycleEffect
    {
        public static readonly AskInterruption Instance = new();
    }

    public sealed record ReleaseRisk(bool Cleared) : LifecycleEffect;

    /// <summary>After a crash: tell the risk gate whether this message is a suspect.</summary>
    public sealed record ReportSuspect(bool Suspect) : LifecycleEffect;

    public sealed record RequestDispatch(string Transport) : LifecycleEffect;

    public sealed record CancelDispatch(string Transport) : LifecycleEffect;

    /// <summary>Tell the transport's circuit how the attempt went (a refusal proves the endpoint answered).</summary>
    public sealed record ReportOutcome(string Transport, bool TransientFailure) : LifecycleEffect;

    /// <summary>Feed <paramref name="Input"/> back after <paramref name="Delay"/> (a timer under <paramref name="Key"/>, replacing one of that key).</summary>
    public sealed record StartTimer(string Key, LifecycleInput Input, TimeSpan Delay) : LifecycleEffect;

    public sealed record CancelTimer(string Key) : LifecycleEffect;

    /// <summary>Send the entry to the dead-letter queue at least once (again until confirmed).</summary>
    public sealed record SendDeadLetterRecord(DeadLetterEntry Entry) : LifecycleEffect;

    public sealed record StopSendingRecord : LifecycleEffect
    {
        public static readonly StopSendingRecord Instance = new();
    }

    /// <summary>Ask the dead-letter queue at least once to clear this message's entries up to a generation.</summary>
    public sealed record SendClear(int UpToReplays, string Why) : LifecycleEffect;

    public sealed record StopSendingClear : LifecycleEffect
    {
        public static readonly StopSendingClear Instance = new();
    }

    /// <summary>Delete the message's content (delivered, or purged).</summary>
    public sealed record DeleteContent : LifecycleEffect
    {
        public static readonly DeleteContent Instance = new();
    }

    /// <summary>Tell the gateway the message ended, and stop.</summary>
    public sealed record Finish(string Outcome, string? Reason) : LifecycleEffect;

    public sealed record Log(LifecycleLogLevel Level, string Template, object?[] Args) : LifecycleEffect;

    /// <summary>Count it in the node's metrics; <paramref name="Tag"/> is the transport, reason, stage or action.</summary>
    public sealed record Measure(LifecycleMetric Metric, string? Tag = null) : LifecycleEffect;

    /// <summary>Send <paramref name="Input"/> to the actor itself, to be decided after what is running now (supervision's follow-ups).</summary>
    public sealed record SelfTell(LifecycleInput Input) : LifecycleEffect;
}

/// <summary>
/// A decision: the events to persist (all together), the runtime bookkeeping from now on, the effects to carry out
/// once the events are durable, and the input to decide next, at once, when the step leads on (<see cref="LifecycleInput.Continue"/>).
/// </summary>
public sealed record LifecycleDecision(IReadOnlyList<IMessageEvent> Events, MessageRuntime Runtime, IReadOnlyList<LifecycleEffect> Effects, LifecycleInput? Next);

/// <summary>What supervision does with a failed stage child.</summary>
public enum ChildDirective
{
    Restart,
    Stop,
}

/// <summary>
/// The message's lifecycle decider: <c>Decide(state, input, now) → (events, effects)</c>, the <c>ProcessCommand</c>
/// half of the state pattern (the other half is <see cref="MessageState.Apply"/>). Pure: the message actor persists
/// the events, carries out the effects and replies; every rule of a message's life is here, testable without an
/// ActorSystem.
/// <list type="bullet">
/// <item>A message runs mapping, then delivery, one stage child at a time; a permanent failure quarantines it at once
/// and the failed stage never runs again for it, not after a restart either, because the journal says so.</item>
/// <item>Outcomes are per recipient: one that cannot be mapped or is refused is dead-lettered alone; one the target
/// defers is retried alone. Waiting on an open circuit is never the message's fault: only its lifetime ends the wait.</item>
/// <item>After a crash, a stage that was in flight (the risk gate's stage ledger says which) is counted against the
/// message; at <c>crash-loop-threshold</c> it is dead-lettered <c>GW-CRASH-LOOP</c>. A suspect runs alone and maps one
/// recipient at a time, each recorded first.</item>
/// </list>
/// </summary>
public static class MessageLifecycle
{
    public const string RetryTimer = "retry-stage";
    public const string LifetimeTimer = "lifetime";
    public const string AbandonTimer = "abandon";

    /// <summary>The transport of a recipient whose route names none.</summary>
    public const string DefaultTransport = "spool";

    public static LifecycleDecision Decide(Lifecycle state, LifecycleInput input, DateTimeOffset now, LifecycleContext context)
    {
        var step = new Step(state, now, context);
        step.On(input);
        return step.Result();
    }

    /// <summary>
    /// Supervision of the stage child: classifies the failure (route overrides over global ones) and decides through
    /// <see cref="SupervisionPolicy"/>: restart now, retry later (persisted by the follow-up), or stop and quarantine.
    /// The follow-ups come back as <see cref="LifecycleEffect.SelfTell"/>, to be decided after the child is restarted or stopped.
    /// </summary>
    public static (ChildDirective Directive, LifecycleDecision Decision) ChildFailed(Lifecycle state, Exception exception, DateTimeOffset now, LifecycleContext context)
    {
        var step = new Step(state, now, context);
        var directive = step.OnChildFailure(exception);
        return (directive, step.Result());
    }

    /// <summary>One decision being made: the state as it becomes with each event, the runtime, the effects so far.</summary>
    private sealed class Step(Lifecycle start, DateTimeOffset now, LifecycleContext context)
    {
        private readonly List<IMessageEvent> _events = [];
        private readonly List<LifecycleEffect> _effects = [];
        private readonly MessageId _id = start.Id;
        private MessageState _state = start.Journal;
        private MessageRuntime _run = start.Runtime;
        private LifecycleInput? _next;

        private LifecycleSettings Settings => context.Settings;

        private RouteTable Routes => context.Routes;

        /// <summary>A lifetime starts at acceptance, and again at each replay.</summary>
        private DateTimeOffset ExpiresAt => _state.LifetimeStart + Settings.MessageLifetime;

        public LifecycleDecision Result() => new(_events, _run, _effects, _next);

        private void Emit(IMessageEvent evt)
        {
            _events.Add(evt);
            _state = _state.Apply(evt);
        }

        private void Do(LifecycleEffect effect) => _effects.Add(effect);

        private void Log(LifecycleLogLevel level, string template, params object?[] args) => Do(new LifecycleEffect.Log(level, template, args));

        /// <summary>Decide <see cref="LifecycleInput.Continue"/> next, once this step's events are durable.</summary>
        private void ThenContinue() => _next = LifecycleInput.Continue.Instance;

        public void On(LifecycleInput input)
        {
            switch (input)
            {
                case LifecycleInput.Accept a: Accept(a); break;
                case LifecycleInput.Resume r: Resume(r.AfterCrash); break;
                case LifecycleInput.CrashReport c: CrashReport(c.InLedger, c.LedgerRow); break;
                case LifecycleInput.Continue: Continue(); break;
                case LifecycleInput.RiskGranted: RiskGranted(); break;
                case LifecycleInput.DispatchAllowed d: DispatchAllowed(d.Transport); break;
                case LifecycleInput.DispatchDeferred d:
                    _run = _run with { AwaitingDispatch = null };
                    Do(new LifecycleEffect.StartTimer(RetryTimer, new LifecycleInput.RunStage(Stage.Delivery), d.RetryAfter));
                    break;
                case LifecycleInput.LifetimeElapsed: LifetimeElapsed(); break;
                case LifecycleInput.Mapped m: Mapped(m); break;
                case LifecycleInput.Delivered d: Delivered(d); break;
                case LifecycleInput.Notified n: Notified(n); break;
                case LifecycleInput.RunStage r: RunStage(r.Stage); break;
                case LifecycleInput.RetryStage r: RetryStage(r.Stage, r.Kind, r.Error); break;
                case LifecycleInput.StageFailed f: StageFailed(f); break;
                case LifecycleInput.RecordConfirmed:
                    Do(LifecycleEffect.StopSendingRecord.Instance);
                    _run = _run with { RecordConfirmed = true, RecordPending = false };
                    ThenContinue();
                    break;
                case LifecycleInput.ClearConfirmed c:
                    if (c.UpToReplays < MessageRules.ClearUpTo(_state)) return; // an answer to an older clearing
                    Do(LifecycleEffect.StopSendingClear.Instance);
                    _run = _run with { ClearConfirmed = true, ClearPending = false };
                    if (_state.IsFinished) ThenContinue();
                    break;
                case LifecycleInput.Operate o: Operate(o); break;
                case LifecycleInput.AbandonElapsed:
                    if (_state.Status != MessageStatus.New) return;
                    // The content is kept: an ingress may still hold the message and submit it again under this id.
                    Log(LifecycleLogLevel.Info, "{Code} {MessageId} was admitted but never accepted; releasing it", ReasonCodes.Abandoned, _id);
                    Finish(Outcomes.Abandoned, ReasonCodes.Abandoned);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(input), input.GetType().Name, "unknown lifecycle input");
            }
        }

        private void Accept(LifecycleInput.Accept a)
        {
            Do(new LifecycleEffect.CancelTimer(AbandonTimer));
            if (_state.Status == MessageStatus.New)
            {
                Emit(new MessageAccepted(_id, a.Source, a.SizeBytes, a.Envelope, now));
                Do(new LifecycleEffect.Measure(LifecycleMetric.Received));
            }
            // A duplicate submission of an id already owned: acceptance is durable already.
            Do(LifecycleEffect.ReplyAccepted.Instance);
            ThenContinue();
        }

        /// <summary>An operator's command: <see cref="OperatorPolicy"/> decides; an allowed one is journaled (who and why) before it is answered.</summary>
        private void Operate(LifecycleInput.Operate op)
        {
            _run = _run with { Reactivated = _run.Reactivated || op.Reactivated };
            var decision = OperatorPolicy.Decide(_state, op.Action, _run.Running);
            if (decision.Verdict != OperatorVerdict.Proceed)
            {
                Do(new LifecycleEffect.ReplyOperator(decision.Verdict, decision.Code, decision.Detail));
                // Started only for this command: nothing else to do, so stop again (a message in flight goes on as it was).
                if (op.Reactivated) ThenContinue();
                return;
            }
            Emit(op.Action switch
            {
                OperatorAction.Replay => new ReplayRequested(_id, _state.Replays + 1, op.By, op.Why, now),
                OperatorAction.Hold => new MessageHeld(_id, op.By, op.Why, now),
                OperatorAction.Release => new HoldReleased(_id, op.By, op.Why, now),
                _ => new MessagePurged(_id, op.By, op.Why, now),
            });
            var action = op.Action.ToString().ToLowerInvariant();
            Do(new LifecycleEffect.Measure(LifecycleMetric.OperatorAction, action));
            Log(LifecycleLogLevel.Info, "{Code} {MessageId}: {Action} by {By} ({Why}); {Detail}", decision.Code, _id, action, op.By, op.Why, decision.Detail);
            switch (op.Action)
            {
                case OperatorAction.Replay:
                    // The old record is no longer owed, and a clearing still pending names an older generation.
                    _run = _run with { RecordConfirmed = false, ClearConfirmed = false };
                    StopSending();
                    break;
                case OperatorAction.Purge:
                    _run = _run with { ClearConfirmed = false };
                    StopSending();
                    Do(LifecycleEffect.DeleteContent.Instance);
                    break;
                case OperatorAction.Hold when _run.AwaitingDispatch is { } transport:
                    // Waiting on a circuit: give up the place in line now; the release asks again.
                    Do(new LifecycleEffect.CancelDispatch(transport));
                    Do(new LifecycleEffect.CancelTimer(LifetimeTimer));
                    _run = _run with { AwaitingDispatch = null };
                    break;
            }
            Do(new LifecycleEffect.ReplyOperator(OperatorVerdict.Proceed, decision.Code, decision.Detail));
            // A running stage finishes first (its result continues); otherwise go on now.
            if (_run.Running is null && _run.AwaitingPermit is null) ThenContinue();
        }

        private void StopSending()
        {
            Do(LifecycleEffect.StopSendingRecord.Instance);
            Do(LifecycleEffect.StopSendingClear.Instance);
            _run = _run with { RecordPending = false, ClearPending = false };
        }

        private void Continue()
        {
            if (_run.AwaitingCrashReport) return; // the crash report continues
            if (_state.Status == MessageStatus.New)
            {
                if (_run.Reactivated)
                {
                    // Started only for an operator's command about an id the journal does not know.
                    Finish(Outcomes.Abandoned, ReasonCodes.MessageNotFound);
                    return;
                }
                // Admitted before a crash but never accepted: the ingress got no acknowledgement. Give it the
                // submit timeout to submit the same id again (a claimed pickup file does), then release.
                Do(new LifecycleEffect.StartTimer(AbandonTimer, LifecycleInput.AbandonElapsed.Instance, Settings.SubmitTimeout));
                return;
            }
            var clearOwed = MessageRules.ClearOwed(_state) && !_run.ClearConfirmed;
            if (clearOwed && !_run.ClearPending)
            {
                // Replayed or purged: the dead-letter queue must drop the old entry (at least once). The message goes
                // on meanwhile, but does not finish before the queue confirms.
                Do(new LifecycleEffect.SendClear(MessageRules.ClearUpTo(_state), _state.Purged is not null ? "purged" : "replayed"));
                _run = _run with { ClearPending = true };
            }
            if (clearOwed && _state.IsFinished) return; // finishes when the queue confirms
            if (_state.Purged is not null)
            {
                Do(LifecycleEffect.DeleteContent.Instance); // again, in case the process died between the purge and the delete
                Finish(_state.Outcome, ReasonCodes.Purged);
                return;
            }
            if (_state.NeedsPartialDeadLetter)
            {
                DeadLetter(MessageRules.RecipientsFailed(_id, _state, now));
                return;
            }
            if (_state.Status == MessageStatus.DeadLettered && !_run.RecordConfirmed)
            {
                if (!_run.RecordPending)
                {
                    var dead = _state.DeadLetter!;
                    Do(new LifecycleEffect.SendDeadLetterRecord(DeadLetterEntry.From(dead, _state.Accepted?.Source, MessageRules.RouteOf(_state, dead, Routes), _state.Replays)));
                    _run = _run with { RecordPending = true };
                }
                return;
            }
            if (_state.NextStage is { } next)
            {
                if (_run.Running is null && _run.AwaitingPermit is null && _run.AwaitingDispatch is null) RunStage(next);
                return;
            }
            if (_state.IsFinished)
            {
                if (_state.Status == MessageStatus.Delivered && Settings.DeleteContentAfterDelivery) Do(LifecycleEffect.DeleteContent.Instance);
                Finish(_state.Outcome, _state.DeadLetter?.Reason);
            }
        }

        private void Finish(string outcome, string? reason)
        {
            Do(new LifecycleEffect.Finish(outcome, reason));
            _next = null;
        }

        /// <summary>After a restart. After a crash, first ask the stage ledger whether this message was inside a stage.</summary>
        private void Resume(bool afterCrash)
        {
            if (!afterCrash)
            {
                ThenContinue();
                return;
            }
            _run = _run with { AwaitingCrashReport = true };
            Do(LifecycleEffect.AskInterruption.Instance);
        }

        /// <summary>
        /// A risky stage that was entered and never finished was interrupted by the crash. The message's own
        /// <c>StageStarted</c> (written only by a suspect, with the recipient it was mapping) says so, or else the
        /// stage ledger does, when the stage it names is still the message's next one and that ledger entry was not counted
        /// before. Only a stage that was actually running counts: a suspect from an earlier crash that did not get its turn
        /// (its entry is still the one counted) stays a suspect, its count unchanged.
        /// </summary>
        private void CrashReport(Stage? inLedger, long ledgerRow)
        {
            if (!_run.AwaitingCrashReport) return;
            _run = _run with { AwaitingCrashReport = false };
            var uncounted = inLedger is { } stage && stage == _state.NextStage && ledgerRow != _state.CountedLedgerRow;
            var interrupted = _state.InProgress ?? (uncounted ? new StageStarted(_id, inLedger!.Value, now) : null);
            Do(new LifecycleEffect.ReportSuspect(!_state.IsFinished && (interrupted is not null || _state.Crashes > 0)));
            if (interrupted is null || _state.IsFinished)
            {
                ThenContinue();
                return;
            }
            var crashes = _state.Crashes + 1;
            Emit(new StageInterrupted(_id, interrupted.Stage, crashes, now, interrupted.Recipient, inLedger is null ? null : ledgerRow));
            if (crashes < Settings.CrashLoopThreshold)
            {
                Log(LifecycleLogLevel.Warning, "{Code} {MessageId} was in its {Stage} stage (recipient {Recipient}) when the process crashed ({Crashes} of {Threshold}); it runs again alone",
                    ReasonCodes.CrashSuspect, _id, interrupted.Stage, interrupted.Recipient, crashes, Settings.CrashLoopThreshold);
                ThenContinue();
                return;
            }
            // The stage has now been in flight for `threshold` crashes, the last time alone: it is what kills the process.
            Do(new LifecycleEffect.ReleaseRisk(Cleared: true));
            DeadLetter(MessageRules.CrashLoop(_id, _state, interrupted, crashes, now));
        }

        private void RiskGranted()
        {
            if (_run.AwaitingPermit is not { } stage) return;
            _run = _run with { AwaitingPermit = null, HoldingPermit = true };
            StartRisky(stage);
        }

        private void DispatchAllowed(string transport)
        {
            if (_run.AwaitingDispatch != transport || _state.NextStage != Stage.Delivery)
            {
                Do(new LifecycleEffect.CancelDispatch(transport));
                return;
            }
            Do(new LifecycleEffect.CancelTimer(LifetimeTimer));
            _run = _run with { AwaitingDispatch = null, DispatchTransport = transport, AwaitingPermit = Stage.Delivery };
            Do(new LifecycleEffect.RequestRisk(Suspect: _state.Crashes > 0, Stage.Delivery));
        }

        private void LifetimeElapsed()
        {
            if (_run.AwaitingDispatch is not { } transport) return;
            // Waiting on an open circuit is never the message's fault; only its lifetime ends the wait.
            Do(new LifecycleEffect.CancelDispatch(transport));
            _run = _run with { AwaitingDispatch = null };
            Expire(Stage.Delivery);
        }

        private void RunStage(Stage stage)
        {
            if (_state.NextStage != stage)
            {
                // Stale (the stage completed, or the message is quarantined); or held while the stage ran and its
                // child was restarted after a failure: end the stage, so the hold takes effect.
                if (_run.Running == stage && _state.Held is not null)
                {
                    EndStage();
                    ThenContinue();
                }
                return;
            }
            if (stage == Stage.Notification)
            {
                _run = _run with { Running = stage };
                Do(new LifecycleEffect.NotifySender(_state.Accepted!.Envelope.NotifyAddress, MessageRules.FailedForNotification(_state),
                    _state.Accepted.At, Settings.DsnTransport, Settings.ReportingMta));
                return;
            }
            if (now >= ExpiresAt)
            {
                Expire(stage);
                return;
            }
            if (_state.PendingRetry is { } retry && retry.DueAt > now)
            {
                // A retry scheduled before a restart: keep its time.
                Do(new LifecycleEffect.StartTimer(RetryTimer, new LifecycleInput.RunStage(stage), retry.DueAt - now));
                return;
            }
            if (stage == Stage.Delivery)
            {
                // One transport at a time, each through its endpoint's circuit breaker: while the circuit is open the
                // request is parked, costing no attempts, until it half-opens or closes.
                var transport = _state.PendingRecipients[0].Transport ?? DefaultTransport;
                _run = _run with { AwaitingDispatch = transport };
                Do(new LifecycleEffect.RequestDispatch(transport));
                Do(new LifecycleEffect.StartTimer(LifetimeTimer, LifecycleInput.LifetimeElapsed.Instance, ExpiresAt - now));
                return;
            }
            _run = _run with { AwaitingPermit = stage };
            Do(new LifecycleEffect.RequestRisk(Suspect: _state.Crashes > 0, stage));
        }

        /// <summary>
        /// Runs the stage; the gate's permit means its stage ledger holds the entry durably. A crash suspect (in careful mode,
        /// alone) records the stage in its own journal too, and maps one recipient at a time, each recorded first, so a
        /// crash loop names the recipient. The happy path writes no row for a stage's start.
        /// </summary>
        private void StartRisky(Stage stage)
        {
            if (_state.NextStage != stage)
            {
                ReleasePermit();
                if (_state.IsFinished) ThenContinue(); // held while it waited for the permit
                return;
            }
            _run = _run with { Running = stage };
            if (stage == Stage.Mapping && _state.Crashes > 0)
            {
                _run = _run with { Careful = CarefulMapping.Start };
                MapNextCarefully();
                return;
            }
            if (_state.Crashes > 0) Emit(new StageStarted(_id, stage, now));
            if (stage == Stage.Mapping)
            {
                Do(new LifecycleEffect.MapRecipients(_state.Accepted!.Envelope with { Recipients = _state.RecipientsToMap }, Probe: false));
                return;
            }
            var transport = _run.DispatchTransport!;
            var group = _state.PendingRecipients.Where(r => (r.Transport ?? DefaultTransport) == transport).ToList();
            Do(new LifecycleEffect.Deliver(transport, _state.Mapping!.Sender, group, _state.AllMappedRecipients, MessageRules.DeliveryId(_id, _state)));
        }

        private void MapNextCarefully()
        {
            var recipient = _state.RecipientsToMap[_run.Careful!.Next];
            Emit(new StageStarted(_id, Stage.Mapping, now, recipient.Address));
            Do(new LifecycleEffect.MapRecipients(_state.Accepted!.Envelope with { Recipients = [recipient] }, Probe: true));
        }

        private void Mapped(LifecycleInput.Mapped result)
        {
            if (_state.Status != MessageStatus.Accepted) return;
            if (_run.Careful is { } careful)
            {
                careful = new CarefulMapping(careful.Next + 1, careful.Sender ?? result.Sender, [.. careful.Mapped, .. result.Recipients], [.. careful.Failed, .. result.Failed]);
                _run = _run with { Careful = careful };
                if (careful.Next < _state.RecipientsToMap.Count)
                {
                    MapNextCarefully();
                    return;
                }
                _run = _run with { Careful = null };
                result = new LifecycleInput.Mapped(careful.Sender!, careful.Mapped, careful.Failed);
                if (result.Recipients.Count == 0)
                {
                    EndStage();
                    var ex = new MessageUnmappableException(result.Failed);
                    DeadLetter(new MessageDeadLettered(_id, ex.ReasonCode, Stage.Mapping, ex.Address, ex.GetType().FullName!, ex.Message, null, 1, now, result.Failed));
                    return;
                }
            }
            Emit(new RecipientsMapped(_id, result.Sender, result.Recipients, now, result.Failed.Count > 0 ? result.Failed : null));
            foreach (var f in result.Failed)
            {
                // Logged now, with the recipient and the message id; quarantined once the others are delivered.
                Log(LifecycleLogLevel.Warning, "{Code} {MessageId}: recipient {Recipient} ({Role}) cannot be mapped: {Detail}; the other recipients go on",
                    f.Reason, _id, f.Address, f.Role, f.Detail);
            }
            EndStage();
            ThenContinue();
        }

        private void Delivered(LifecycleInput.Delivered result)
        {
            if (_state.Status != MessageStatus.Mapped || _run.Running != Stage.Delivery) return;
            ReportToCircuit(transientFailure: false);
            var receipt = result.Receipt;
            var (delivered, refused, deferred) = MessageRules.PartitionReceipt(_state.Mapping!.Recipients, result.Transport, receipt);
            var attempt = _state.DeliveryAttempts + 1;
            if (deferred.Count == 0)
            {
                Emit(new MessageDelivered(_id, result.Transport, receipt.Location, receipt.AlreadyPresent, attempt, now, delivered, refused.Count > 0 ? refused : null));
                Do(new LifecycleEffect.Measure(LifecycleMetric.Delivered, result.Transport));
                EndStage();
                Log(LifecycleLogLevel.Info, "{Code} Delivered {MessageId} via {Transport} to {Location} ({Delivered} delivered, {Refused} refused; already present: {AlreadyPresent})",
                    receipt.AlreadyPresent ? ReasonCodes.DeliveredAlreadyPresent : ReasonCodes.Delivered, _id, result.Transport, receipt.Location, delivered.Count, refused.Count, receipt.AlreadyPresent);
                ThenContinue();
                return;
            }
            // The target said "later" for some recipients: settle the others, retry only those, never blame the message.
            Emit(new DeliveryAttempted(_id, result.Transport, receipt.Location, delivered, refused, deferred, attempt, now));
            Log(LifecycleLogLevel.Warning, "{Code} {MessageId}: {Deferred} recipient(s) deferred by {Transport} ({Reply})",
                ReasonCodes.RecipientDeferred, _id, deferred.Count, result.Transport, deferred[0].Reply);
            RetryStage(Stage.Delivery, "deferred", deferred[0].Reply ?? "deferred");
        }

        private void Notified(LifecycleInput.Notified result)
        {
            if (!_state.NotificationPending) return;
            Emit(result.Sent
                ? new SenderNotified(_id, result.To, result.Transport, result.Location, now)
                : new SenderNotificationFailed(_id, result.Reason!, result.Detail ?? string.Empty, now));
            if (result.Sent) Log(LifecycleLogLevel.Info, "{Code} Sent a DSN about {MessageId} to {To} via {Transport}", ReasonCodes.DsnSent, _id, result.To, result.Transport);
            else Log(LifecycleLogLevel.Warning, "{Code} No DSN about {MessageId} to {To}: {Detail}", result.Reason, _id, result.To, result.Detail);
            EndStage();
            ThenContinue();
        }

        /// <summary>Persists the next delayed retry of a stage, so a restart keeps the schedule, or expires the message when the retry would outlive it.</summary>
        private void RetryStage(Stage stage, string kind, string error)
        {
            if (_state.Held is not null)
            {
                // Held while the stage ran: no retry is scheduled now; the release runs the stage again.
                _run = _run with { Running = null };
                ReleasePermit();
                ThenContinue();
                return;
            }
            if (_state.NextStage != stage) return;
            _run = _run with { Running = null };
            var attempt = _state.DelayedRetries + 1;
            var delay = SupervisionPolicy.Backoff(attempt, Settings.TransientRetryMin, Settings.TransientRetryMax, context.Jitter);
            if (now + delay >= ExpiresAt)
            {
                Expire(stage);
                return;
            }
            var scheduled = new RetryScheduled(_id, stage, attempt, now + delay, kind, error, now);
            Emit(scheduled);
            Do(new LifecycleEffect.Measure(LifecycleMetric.RetryScheduled, stage.ToString().ToLowerInvariant()));
            ReleasePermit();
            Do(new LifecycleEffect.StartTimer(RetryTimer, new LifecycleInput.RunStage(stage), delay));
            Log(LifecycleLogLevel.Warning, "{Code} {Stage} of {MessageId} will be retried ({Kind}: {Error}); retry {Retry} at {DueAt}",
                ReasonCodes.RetryScheduled, stage, _id, kind, error, attempt, scheduled.DueAt);
        }

        private void StageFailed(LifecycleInput.StageFailed failed)
        {
            Do(LifecycleEffect.ForgetChild.Instance); // stopped by the Stop directive
            _run = _run with { Running = null };
            var ex = failed.Exception;
            if (failed.Stage == Stage.Notification)
            {
                // The DSN cannot be sent: record it and finish. The recipients are quarantined already.
                var code = FailureClassifier.ReasonCode(ex);
                Notified(new LifecycleInput.Notified(false, _state.Accepted!.Envelope.NotifyAddress, Settings.DsnTransport, "-",
                    code == ReasonCodes.Unhandled ? ReasonCodes.DsnFailed : code, ex.Message));
                return;
            }
            if (_state.Status == MessageStatus.DeadLettered) return;
            DeadLetter(MessageRules.StageFailed(_id, _state, failed.Stage, ex, failed.Attempts, now));
        }

        public ChildDirective OnChildFailure(Exception exception)
        {
            var stage = _run.Running ?? Stage.Mapping;
            var kind = FailureClassifier.Classify(exception, MessageRules.ClassificationFor(_state, stage, Routes, Settings.Classification));
            if (stage == Stage.Delivery) ReportToCircuit(transientFailure: kind == FailureKind.Transient);
            switch (SupervisionPolicy.Decide(kind, _run.UnknownRestarts, Settings.MaxUnknownRestarts, _state.DelayedRetries, Settings.MaxUnknownDelayedRetries))
            {
                case StageAction.RestartNow:
                    _run = _run with { UnknownRestarts = _run.UnknownRestarts + 1 };
                    Log(LifecycleLogLevel.Warning, "{Code} {Stage} of {MessageId} failed with {ErrorType}: {Error}; restart {Restart} of {MaxRestarts}",
                        ReasonCodes.StageRestarted, stage, _id, exception.GetType().Name, exception.Message, _run.UnknownRestarts, Settings.MaxUnknownRestarts);
                    Do(new LifecycleEffect.SelfTell(new LifecycleInput.RunStage(stage)));
                    return ChildDirective.Restart;

                case StageAction.RetryLater:
                    // Persisted (so a restart keeps the schedule) by the follow-up. The child is restarted (a fresh
                    // instance keeps nothing of the failed attempt) and waits, idle, until the retry runs the stage.
                    Do(new LifecycleEffect.SelfTell(new LifecycleInput.RetryStage(stage, kind.ToString().ToLowerInvariant(), $"{exception.GetType().Name}: {exception.Message}")));
                    return ChildDirective.Restart;

                default:
                    Do(new LifecycleEffect.SelfTell(new LifecycleInput.StageFailed(stage, exception, 1 + _run.UnknownRestarts + _state.DelayedRetries)));
                    return ChildDirective.Stop;
            }
        }

        /// <summary>Past its lifetime: whatever is still pending is dead-lettered GW-EXPIRED (and the sender told, where the route says so).</summary>
        private void Expire(Stage stage)
        {
            ReleasePermit();
            DeadLetter(MessageRules.Expired(_id, _state, stage, Settings.MessageLifetime, now));
        }

        private void DeadLetter(MessageDeadLettered evt)
        {
            var dead = evt with { NotifySender = MessageRules.ShouldNotify(_state, evt, Routes) };
            Emit(dead);
            Do(new LifecycleEffect.Measure(LifecycleMetric.DeadLettered, dead.Reason));
            Log(LifecycleLogLevel.Error, "{Code} Dead-lettered {MessageId} at {Stage}, reason {Reason}, recipient {Recipient}, after {Attempts} attempt(s) (partial: {Partial}): {Error}",
                ReasonCodes.DeadLettered, _id, dead.Stage, dead.Reason, dead.Recipient, dead.Attempts, dead.Partial, dead.ErrorMessage);
            ThenContinue();
        }

        private void ReportToCircuit(bool transientFailure)
        {
            if (_run.DispatchTransport is not { } transport) return;
            _run = _run with { DispatchTransport = null };
            Do(new LifecycleEffect.ReportOutcome(transport, transientFailure));
        }

        private void ReleasePermit()
        {
            if (!_run.HoldingPermit) return;
            _run = _run with { HoldingPermit = false };
            Do(new LifecycleEffect.ReleaseRisk(Cleared: true));
        }

        private void EndStage()
        {
            Do(LifecycleEffect.StopChild.Instance);
            _run = _run with { Running = null, UnknownRestarts = 0 };
            ReleasePermit();
        }
    }
}
