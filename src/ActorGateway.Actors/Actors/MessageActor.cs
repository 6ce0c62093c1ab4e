using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>msg-{id}</c>: one persistent actor per message (persistence id <c>msg-{id}</c>), created by
/// the <c>gateway</c>. A state machine, accepted → mapped → delivered, or dead-lettered. It runs
/// each stage in a child (<c>mapper</c>, then <c>transport</c>) and supervises it through
/// <see cref="SupervisionPolicy"/>: a permanent failure quarantines the message at once and the
/// failed stage is never run again for it, not even after a process restart, because the journal
/// says so. Outcomes are per recipient: one that cannot be mapped or is refused is dead-lettered
/// alone while the others are delivered; one the target defers is retried alone.
/// Reports its end to the gateway with <see cref="MessageProtocol.MessageFinished"/>.
/// </summary>
public sealed class MessageActor : ReceivePersistentActor, IWithTimers
{
    private readonly MessageId _id;
    private readonly GatewaySettings _settings;
    private readonly MessageChildFactories _children;
    private readonly IActorRef _deadLetterQueue;
    private readonly ContentStore _content;
    private readonly RouteTableSource _routes;
    private readonly IActorRef _riskGate;
    private readonly IActorRef _circuits;
    private readonly Diagnostics.GatewayMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private MessageState _state = MessageState.Empty;
    private IActorRef? _stageChild;
    private Stage? _runningStage;
    private int _unknownRestarts;
    private bool _deadLetterConfirmed;
    private Stage? _awaitingPermit;
    private bool _holdingPermit;
    private CarefulMapping? _careful;
    private string? _awaitingDispatch;
    private string? _dispatchTransport;
    private bool _clearConfirmed;
    private bool _reactivated;
    private readonly bool _newId;

    /// <param name="newId">The id is new (the ingress just generated it): nothing is journaled under it, so recovery reads nothing.</param>
    public MessageActor(MessageId id, MessageActorDependencies deps, bool newId)
    {
        _id = id;
        _newId = newId;
        _routes = deps.Routes;
        _riskGate = deps.RiskGate;
        _circuits = deps.Circuits;
        _settings = deps.Settings;
        _children = deps.Children;
        _deadLetterQueue = deps.DeadLetterQueue;
        _content = deps.Content;
        _metrics = deps.Metrics;

        Recover<IMessageEvent>(e => _state = _state.Apply(e));

        Command<MessageProtocol.AcceptMessage>(HandleAccept);
        Command<MessageProtocol.ResumeMessage>(HandleResume);
        Command<RiskGateProtocol.RiskGranted>(_ =>
        {
            if (_awaitingPermit is not { } stage) return;
            _awaitingPermit = null;
            _holdingPermit = true;
            StartRisky(stage);
        });
        Command<ScheduleRetry>(r => ScheduleRetryNow(r.Stage, r.Kind, r.Error));
        Command<CircuitProtocol.DispatchAllowed>(a =>
        {
            if (_awaitingDispatch != a.Transport || _state.NextStage != Stage.Delivery)
            {
                _circuits.Tell(new CircuitProtocol.CancelDispatch(a.Transport));
                return;
            }
            Timers.Cancel("lifetime");
            _awaitingDispatch = null;
            _dispatchTransport = a.Transport;
            _awaitingPermit = Stage.Delivery;
            _riskGate.Tell(new RiskGateProtocol.RequestRisk(_id, Suspect: _state.Crashes > 0));
        });
        Command<CircuitProtocol.DispatchDeferred>(d =>
        {
            _awaitingDispatch = null;
            Timers.StartSingleTimer("retry-stage", new RunStage(Stage.Delivery), d.RetryAfter);
        });
        Command<LifetimeElapsed>(_ =>
        {
            if (_awaitingDispatch is not { } transport) return;
            // Waiting on an open circuit is never the message's fault; only its lifetime ends the wait.
            _circuits.Tell(new CircuitProtocol.CancelDispatch(transport));
            _awaitingDispatch = null;
            Expire(Stage.Delivery);
        });
        Command<StageProtocol.MappingSucceeded>(HandleMapped);
        Command<StageProtocol.DeliverySucceeded>(HandleDelivered);
        Command<StageProtocol.NotificationSettled>(HandleNotified);
        Command<RunStage>(cmd => RunStageNow(cmd.Stage));
        Command<StageFailed>(HandleStageFailed);
        Command<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(_ =>
        {
            Sends.Confirm(RecordKey);
            _deadLetterConfirmed = true;
            Continue();
        });
        Command<AtLeastOnceSends.Resend>(r => Sends.OnResend(r));
        Command<MessageProtocol.PerformOperatorCommand>(HandleOperate);
        Command<DeadLetterQueueProtocol.DeadLetterClearConfirmed>(c =>
        {
            if (c.UpToReplays < MessageRules.ClearUpTo(_state)) return; // an answer to an older clearing
            Sends.Confirm(ClearKey);
            _clearConfirmed = true;
            if (_state.IsFinished) Continue();
        });
        Command<AbandonIfNotAccepted>(_ =>
        {
            if (_state.Status != MessageStatus.New) return;
            // The content is kept: an ingress may still hold the message and submit it again under this id.
            _log.Info("{Code} {MessageId} was admitted but never accepted; releasing it", ReasonCodes.Abandoned, _id);
            Finish(Outcomes.Abandoned, ReasonCodes.Abandoned);
        });
    }

    public override string PersistenceId => _id.PersistenceId;

    /// <summary>
    /// A new id skips the snapshot and event reads of recovery (<see cref="Recovery.None"/>; Akka still reads the highest
    /// sequence number, so a wrongly flagged id would still append after its events, not overwrite them; but it would not
    /// see its state, and would be processed again: only the ingress's first ask of an id it just generated sets the flag).
    /// Every other start reads the whole history.
    /// </summary>
    public override Recovery Recovery => _newId ? Recovery.None : base.Recovery;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MessageId id, MessageActorDependencies deps, bool newId = false) => Akka.Actor.Props.Create<MessageActor>(id, deps, newId);

    /// <summary>Classifies a stage child's failure and acts on <see cref="SupervisionPolicy"/>. One stage runs at a time, so the failed child is the running stage's.</summary>
    /// <remarks>Akka's own failure logging is off: <see cref="Decide"/> logs each decision once, with its code.</remarks>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, Decide, loggingEnabled: false);

    private Directive Decide(Exception exception)
    {
        var stage = _runningStage ?? Stage.Mapping;
        var kind = FailureClassifier.Classify(exception, MessageRules.ClassificationFor(_state, stage, _routes.Current, _settings.Classification));
        if (stage == Stage.Delivery) ReportToCircuit(transientFailure: kind == FailureKind.Transient);
        switch (SupervisionPolicy.Decide(kind, _unknownRestarts, _settings.MaxUnknownRestarts, _state.DelayedRetries, _settings.MaxUnknownDelayedRetries))
        {
            case StageAction.RestartNow:
                _unknownRestarts++;
                _log.Warning("{Code} {Stage} of {MessageId} failed with {ErrorType}: {Error}; restart {Restart} of {MaxRestarts}",
                    new object[] { ReasonCodes.StageRestarted, stage, _id, exception.GetType().Name, exception.Message, _unknownRestarts, _settings.MaxUnknownRestarts });
                Self.Tell(new RunStage(stage));
                return Directive.Restart;

            case StageAction.RetryLater:
                // Persisted (so a restart keeps the schedule) by the handler. The child is restarted (a fresh
                // instance keeps nothing of the failed attempt) and waits, idle, until the retry runs the stage.
                Self.Tell(new ScheduleRetry(stage, kind.ToString().ToLowerInvariant(), $"{exception.GetType().Name}: {exception.Message}"));
                return Directive.Restart;

            default:
                Self.Tell(new StageFailed(stage, exception, 1 + _unknownRestarts + _state.DelayedRetries));
                return Directive.Stop;
        }
    }

    private void HandleAccept(MessageProtocol.AcceptMessage cmd)
    {
        Timers.Cancel(nameof(AbandonIfNotAccepted));
        if (_state.Status != MessageStatus.New)
        {
            // A duplicate submission of an id we already own: acceptance is already durable.
            cmd.ReplyTo.Tell(new GatewayProtocol.SubmitAccepted(_id));
            Continue();
            return;
        }
        var s = cmd.Submission;
        PersistTimed(new MessageAccepted(_id, s.Source, s.SizeBytes, s.Envelope, Now), e =>
        {
            _state = _state.Apply(e);
            _metrics.Received();
            cmd.ReplyTo.Tell(new GatewayProtocol.SubmitAccepted(_id));
            Continue();
        });
    }

    /// <summary>An operator's command: <see cref="OperatorPolicy"/> decides; a command it allows is journaled (with who and why) before it is answered.</summary>
    private void HandleOperate(MessageProtocol.PerformOperatorCommand op)
    {
        _reactivated |= op.Reactivated;
        var command = op.Command;
        var action = command.Action;
        var decision = OperatorPolicy.Decide(_state, action, _runningStage);
        void Reply(OperationStatus status) => op.ReplyTo.Tell(new OperatorProtocol.Result(_id, status, decision.Code, decision.Detail));
        switch (decision.Verdict)
        {
            case OperatorVerdict.Proceed:
                break;
            case OperatorVerdict.AlreadyDone:
                Reply(OperationStatus.Done);
                if (op.Reactivated) Continue();
                return;
            default:
                Reply(decision.Verdict switch
                {
                    OperatorVerdict.NotFound => OperationStatus.NotFound,
                    OperatorVerdict.Busy => OperationStatus.Busy,
                    _ => OperationStatus.Conflict,
                });
                // Started only for this command: nothing else to do, so stop again (a message in flight goes on as it was).
                if (op.Reactivated) Continue();
                return;
        }
        var now = Now;
        IMessageEvent evt = action switch
        {
            OperatorAction.Replay => new OperatorEvents.ReplayRequested(_id, _state.Replays + 1, command.By, command.Why, now),
            OperatorAction.Hold => new OperatorEvents.MessageHeld(_id, command.By, command.Why, now),
            OperatorAction.Release => new OperatorEvents.HoldReleased(_id, command.By, command.Why, now),
            _ => new OperatorEvents.MessagePurged(_id, command.By, command.Why, now),
        };
        PersistTimed(evt, e =>
        {
            _state = _state.Apply(e);
            _metrics.OperatorAction(action.ToString().ToLowerInvariant());
            _log.Info("{Code} {MessageId}: {Action} by {By} ({Why}); {Detail}",
                new object[] { decision.Code, _id, action.ToString().ToLowerInvariant(), command.By, command.Why, decision.Detail });
            switch (action)
            {
                case OperatorAction.Replay:
                    // The old record is no longer owed, and a clearing still pending names an older generation.
                    _deadLetterConfirmed = false;
                    _clearConfirmed = false;
                    Sends.Confirm(RecordKey);
                    Sends.Confirm(ClearKey);
                    break;
                case OperatorAction.Purge:
                    _clearConfirmed = false;
                    Sends.Confirm(RecordKey);
                    Sends.Confirm(ClearKey);
                    _content.Delete(_id);
                    break;
                case OperatorAction.Hold when _awaitingDispatch is { } transport:
                    // Waiting on a circuit: give up the place in line now; the release asks again.
                    _circuits.Tell(new CircuitProtocol.CancelDispatch(transport));
                    _awaitingDispatch = null;
                    Timers.Cancel("lifetime");
                    break;
            }
            Reply(OperationStatus.Done);
            // A running stage finishes first (its handler continues); otherwise go on now.
            if (_runningStage is null && _awaitingPermit is null) Continue();
        });
    }

    private const string RecordKey = "dead-letter-record";
    private const string ClearKey = "dead-letter-clear";

    /// <summary>The at-least-once sends to the dead-letter queue: the record, and the clearing after a replay or purge.</summary>
    private AtLeastOnceSends Sends => _sends ??= new AtLeastOnceSends(Self, Timers, _settings.DeadLetterConfirmInterval);

    private AtLeastOnceSends? _sends;

    private void SendClear() =>
        Sends.Send(ClearKey, _deadLetterQueue, new DeadLetterQueueProtocol.ClearDeadLetter(_id, MessageRules.ClearUpTo(_state), _state.Purged is not null ? "purged" : "replayed"));

    /// <summary>Persists an event and records how long the journal took to confirm it.</summary>
    private void PersistTimed<TEvent>(TEvent evt, Action<TEvent> handler)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Persist(evt, e =>
        {
            _metrics.JournalWrite(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            handler(e);
        });
    }

    /// <summary>Does whatever the journal says comes next.</summary>
    private void Continue()
    {
        if (_state.Status == MessageStatus.New && _reactivated)
        {
            // Started only for an operator's command about an id the journal does not know.
            Finish(Outcomes.Abandoned, ReasonCodes.MessageNotFound);
            return;
        }
        if (_state.Status == MessageStatus.New)
        {
            // Admitted before a crash but never accepted: the ingress got no acknowledgement. Give it
            // the submit timeout to submit the same id again (a claimed pickup file does), then release.
            Timers.StartSingleTimer(nameof(AbandonIfNotAccepted), AbandonIfNotAccepted.Instance, _settings.SubmitTimeout);
            return;
        }
        var clearOwed = MessageRules.ClearOwed(_state);
        if (clearOwed && !_clearConfirmed && !Sends.IsPending(ClearKey))
        {
            // Replayed or purged: the dead-letter queue must drop the old entry (at-least-once). The message
            // goes on meanwhile, but does not finish before the queue confirms.
            SendClear(); // once; it is sent again until the queue confirms
        }
        if (clearOwed && !_clearConfirmed && _state.IsFinished) return; // finishes when the queue confirms
        if (_state.Purged is not null)
        {
            _content.Delete(_id); // again, in case the process died between the purge and the delete
            Finish(_state.Outcome, ReasonCodes.Purged);
            return;
        }
        if (_state.NeedsPartialDeadLetter)
        {
            DeadLetterRecipients();
            return;
        }
        if (_state.Status == MessageStatus.DeadLettered && !_deadLetterConfirmed)
        {
            if (!Sends.IsPending(RecordKey)) SendDeadLetterRecord();
            return;
        }
        if (_state.NextStage is { } next)
        {
            if (_runningStage is null && _awaitingPermit is null && _awaitingDispatch is null) RunStageNow(next);
            return;
        }
        if (_state.IsFinished)
        {
            if (_state.Status == MessageStatus.Delivered && _settings.DeleteContentAfterDelivery) _content.Delete(_id);
            Finish(_state.Outcome, _state.DeadLetter?.Reason);
        }
    }

    /// <summary>After a restart: a risky stage that was started and never finished was interrupted by a crash.</summary>
    private void HandleResume(MessageProtocol.ResumeMessage resume)
    {
        // Only a stage that was actually running when the process died counts; a suspect from an earlier
        // crash that did not get its turn stays a suspect with its count unchanged.
        var interrupted = resume.AfterCrash ? _state.InProgress : null;
        if (resume.AfterCrash) _riskGate.Tell(new RiskGateProtocol.SuspectStatus(_id, !_state.IsFinished && (interrupted is not null || _state.Crashes > 0)));
        if (interrupted is null || _state.IsFinished)
        {
            Continue();
            return;
        }
        var crashes = _state.Crashes + 1;
        PersistTimed(new StageInterrupted(_id, interrupted.Stage, crashes, Now, interrupted.Recipient), e =>
        {
            _state = _state.Apply(e);
            if (crashes < _settings.CrashLoopThreshold)
            {
                _log.Warning("{Code} {MessageId} was in its {Stage} stage (recipient {Recipient}) when the process crashed ({Crashes} of {Threshold}); it runs again alone",
                    new object?[] { ReasonCodes.CrashSuspect, _id, interrupted.Stage, interrupted.Recipient, crashes, _settings.CrashLoopThreshold });
                Continue();
                return;
            }
            // The stage has now been in flight for `threshold` crashes, the last time alone: it is what kills the process.
            _riskGate.Tell(new RiskGateProtocol.ReleaseRisk(_id, Cleared: true));
            PersistDeadLetter(MessageRules.CrashLoop(_id, _state, interrupted, crashes, Now));
        });
    }

    /// <summary>A lifetime starts at acceptance, and again at each replay.</summary>
    private DateTimeOffset ExpiresAt => _state.LifetimeStart + _settings.MessageLifetime;

    /// <summary>The scheduler's clock: wall time in production, virtual time under Akka.TestKit's TestScheduler, so due times and timers agree.</summary>
    private static DateTimeOffset Now => Context.System.Scheduler.Now;

    private void RunStageNow(Stage stage)
    {
        if (_state.NextStage != stage)
        {
            // Stale (the stage completed, or the message is quarantined); or held while the stage ran and
            // its child was restarted after a failure: end the stage, so the hold takes effect.
            if (_runningStage == stage && _state.Held is not null)
            {
                EndStage();
                Continue();
            }
            return;
        }
        if (stage == Stage.Notification)
        {
            _runningStage = stage;
            _stageChild ??= _children.Transport(Context, _id);
            _stageChild.Tell(new StageProtocol.NotifySender(_id, _state.Accepted!.Envelope.NotifyAddress, MessageRules.FailedForNotification(_state),
                _state.Accepted.At, _settings.DsnTransport, _settings.ReportingMta));
            return;
        }
        var now = Now;
        if (now >= ExpiresAt)
        {
            Expire(stage);
            return;
        }
        if (_state.PendingRetry is { } retry && retry.DueAt > now)
        {
            // A retry scheduled before a restart: keep its time.
            Timers.StartSingleTimer("retry-stage", new RunStage(stage), retry.DueAt - now);
            return;
        }
        if (stage == Stage.Delivery)
        {
            // One transport at a time, each through its endpoint's circuit breaker: while the circuit is
            // open the request is parked, costing no attempts, until it half-opens or closes.
            _awaitingDispatch = _state.PendingRecipients[0].Transport ?? TransportRegistry.Spool;
            _circuits.Tell(new CircuitProtocol.RequestDispatch(_awaitingDispatch));
            Timers.StartSingleTimer("lifetime", LifetimeElapsed.Instance, ExpiresAt - now);
            return;
        }
        _awaitingPermit = stage;
        _riskGate.Tell(new RiskGateProtocol.RequestRisk(_id, Suspect: _state.Crashes > 0));
    }

    /// <summary>Records the risk durably, then runs the stage. A crash suspect maps one recipient at a time, each recorded first.</summary>
    private void StartRisky(Stage stage)
    {
        if (_state.NextStage != stage)
        {
            ReleasePermit();
            if (_state.IsFinished) Continue(); // held while it waited for the permit
            return;
        }
        _runningStage = stage;
        if (stage == Stage.Mapping && _state.Crashes > 0)
        {
            _careful = new CarefulMapping();
            MapNextCarefully();
            return;
        }
        PersistTimed(new StageStarted(_id, stage, Now), e =>
        {
            _state = _state.Apply(e);
            switch (stage)
            {
                case Stage.Mapping:
                    _stageChild ??= _children.Mapper(Context, _id);
                    _stageChild.Tell(new StageProtocol.MapRecipients(_id, _state.Accepted!.Envelope with { Recipients = _state.RecipientsToMap }));
                    break;
                case Stage.Delivery:
                    _stageChild ??= _children.Transport(Context, _id);
                    var mapping = _state.Mapping!;
                    var transport = _dispatchTransport!;
                    var group = _state.PendingRecipients.Where(r => (r.Transport ?? TransportRegistry.Spool) == transport).ToList();
                    _stageChild.Tell(new StageProtocol.Deliver(_id, transport, mapping.Sender, group, _state.AllMappedRecipients, MessageRules.DeliveryId(_id, _state)));
                    break;
            }
        });
    }

    private void MapNextCarefully()
    {
        var envelope = _state.Accepted!.Envelope;
        var recipient = _state.RecipientsToMap[_careful!.Next];
        PersistTimed(new StageStarted(_id, Stage.Mapping, Now, recipient.Address), e =>
        {
            _state = _state.Apply(e);
            _stageChild ??= _children.Mapper(Context, _id);
            _stageChild.Tell(new StageProtocol.MapRecipients(_id, envelope with { Recipients = [recipient] }, Probe: true));
        });
    }

    /// <summary>Past its lifetime: whatever is still pending is dead-lettered GW-EXPIRED (and the sender told, where the route says so).</summary>
    private void Expire(Stage stage)
    {
        ReleasePermit();
        PersistDeadLetter(MessageRules.Expired(_id, _state, stage, _settings.MessageLifetime, Now));
    }

    /// <summary>Persists the next delayed retry of a stage, so a restart keeps the schedule, or expires the message when the retry would outlive it.</summary>
    private void ScheduleRetryNow(Stage stage, string kind, string error)
    {
        if (_state.Held is not null)
        {
            // Held while the stage ran: no retry is scheduled now; the release runs the stage again.
            _runningStage = null;
            ReleasePermit();
            Continue();
            return;
        }
        if (_state.NextStage != stage) return;
        _runningStage = null;
        var attempt = _state.DelayedRetries + 1;
        var delay = SupervisionPolicy.Backoff(attempt, _settings.TransientRetryMin, _settings.TransientRetryMax, Random.Shared.NextDouble());
        var now = Now;
        if (now + delay >= ExpiresAt)
        {
            Expire(stage);
            return;
        }
        PersistTimed(new RetryScheduled(_id, stage, attempt, now + delay, kind, error, now), e =>
        {
            _state = _state.Apply(e);
            _metrics.RetryScheduled(stage.ToString().ToLowerInvariant());
            ReleasePermit();
            Timers.StartSingleTimer("retry-stage", new RunStage(stage), delay);
            _log.Warning("{Code} {Stage} of {MessageId} will be retried ({Kind}: {Error}); retry {Retry} at {DueAt}",
                new object[] { ReasonCodes.RetryScheduled, stage, _id, kind, error, attempt, e.DueAt });
        });
    }

    /// <summary>Tells the endpoint's circuit breaker how the attempt went (a refusal proves the endpoint answered).</summary>
    private void ReportToCircuit(bool transientFailure)
    {
        if (_dispatchTransport is not { } transport) return;
        _dispatchTransport = null;
        _circuits.Tell(new CircuitProtocol.ReportOutcome(transport, transientFailure));
    }

    private void ReleasePermit()
    {
        if (!_holdingPermit) return;
        _holdingPermit = false;
        _riskGate.Tell(new RiskGateProtocol.ReleaseRisk(_id, Cleared: true));
    }

    private void HandleNotified(StageProtocol.NotificationSettled result)
    {
        if (!_state.NotificationPending) return;
        IMessageEvent evt = result.Sent
            ? new SenderNotified(_id, result.To, result.Transport, result.Location, Now)
            : new SenderNotificationFailed(_id, result.Reason!, result.Detail ?? string.Empty, Now);
        PersistTimed(evt, e =>
        {
            _state = _state.Apply(e);
            if (result.Sent) _log.Info("{Code} Sent a DSN about {MessageId} to {To} via {Transport}", ReasonCodes.DsnSent, _id, result.To, result.Transport);
            else _log.Warning("{Code} No DSN about {MessageId} to {To}: {Detail}", result.Reason, _id, result.To, result.Detail);
            EndStage();
            Continue();
        });
    }

    private void HandleMapped(StageProtocol.MappingSucceeded result)
    {
        if (_state.Status != MessageStatus.Accepted) return;
        if (_careful is { } careful)
        {
            careful.Add(result);
            if (careful.Next < _state.RecipientsToMap.Count)
            {
                MapNextCarefully();
                return;
            }
            _careful = null;
            result = careful.Result(_id);
            if (result.Recipients.Count == 0)
            {
                _runningStage = null;
                EndStage();
                var ex = new MessageUnmappableException(result.Failed);
                PersistDeadLetter(new MessageDeadLettered(_id, ex.ReasonCode, Stage.Mapping, ex.Address, ex.GetType().FullName!, ex.Message, null, 1,
                    Now, result.Failed));
                return;
            }
        }
        PersistTimed(new RecipientsMapped(_id, result.Sender, result.Recipients, Now, result.Failed.Count > 0 ? result.Failed : null), e =>
        {
            _state = _state.Apply(e);
            foreach (var f in result.Failed)
            {
                // Logged now, with the recipient and the message id; quarantined once the others are delivered.
                _log.Warning("{Code} {MessageId}: recipient {Recipient} ({Role}) cannot be mapped: {Detail}; the other recipients go on",
                    f.Reason, _id, f.Address, f.Role, f.Detail);
            }
            EndStage();
            Continue();
        });
    }

    private void HandleDelivered(StageProtocol.DeliverySucceeded result)
    {
        if (_state.Status != MessageStatus.Mapped || _runningStage != Stage.Delivery) return;
        ReportToCircuit(transientFailure: false);
        var receipt = result.Receipt;
        var (delivered, refused, deferred) = MessageRules.PartitionReceipt(_state.Mapping!.Recipients, result.Transport, receipt);
        var attempt = _state.DeliveryAttempts + 1;

        if (deferred.Count == 0)
        {
            PersistTimed(new MessageDelivered(_id, result.Transport, receipt.Location, receipt.AlreadyPresent, attempt, Now, delivered, refused.Count > 0 ? refused : null), e =>
            {
                _state = _state.Apply(e);
                _metrics.Delivered(e.Transport);
                EndStage();
                _log.Info("{Code} Delivered {MessageId} via {Transport} to {Location} ({Delivered} delivered, {Refused} refused; already present: {AlreadyPresent})",
                    new object[] { e.AlreadyPresent ? ReasonCodes.DeliveredAlreadyPresent : ReasonCodes.Delivered, _id, e.Transport, e.Location, delivered.Count, refused.Count, e.AlreadyPresent });
                Continue();
            });
            return;
        }

        // The target said "later" for some recipients: settle the others, retry only those, never blame the message.
        PersistTimed(new DeliveryAttempted(_id, result.Transport, receipt.Location, delivered, refused, deferred, attempt, Now), e =>
        {
            _state = _state.Apply(e);
            _log.Warning("{Code} {MessageId}: {Deferred} recipient(s) deferred by {Transport} ({Reply})",
                ReasonCodes.RecipientDeferred, _id, deferred.Count, result.Transport, deferred[0].Reply);
            ScheduleRetryNow(Stage.Delivery, "deferred", deferred[0].Reply ?? "deferred");
        });
    }

    /// <summary>Quarantines the recipients that failed for good once nothing else is pending.</summary>
    private void DeadLetterRecipients() => PersistDeadLetter(MessageRules.RecipientsFailed(_id, _state, Now));

    private void HandleStageFailed(StageFailed failed)
    {
        _stageChild = null; // stopped by the Stop directive
        _runningStage = null;
        var ex = failed.Exception;
        if (failed.Stage == Stage.Notification)
        {
            // The DSN cannot be sent: record it and finish. The recipients are quarantined already.
            HandleNotified(new StageProtocol.NotificationSettled(_id, false, _state.Accepted!.Envelope.NotifyAddress, _settings.DsnTransport, "-",
                FailureClassifier.ReasonCode(ex) == ReasonCodes.Unhandled ? ReasonCodes.DsnFailed : FailureClassifier.ReasonCode(ex), ex.Message));
            return;
        }
        if (_state.Status == MessageStatus.DeadLettered) return;
        PersistDeadLetter(MessageRules.StageFailed(_id, _state, failed.Stage, ex, failed.Attempts, Now));
    }

    private void PersistDeadLetter(MessageDeadLettered evt)
    {
        PersistTimed(evt with { NotifySender = MessageRules.ShouldNotify(_state, evt, _routes.Current) }, e =>
        {
            _state = _state.Apply(e);
            _metrics.DeadLettered(e.Reason);
            _log.Error("{Code} Dead-lettered {MessageId} at {Stage}, reason {Reason}, recipient {Recipient}, after {Attempts} attempt(s) (partial: {Partial}): {Error}",
                new object?[] { ReasonCodes.DeadLettered, _id, e.Stage, e.Reason, e.Recipient, e.Attempts, e.Partial, e.ErrorMessage });
            Continue();
        });
    }

    /// <summary>At-least-once: until the queue confirms, it is sent again (the queue is idempotent per id and generation).</summary>
    private void SendDeadLetterRecord()
    {
        var dead = _state.DeadLetter!;
        Sends.Send(RecordKey, _deadLetterQueue, new DeadLetterQueueProtocol.RecordDeadLetter(
            DeadLetterEntry.From(dead, _state.Accepted?.Source, MessageRules.RouteOf(_state, dead, _routes.Current), _state.Replays)));
    }

    private void EndStage()
    {
        if (_stageChild is not null) Context.Stop(_stageChild);
        _stageChild = null;
        _runningStage = null;
        _unknownRestarts = 0;
        ReleasePermit();
    }

    protected override void PostStop()
    {
        // A holder that stops without finishing its stage has not cleared itself as a crash suspect.
        if (_holdingPermit) _riskGate.Tell(new RiskGateProtocol.ReleaseRisk(_id, Cleared: false));
        base.PostStop();
    }

    private void Finish(string outcome, string? reason)
    {
        Timers.CancelAll();
        Context.Parent.Tell(new MessageProtocol.MessageFinished(_id, outcome, reason));
        Context.Stop(Self);
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

    /// <summary>Self-message: run (or re-run) a stage now.</summary>
    private sealed record RunStage(Stage Stage);

    /// <summary>Timer: the message's lifetime ran out while it waited on an open circuit.</summary>
    private sealed record LifetimeElapsed
    {
        public static readonly LifetimeElapsed Instance = new();
    }

    /// <summary>Self-message from the supervisor decider: persist a delayed retry of the stage.</summary>
    private sealed record ScheduleRetry(Stage Stage, string Kind, string Error);

    /// <summary>A crash suspect's mapping, one recipient at a time.</summary>
    private sealed class CarefulMapping
    {
        private readonly List<MappedAddress> _mapped = [];
        private readonly List<RecipientFailure> _failed = [];
        private MappedAddress? _sender;

        public int Next { get; private set; }

        public void Add(StageProtocol.MappingSucceeded result)
        {
            _sender ??= result.Sender;
            _mapped.AddRange(result.Recipients);
            _failed.AddRange(result.Failed);
            Next++;
        }

        public StageProtocol.MappingSucceeded Result(MessageId id) => new(id, _sender!, _mapped, _failed);
    }

    /// <summary>Self-message from the supervisor decider: quarantine the message.</summary>
    private sealed record StageFailed(Stage Stage, Exception Exception, int Attempts);

    /// <summary>Timer: a resumed message that was never accepted is released when no ingress claims it.</summary>
    private sealed record AbandonIfNotAccepted
    {
        public static readonly AbandonIfNotAccepted Instance = new();
    }


}
