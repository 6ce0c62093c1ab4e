using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using Effect = ActorGateway.Domain.Messages.LifecycleEffect;
using Input = ActorGateway.Domain.Messages.LifecycleInput;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>msg-{id}</c>: one persistent actor per message (persistence id <c>msg-{id}</c>), created by the
/// <c>gateway</c>. A thin interpreter of <see cref="MessageLifecycle"/>, which decides everything: this actor
/// turns what it is told into the decider's inputs, persists the events of each decision, then carries out its
/// effects (run a stage in the <c>mapper</c> or <c>transport</c> child, ask the risk gate or a circuit, start a
/// timer, send to the dead-letter queue at least once, reply, finish). Its children are supervised through the
/// same decider (<see cref="MessageLifecycle.ChildFailed"/>). Reports its end to the gateway with
/// <see cref="MessageProtocol.MessageFinished"/>.
/// </summary>
public sealed class MessageActor : ReceivePersistentActor, IWithTimers
{
    private const string RecordKey = "dead-letter-record";
    private const string ClearKey = "dead-letter-clear";
    private const string RiskKey = "risk";
    private const string InterruptionKey = "interruption";

    private readonly MessageActorDependencies _deps;
    private readonly LifecycleSettings _settings;
    private readonly bool _newId;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private Lifecycle _lifecycle;
    private IActorRef? _stageChild;
    private AtLeastOnceSends? _sends;

    /// <param name="newId">The id is new (the ingress just generated it): nothing is journaled under it, so recovery reads nothing.</param>
    public MessageActor(MessageId id, MessageActorDependencies deps, bool newId)
    {
        _deps = deps;
        _newId = newId;
        _lifecycle = Lifecycle.New(id);
        var s = deps.Settings;
        _settings = new LifecycleSettings(s.MessageLifetime, s.MaxUnknownRestarts, s.MaxUnknownDelayedRetries, s.TransientRetryMin, s.TransientRetryMax,
            s.CrashLoopThreshold, s.SubmitTimeout, s.DeleteContentAfterDelivery, s.DsnTransport, s.ReportingMta, s.Classification);

        Recover<IMessageEvent>(e => _lifecycle = _lifecycle.Apply(e));

        Command<MessageProtocol.AcceptMessage>(cmd => Handle(new Input.Accept(cmd.Submission.Source, cmd.Submission.SizeBytes, cmd.Submission.Envelope), cmd.ReplyTo));
        Command<MessageProtocol.ResumeMessage>(r => Handle(new Input.Resume(r.AfterCrash)));
        Command<MessageProtocol.PerformOperatorCommand>(op =>
            Handle(new Input.Operate(op.Command.Action, op.Command.By, op.Command.Why, op.Reactivated), op.ReplyTo));
        Command<RiskGateProtocol.RiskGranted>(_ =>
        {
            Sends.Confirm(RiskKey);
            Handle(Input.RiskGranted.Instance);
        });
        Command<RiskGateProtocol.Interruption>(i =>
        {
            Sends.Confirm(InterruptionKey);
            Handle(new Input.CrashReport(i.Stage, i.Row));
        });
        Command<CircuitProtocol.DispatchAllowed>(a => Handle(new Input.DispatchAllowed(a.Transport)));
        Command<CircuitProtocol.DispatchDeferred>(d => Handle(new Input.DispatchDeferred(d.RetryAfter)));
        Command<StageProtocol.MappingSucceeded>(m => Handle(new Input.Mapped(m.Sender, m.Recipients, m.Failed)));
        Command<StageProtocol.DeliverySucceeded>(d => Handle(new Input.Delivered(d.Transport, d.Receipt)));
        Command<StageProtocol.NotificationSettled>(n => Handle(new Input.Notified(n.Sent, n.To, n.Transport, n.Location, n.Reason, n.Detail)));
        Command<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(_ => Handle(Input.RecordConfirmed.Instance));
        Command<DeadLetterQueueProtocol.DeadLetterClearConfirmed>(c => Handle(new Input.ClearConfirmed(c.UpToReplays)));
        Command<AtLeastOnceSends.Resend>(r => Sends.OnResend(r));
        // Timers and supervision's follow-ups: the decider's own inputs, sent to this actor only.
        Command<Input>(input => Handle(input));
    }

    public override string PersistenceId => _lifecycle.Id.PersistenceId;

    /// <summary>
    /// A new id skips the snapshot and event reads of recovery (<see cref="Recovery.None"/>; Akka still reads the highest
    /// sequence number, so a wrongly flagged id would still append after its events, not overwrite them; but it would not
    /// see its state, and would be processed again: only the ingress's first ask of an id it just generated sets the flag).
    /// Every other start reads the whole history.
    /// </summary>
    public override Recovery Recovery => _newId ? Recovery.None : base.Recovery;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MessageId id, MessageActorDependencies deps, bool newId = false) => Akka.Actor.Props.Create<MessageActor>(id, deps, newId);

    private MessageId Id => _lifecycle.Id;

    /// <summary>
    /// The at-least-once sends: to the dead-letter queue, the record and the clearing after a replay or purge; to the risk
    /// gate, a request for a stage and the question after a crash (so a gate restarted by its back-off loses neither).
    /// </summary>
    private AtLeastOnceSends Sends => _sends ??= new AtLeastOnceSends(Self, Timers, _deps.Settings.DeadLetterConfirmInterval);

    /// <summary>The scheduler's clock: wall time in production, virtual time under Akka.TestKit's TestScheduler, so due times and timers agree.</summary>
    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private LifecycleContext DecisionContext => new(_settings, _deps.Routes.Current, Random.Shared.NextDouble());

    /// <summary>Akka's own failure logging is off: the decider logs each decision once, with its code.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, exception =>
    {
        var (directive, decision) = MessageLifecycle.ChildFailed(_lifecycle, exception, Now, DecisionContext);
        _lifecycle = _lifecycle with { Runtime = decision.Runtime };
        Perform(decision.Effects, replyTo: null);
        return directive == ChildDirective.Restart ? Directive.Restart : Directive.Stop;
    }, loggingEnabled: false);

    /// <summary>Decides; persists the decision's events (together, timed); then carries out its effects and decides what follows.</summary>
    private void Handle(Input input, IActorRef? replyTo = null)
    {
        var decision = MessageLifecycle.Decide(_lifecycle, input, Now, DecisionContext);
        _lifecycle = _lifecycle with { Runtime = decision.Runtime };
        if (decision.Events.Count == 0)
        {
            Carry(decision, replyTo);
            return;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var remaining = decision.Events.Count;
        PersistAll(decision.Events, e =>
        {
            _lifecycle = _lifecycle.Apply(e);
            if (--remaining > 0) return;
            _deps.Metrics.JournalWrite(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            Carry(decision, replyTo);
        });
    }

    private void Carry(LifecycleDecision decision, IActorRef? replyTo)
    {
        Perform(decision.Effects, replyTo);
        if (decision.Next is { } next) Handle(next);
    }

    private void Perform(IReadOnlyList<Effect> effects, IActorRef? replyTo)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case Effect.ReplyAccepted:
                    replyTo?.Tell(new GatewayProtocol.SubmitAccepted(Id));
                    break;
                case Effect.ReplyOperator r:
                    replyTo?.Tell(new OperatorProtocol.Result(Id, r.Verdict switch
                    {
                        OperatorVerdict.Proceed or OperatorVerdict.AlreadyDone => OperationStatus.Done,
                        OperatorVerdict.NotFound => OperationStatus.NotFound,
                        OperatorVerdict.Busy => OperationStatus.Busy,
                        _ => OperationStatus.Conflict,
                    }, r.Code, r.Detail));
                    break;
                case Effect.MapRecipients m:
                    (_stageChild ??= _deps.Children.Mapper(Context, Id)).Tell(new StageProtocol.MapRecipients(Id, m.Envelope, m.Probe));
                    break;
                case Effect.Deliver d:
                    (_stageChild ??= _deps.Children.Transport(Context, Id)).Tell(new StageProtocol.Deliver(Id, d.Transport, d.Sender, d.Recipients, d.AllRecipients, d.DeliveryId));
                    break;
                case Effect.NotifySender n:
                    (_stageChild ??= _deps.Children.Transport(Context, Id)).Tell(new StageProtocol.NotifySender(Id, n.To, n.Failed, n.ArrivalDate, n.Transport, n.ReportingMta));
                    break;
                case Effect.StopChild:
                    if (_stageChild is not null) Context.Stop(_stageChild);
                    _stageChild = null;
                    break;
                case Effect.ForgetChild:
                    _stageChild = null;
                    break;
                case Effect.RequestRisk r:
                    Sends.Send(RiskKey, _deps.RiskGate, new RiskGateProtocol.RequestRisk(Id, r.Suspect, r.Stage));
                    break;
                case Effect.AskInterruption:
                    Sends.Send(InterruptionKey, _deps.RiskGate, new RiskGateProtocol.QueryInterruption(Id));
                    break;
                case Effect.ReleaseRisk r:
                    _deps.RiskGate.Tell(new RiskGateProtocol.ReleaseRisk(Id, r.Cleared));
                    break;
                case Effect.ReportSuspect r:
                    _deps.RiskGate.Tell(new RiskGateProtocol.SuspectStatus(Id, r.Suspect));
                    break;
                case Effect.RequestDispatch d:
                    _deps.Circuits.Tell(new CircuitProtocol.RequestDispatch(d.Transport));
                    break;
                case Effect.CancelDispatch d:
                    _deps.Circuits.Tell(new CircuitProtocol.CancelDispatch(d.Transport));
                    break;
                case Effect.ReportOutcome o:
                    _deps.Circuits.Tell(new CircuitProtocol.ReportOutcome(o.Transport, o.TransientFailure));
                    break;
                case Effect.StartTimer t:
                    Timers.StartSingleTimer(t.Key, t.Input, t.Delay);
                    break;
                case Effect.CancelTimer t:
                    Timers.Cancel(t.Key);
                    break;
                case Effect.SendDeadLetterRecord r:
                    Sends.Send(RecordKey, _deps.DeadLetterQueue, new DeadLetterQueueProtocol.RecordDeadLetter(r.Entry));
                    break;
                case Effect.StopSendingRecord:
                    Sends.Confirm(RecordKey);
                    break;
                case Effect.SendClear c:
                    Sends.Send(ClearKey, _deps.DeadLetterQueue, new DeadLetterQueueProtocol.ClearDeadLetter(Id, c.UpToReplays, c.Why));
                    break;
                case Effect.StopSendingClear:
                    Sends.Confirm(ClearKey);
                    break;
                case Effect.DeleteContent:
                    _deps.Content.Delete(Id);
                    break;
                case Effect.Finish f:
                    Timers.CancelAll();
                    Context.Parent.Tell(new MessageProtocol.MessageFinished(Id, f.Outcome, f.Reason));
                    Context.Stop(Self);
                    break;
                case Effect.Log l:
                    switch (l.Level)
                    {
                        case LifecycleLogLevel.Error: _log.Error(l.Template, l.Args); break;
                        case LifecycleLogLevel.Warning: _log.Warning(l.Template, l.Args); break;
                        default: _log.Info(l.Template, l.Args); break;
                    }
                    break;
                case Effect.Measure m:
                    Measure(m);
                    break;
                case Effect.SelfTell t:
                    Self.Tell(t.Input);
                    break;
                default:
                    throw new InvalidOperationException($"no interpretation for the effect {effect.GetType().Name}");
            }
        }
    }

    private void Measure(Effect.Measure m)
    {
        var metrics = _deps.Metrics;
        switch (m.Metric)
        {
            case LifecycleMetric.Received: metrics.Received(); break;
            case LifecycleMetric.Delivered: metrics.Delivered(m.Tag!); break;
            case LifecycleMetric.DeadLettered: metrics.DeadLettered(m.Tag!); break;
            case LifecycleMetric.RetryScheduled: metrics.RetryScheduled(m.Tag!); break;
            default: metrics.OperatorAction(m.Tag!); break;
        }
    }

    protected override void PostStop()
    {
        // A holder that stops without finishing its stage has not cleared itself as a crash suspect.
        if (_lifecycle.Runtime.HoldingPermit) _deps.RiskGate.Tell(new RiskGateProtocol.ReleaseRisk(Id, Cleared: false));
        base.PostStop();
    }

    /// <summary>
    /// An event the journal refused to store (it cannot be serialised) would leave the message waiting
    /// forever; stopping hands it to the gateway's resume back-off, which reports GW-MESSAGE-STUCK.
    /// </summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }
}
