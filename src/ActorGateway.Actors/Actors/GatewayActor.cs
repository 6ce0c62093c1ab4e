using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.GatewayEvents;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>gateway</c>: the supervisor. Creates one <c>msg-{id}</c> actor per message, bounds how many
/// are in flight (holding submissions back, then answering GW-BUSY), and keeps a durable
/// registry of admitted-but-unfinished messages (persistence id <c>gateway</c>) so that every
/// start resumes exactly those. Failures of one message never reach it: message actors
/// supervise their own stages, and a message actor that dies unexpectedly is resumed with back-off.
/// </summary>
public sealed class GatewayActor : ReceivePersistentActor, IWithTimers
{
    public const string Name = "gateway";

    private readonly GatewaySettings _settings;
    private readonly Func<MessageId, bool, Props> _messageProps;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Guid _incarnation = Guid.NewGuid();

    private readonly HashSet<MessageId> _registered = [];
    private readonly Dictionary<MessageId, IActorRef> _running = [];
    private readonly Dictionary<IActorRef, MessageId> _idByActor = [];
    private readonly HashSet<MessageId> _finishing = [];
    private readonly Queue<(GatewayProtocol.SubmitMessage Submission, IActorRef ReplyTo)> _waiting = new();
    private readonly Queue<MessageId> _toResume = new();
    private readonly Dictionary<MessageId, int> _unexpectedStops = [];
    private readonly Dictionary<MessageId, Queue<(OperatorProtocol.Command Command, IActorRef ReplyTo)>> _pendingCommands = [];
    private readonly Dictionary<MessageId, List<(OperatorProtocol.Command Command, IActorRef ReplyTo)>> _awaitingSpawn = [];
    private bool _recovered;

    /// <summary>Admissions and releases waiting for the registry's next write (one write in flight at a time: group commit).</summary>
    private readonly List<(MessageId Id, Action Durable)> _admitting = [];
    private readonly List<(ReleasedMessage Released, Action Durable)> _releasing = [];
    private bool _registryWriting;
    private bool _afterCrash;
    private readonly IActorRef _riskGate;

    /// <summary>The last thing the registry recorded was a clean shutdown.</summary>
    private bool _cleanShutdown;

    private readonly Diagnostics.GatewayMetrics? _metrics;

    private readonly string _persistenceId;
    private readonly int _maxInFlight;

    /// <param name="messageProps">Props of the actor for a message id; the flag says the id is new (nothing journaled under it yet).</param>
    /// <param name="persistenceId"><c>gateway</c> on a single node; <c>gateway-{partition}</c> for a partition of a cluster.</param>
    /// <param name="maxInFlight">This registry's in-flight bound (a partition's share of <c>max-in-flight</c>); null for the setting itself.</param>
    public GatewayActor(GatewaySettings settings, Func<MessageId, bool, Props> messageProps, IActorRef riskGate, Diagnostics.GatewayMetrics? metrics,
        string persistenceId = Name, int? maxInFlight = null)
    {
        _settings = settings;
        _persistenceId = persistenceId;
        _maxInFlight = maxInFlight ?? settings.MaxInFlight;
        _metrics = metrics;
        _messageProps = messageProps;
        _riskGate = riskGate;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is InFlightSnapshot s) _registered.UnionWith(s.MessageIds);
        });
        Recover<MessageAdmitted>(e =>
        {
            _registered.Add(e.MessageId);
            _cleanShutdown = false;
        });
        Recover<MessageReleased>(e =>
        {
            _registered.Remove(e.MessageId);
            _cleanShutdown = false;
        });
        Recover<RegistryChanged>(e =>
        {
            foreach (var released in e.Released) _registered.Remove(released.MessageId);
            _registered.UnionWith(e.Admitted);
            _cleanShutdown = false;
        });
        Recover<CleanShutdown>(_ => _cleanShutdown = true);
        Recover<GatewayStarted>(_ => _cleanShutdown = false);
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<GatewayProtocol.SubmitMessage>(HandleSubmit);
        Command<MessageProtocol.MessageFinished>(HandleFinished);
        Command<OperatorProtocol.Operate>(op => HandleOperate(op.Command, Sender));
        Command<OperatorProtocol.Result>(HandleOperatorResult);
        Command<Terminated>(HandleTerminated);
        Command<ResumeLater>(r =>
        {
            if (!_registered.Contains(r.MessageId) || _running.ContainsKey(r.MessageId)) return;
            _toResume.Enqueue(r.MessageId);
            StartResumes();
        });
        Command<RecordCleanShutdown>(_ =>
        {
            var replyTo = Sender;
            Persist(new CleanShutdown(Context.System.Scheduler.Now), _ => replyTo.Tell(CleanShutdownRecorded.Instance));
        });
        Command<GatewayProtocol.GetStatus>(_ =>
            Sender.Tell(new GatewayProtocol.GatewayStatus(_registered.Count, _running.Count, _waiting.Count, _recovered, _incarnation)));
        Command<SaveSnapshotSuccess>(s =>
        {
            // The snapshot holds the whole registry: older events and snapshots are no longer needed.
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("gateway registry snapshot failed: {Error}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("gateway registry journal trim failed: {Error}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => _persistenceId;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GatewaySettings settings, Func<MessageId, bool, Props> messageProps, IActorRef riskGate, Diagnostics.GatewayMetrics? metrics = null,
        string persistenceId = Name, int? maxInFlight = null) =>
        Akka.Actor.Props.Create(() => new GatewayActor(settings, messageProps, riskGate, metrics, persistenceId, maxInFlight));

    /// <summary>For message props that do not care whether an id is new.</summary>
    public static Props Props(GatewaySettings settings, Func<MessageId, Props> messageProps, IActorRef riskGate, Diagnostics.GatewayMetrics? metrics = null) =>
        Props(settings, (id, _) => messageProps(id), riskGate, metrics);

    /// <summary>Coordinated shutdown → gateway: record that this stop is graceful.</summary>
    public sealed record RecordCleanShutdown
    {
        public static readonly RecordCleanShutdown Instance = new();
    }

    /// <summary>Gateway → coordinated shutdown.</summary>
    public sealed record CleanShutdownRecorded
    {
        public static readonly CleanShutdownRecorded Instance = new();
    }

    /// <summary>A message actor's own code failed (its stages are supervised by it, not here): stop it and resume it with back-off.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        _log.Error(ex, "{Code} a message actor failed with {ErrorType}: {Error}", ReasonCodes.MessageActorFailed, ex.GetType().Name, ex.Message);
        return Directive.Stop;
    });

    private void OnRecovered()
    {
        _recovered = true;
        _metrics?.SetInFlight(_persistenceId, _registered.Count);
        _afterCrash = !_cleanShutdown && _registered.Count > 0;
        // Consume the clean-shutdown mark, so a crash of this run is not taken for a clean stop.
        if (_cleanShutdown) PersistAsync(new GatewayStarted(Context.System.Scheduler.Now), _ => { });
        if (_registered.Count > 0)
        {
            _log.Info("{Code} Resuming {Count} message(s) accepted but not finished (the last run {How})",
                ReasonCodes.Resumed, _registered.Count, _afterCrash ? "crashed" : "stopped cleanly");
            if (_afterCrash) _riskGate.Tell(new RiskGateProtocol.EnterCarefulMode(_registered.ToList()));
            foreach (var id in _registered) _toResume.Enqueue(id);
            StartResumes();
        }
    }

    private void HandleSubmit(GatewayProtocol.SubmitMessage submission)
    {
        var id = submission.MessageId;
        if (_registered.Contains(id))
        {
            // The same id again: an ingress retrying after a lost acknowledgement or a crash. The running
            // actor answers from its journal; one that is finishing or not yet resumed is retried by the ingress.
            if (!_finishing.Contains(id) && _running.TryGetValue(id, out var child)) child.Tell(new MessageProtocol.AcceptMessage(submission, Sender));
            else Sender.Tell(new GatewayProtocol.SubmitRejected(id, ReasonCodes.Busy, "this message id is finishing or being resumed; try again"));
            return;
        }
        if (HasAdmissionCapacity)
        {
            Admit(submission, Sender);
        }
        else if (_waiting.Count < _settings.MaxWaitingSubmissions)
        {
            _waiting.Enqueue((submission, Sender));
        }
        else
        {
            Sender.Tell(new GatewayProtocol.SubmitRejected(id, ReasonCodes.Busy,
                $"{_registered.Count} messages in flight and {_waiting.Count} waiting; try again later"));
        }
    }

    /// <summary>
    /// An operator's command: a message in flight gets it directly; a finished one (quarantined, held)
    /// is admitted again, like a new submission (it counts against the in-flight bound), and started for it.
    /// </summary>
    private void HandleOperate(OperatorProtocol.Command command, IActorRef replyTo)
    {
        var id = command.MessageId;
        if (_registered.Contains(id))
        {
            if (!_finishing.Contains(id) && _running.TryGetValue(id, out var child))
            {
                Relay(child, command, replyTo, reactivated: false);
            }
            else if (_awaitingSpawn.TryGetValue(id, out var early))
            {
                early.Add((command, replyTo)); // admitted for an earlier command; the actor gets this one right after
            }
            else if (_finishing.Contains(id))
            {
                // Released in a moment: the command then admits the message again (HandleFinished).
                Pending(id).Enqueue((command, replyTo));
            }
            else
            {
                replyTo.Tell(new OperatorProtocol.Result(id, OperationStatus.Busy, ReasonCodes.Busy, "the message is being resumed; try again"));
            }
            return;
        }
        if (!HasAdmissionCapacity)
        {
            replyTo.Tell(new OperatorProtocol.Result(id, OperationStatus.Busy, ReasonCodes.Busy,
                $"{_registered.Count} messages in flight (the bound is {_maxInFlight}); try again later"));
            return;
        }
        Register(id);
        _awaitingSpawn[id] = [(command, replyTo)];
        RecordAdmitted(id, () =>
        {
            var child = Spawn(id);
            _awaitingSpawn.Remove(id, out var commands);
            foreach (var (c, r) in commands!) Relay(child, c, r, reactivated: true);
        });
    }

    /// <summary>
    /// Hands a command to the message actor with the gateway as the one to answer, and remembers it:
    /// an actor that stops before answering (it was finishing as the command arrived) does not lose it.
    /// </summary>
    private void Relay(IActorRef child, OperatorProtocol.Command command, IActorRef replyTo, bool reactivated)
    {
        Pending(command.MessageId).Enqueue((command, replyTo));
        child.Tell(new MessageProtocol.PerformOperatorCommand(command, Self, reactivated));
    }

    private Queue<(OperatorProtocol.Command Command, IActorRef ReplyTo)> Pending(MessageId id)
    {
        if (!_pendingCommands.TryGetValue(id, out var queue)) _pendingCommands[id] = queue = new();
        return queue;
    }

    /// <summary>A message actor answered a relayed command (one at a time, in order): pass it on.</summary>
    private void HandleOperatorResult(OperatorProtocol.Result result)
    {
        if (!_pendingCommands.TryGetValue(result.MessageId, out var queue) || queue.Count == 0) return;
        var (_, replyTo) = queue.Dequeue();
        if (queue.Count == 0) _pendingCommands.Remove(result.MessageId);
        replyTo.Tell(result);
    }

    /// <summary>Commands the message actor did not answer before it stopped go round again: the message is admitted anew for them.</summary>
    private void RedispatchPending(MessageId id)
    {
        if (!_pendingCommands.Remove(id, out var queue)) return;
        foreach (var (command, replyTo) in queue) HandleOperate(command, replyTo);
    }

    private void Register(MessageId id)
    {
        _registered.Add(id);
        _metrics?.SetInFlight(_persistenceId, _registered.Count);
    }

    private bool HasAdmissionCapacity => _registered.Count < _maxInFlight;

    private void Admit(GatewayProtocol.SubmitMessage submission, IActorRef replyTo)
    {
        var id = submission.MessageId;
        Register(id); // counts against the bound at once, before the write completes
        RecordAdmitted(id, () =>
        {
            // A new id was never admitted before this admission: its actor need not read an empty history.
            Spawn(id, submission.NewId).Tell(new MessageProtocol.AcceptMessage(submission, replyTo));
        });
    }

    /// <summary>Queues an admission for the registry's next write; <paramref name="durable"/> runs once it is in the journal.</summary>
    private void RecordAdmitted(MessageId id, Action durable)
    {
        _admitting.Add((id, durable));
        WriteRegistry();
    }

    /// <summary>Queues a release for the registry's next write; <paramref name="durable"/> runs once it is in the journal.</summary>
    private void RecordReleased(MessageId id, string outcome, Action durable)
    {
        _releasing.Add((new ReleasedMessage(id, outcome), durable));
        WriteRegistry();
    }

    /// <summary>
    /// Group commit of the registry: with no write in flight, everything queued goes into one <see cref="RegistryChanged"/>
    /// (one journal row); what arrives while it is written waits for the next. Under load a row covers many messages,
    /// and each admission is still in the journal before its message actor starts.
    /// </summary>
    private void WriteRegistry()
    {
        if (_registryWriting || (_admitting.Count == 0 && _releasing.Count == 0)) return;
        var admitting = _admitting.ToList();
        var releasing = _releasing.ToList();
        _admitting.Clear();
        _releasing.Clear();
        _registryWriting = true;
        PersistAsync(new RegistryChanged(admitting.Select(a => a.Id).ToList(), releasing.Select(r => r.Released).ToList()), _ =>
        {
            _registryWriting = false;
            foreach (var (_, durable) in releasing) durable();
            foreach (var (_, durable) in admitting) durable();
            MaybeSnapshot();
            WriteRegistry();
        });
    }

    private IActorRef Spawn(MessageId id, bool newId = false)
    {
        var child = Context.ActorOf(_messageProps(id, newId), id.PersistenceId);
        Context.Watch(child);
        _running[id] = child;
        _idByActor[child] = id;
        return child;
    }

    private void StartResumes()
    {
        while (_toResume.Count > 0 && _running.Count < _maxInFlight)
        {
            var id = _toResume.Dequeue();
            if (!_registered.Contains(id) || _running.ContainsKey(id)) continue;
            Spawn(id).Tell(new MessageProtocol.ResumeMessage(id, _afterCrash));
        }
    }

    private void HandleFinished(MessageProtocol.MessageFinished finished)
    {
        var id = finished.MessageId;
        if (!_finishing.Add(id)) return;
        RecordReleased(id, finished.Outcome, () =>
        {
            _registered.Remove(id);
            _metrics?.SetInFlight(_persistenceId, _registered.Count);
            _finishing.Remove(id);
            _unexpectedStops.Remove(id);
            Context.System.EventStream.Publish(new GatewayProtocol.MessageOutcome(id, finished.Outcome, finished.Reason));
            // Commands that reached the actor as it stopped: once it is gone (its name is free), admit it again for them.
            if (!_running.ContainsKey(id)) RedispatchPending(id);
            AdmitWaiting();
        });
    }

    private void HandleTerminated(Terminated terminated)
    {
        if (!_idByActor.Remove(terminated.ActorRef, out var id)) return;
        _running.Remove(id);
        if (!_registered.Contains(id))
        {
            // Released already: commands it did not answer admit it again (that is not an unexpected stop).
            RedispatchPending(id);
            StartResumes();
            return;
        }
        if (!_finishing.Contains(id) && _registered.Contains(id))
        {
            if (_pendingCommands.Remove(id, out var unanswered))
            {
                foreach (var (command, replyTo) in unanswered)
                {
                    replyTo.Tell(new OperatorProtocol.Result(id, OperationStatus.Busy, ReasonCodes.Busy, "the message stopped unexpectedly and is being resumed; try again"));
                }
            }
            // Stopped without finishing: a journal write failed, or its own code threw. Not the message's fault by itself.
            // Usually the journal failed (an outage, not the message's fault): keep resuming, backing off up to
            // resume-backoff-max, never giving up on an accepted message. Past a few stops, say so once.
            var stops = _unexpectedStops[id] = _unexpectedStops.GetValueOrDefault(id) + 1;
            var delay = SupervisionPolicy.Backoff(stops, _settings.ResumeBackoffMin, _settings.ResumeBackoffMax, Random.Shared.NextDouble());
            if (stops == _settings.MaxUnknownRestarts + 2)
            {
                _log.Error("{Code} {MessageId} stopped without finishing {Stops} times (journal down, or a bug); still resuming, every {Delay} at most",
                    ReasonCodes.MessageStuck, id, stops, _settings.ResumeBackoffMax);
            }
            else
            {
                _log.Warning("{Code} {MessageId} stopped without finishing; resuming in {Delay}", ReasonCodes.MessageActorFailed, id, delay);
            }
            Timers.StartSingleTimer("resume-" + id.Value, new ResumeLater(id), delay);
        }
        StartResumes();
    }

    private void AdmitWaiting()
    {
        while (_waiting.Count > 0 && HasAdmissionCapacity)
        {
            var (submission, replyTo) = _waiting.Dequeue();
            if (_registered.Contains(submission.MessageId)) continue;
            Admit(submission, replyTo);
        }
    }

    private void MaybeSnapshot()
    {
        if (LastSequenceNr > 0 && LastSequenceNr % _settings.RegistrySnapshotEvery == 0)
        {
            SaveSnapshot(new InFlightSnapshot(_registered.ToList()));
        }
    }

    private sealed record ResumeLater(MessageId MessageId);
}
