using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.StageLedgerEvents;

namespace ActorGateway.Actors.Actors;

/// <summary>What message actors and the gateway say to the <c>risk-gate</c>.</summary>
public static class RiskGateProtocol
{
    /// <summary>Gateway → gate, at start-up after a crash: these messages were in flight; until each has said whether it is a suspect, be careful.</summary>
    public sealed record EnterCarefulMode(IReadOnlyCollection<MessageId> Resumed);

    /// <summary>Message actor → gate, once recovered after a crash: whether a stage of mine was interrupted by it.</summary>
    public sealed record SuspectStatus(MessageId MessageId, bool Suspect);

    /// <summary>
    /// Message actor → gate: may I run a risky stage (mapping, delivery) now? Answered with <see cref="RiskGranted"/> once the
    /// entry is durable in the stage ledger. Sent again until answered; a repeat is harmless.
    /// </summary>
    public sealed record RequestRisk(MessageId MessageId, bool Suspect, Stage Stage);

    /// <summary>Gate → message actor: <paramref name="Stage"/> may run; its ledger entry is durable.</summary>
    public sealed record RiskGranted(MessageId MessageId, Stage Stage);

    /// <summary>Message actor → gate: my risky stage is over (done, failed, quarantined, or I am stopping).</summary>
    public sealed record ReleaseRisk(MessageId MessageId, bool Cleared);

    /// <summary>Message actor → gate, resumed after a crash: was I inside a stage when the process died? Answered with <see cref="Interruption"/>.</summary>
    public sealed record QueryInterruption(MessageId MessageId);

    /// <summary>Gate → message actor: the stage the ledger held open for it at start-up (or null), and the row that entered it.</summary>
    public sealed record Interruption(MessageId MessageId, Stage? Stage, long Row);

    public sealed record GetGateStatus
    {
        public static readonly GetGateStatus Instance = new();
    }

    /// <param name="InStage">Messages inside a risky stage (the stage ledger's open entries).</param>
    public sealed record GateStatus(bool Careful, int Suspects, int Waiting, int InStage = 0);
}

/// <summary>
/// <c>risk-gate</c> (persistence id <c>risk-gate</c>): spares the innocent after a crash, and keeps the stage ledger
/// that says who was in a risky stage when it happened.
/// <list type="bullet">
/// <item>Every admission to a risky stage is recorded in the ledger before it is granted. Entries are group-committed:
/// while one ledger row is being written, the admissions that arrive wait and go together into the next row. Leaving
/// a stage is recorded lazily, with the next row or after <c>LeftFlushDelay</c>: a message whose journal shows the stage
/// finished is never blamed for a stale entry.</item>
/// <item>Normally every risky stage may run at once. After a crash, the messages the ledger held inside a stage are
/// suspects; until every suspect has run that stage again on its own and come through, risky stages run one at a time,
/// suspects first. So if one of them kills the process again, it is the only one whose crash count rises, and it alone
/// reaches the crash-loop threshold.</item>
/// </list>
/// </summary>
public sealed class RiskGateActor : ReceivePersistentActor, IWithTimers
{
    public const string Name = "risk-gate";

    /// <summary>How long releases may wait for a grant's row before they are written on their own.</summary>
    private static readonly TimeSpan LeftFlushDelay = TimeSpan.FromMilliseconds(500);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int _snapshotEvery;
    private readonly HashSet<MessageId> _undecided = [];
    private readonly HashSet<MessageId> _suspects = [];
    private readonly LinkedList<(MessageId Id, IActorRef Requester, bool Suspect, Stage Stage)> _waiting = new();

    /// <summary>Admissions waiting for the next ledger row, and those in the row being written.</summary>
    private readonly Dictionary<MessageId, (Stage Stage, IActorRef Requester)> _toGrant = [];
    private readonly HashSet<MessageId> _writing = [];
    private readonly HashSet<MessageId> _left = [];

    private StageLedger _ledger = StageLedger.Empty;

    /// <summary>The ledger as it was at start-up: what the crash interrupted.</summary>
    private StageLedger _atStart = StageLedger.Empty;

    private MessageId? _holder;
    private IActorRef? _holderRef;
    private bool _wasCareful;
    private int _sinceSnapshot;
    private readonly string _persistenceId;

    /// <summary>The node's careful-mode token (clustered: one per node, shared by the partitions' gates), or null when this gate is the node's only one.</summary>
    private readonly IActorRef? _token;
    private bool _tokenHeld;
    private bool _tokenAsked;

    /// <param name="persistenceId"><c>risk-gate</c> on a single node; <c>risk-gate-{partition}</c> in a cluster.</param>
    /// <param name="carefulToken">
    /// A <see cref="CarefulTokenActor"/> shared with the node's other gates: a careful grant is made only while this gate holds it,
    /// so on the whole node one suspect at a time is inside a risky stage, whichever partition it belongs to.
    /// </param>
    public RiskGateActor(int snapshotEvery, string persistenceId = Name, IActorRef? carefulToken = null)
    {
        _snapshotEvery = snapshotEvery;
        _persistenceId = persistenceId;
        _token = carefulToken;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is StageLedgerSnapshot snapshot) _ledger = StageLedger.From(snapshot);
        });
        Recover<StagesChanged>(e => _ledger = _ledger.Apply(e, LastSequenceNr));
        Recover<RecoveryCompleted>(_ => _atStart = _ledger);

        Command<RiskGateProtocol.EnterCarefulMode>(m =>
        {
            _undecided.UnionWith(m.Resumed);
            _log.Warning("{Code} The last run ended in a crash: {Count} message(s) were in flight, {InStage} inside a risky stage; risky stages run one at a time until the suspects are cleared",
                ReasonCodes.CarefulMode, m.Resumed.Count, _atStart.Open.Count);
        });
        Command<RiskGateProtocol.QueryInterruption>(q =>
        {
            var open = _atStart.StageOf(q.MessageId);
            Sender.Tell(new RiskGateProtocol.Interruption(q.MessageId, open?.Stage, open?.Row ?? 0));
        });
        Command<RiskGateProtocol.SuspectStatus>(m =>
        {
            _undecided.Remove(m.MessageId);
            if (m.Suspect) _suspects.Add(m.MessageId);
            GrantNext();
        });
        Command<RiskGateProtocol.RequestRisk>(m =>
        {
            if (!Careful || _holder == m.MessageId)
            {
                Grant(m.MessageId, m.Stage, Sender);
                return;
            }
            if (_waiting.Any(w => w.Id == m.MessageId)) return; // asked again while waiting its turn
            Context.Watch(Sender);
            if (m.Suspect) _waiting.AddFirst((m.MessageId, Sender, true, m.Stage));
            else _waiting.AddLast((m.MessageId, Sender, false, m.Stage));
            GrantNext();
        });
        Command<RiskGateProtocol.ReleaseRisk>(m => Release(m.MessageId, m.Cleared));
        Command<Terminated>(t =>
        {
            foreach (var node in _waiting.Where(w => w.Requester.Equals(t.ActorRef)).ToList()) _waiting.Remove(node);
            // A holder that died without releasing (it crashed, or was stopped) must not block the gate.
            if (_holder is { } holder && t.ActorRef.Equals(_holderRef)) Release(holder, cleared: false);
            else GrantNext();
        });
        Command<FlushLeft>(_ => Flush());
        Command<CarefulTokenActor.Acquired>(_ =>
        {
            _tokenAsked = false;
            _tokenHeld = true;
            GrantNext();
            if (_holder is null) ReturnToken(); // nothing to run after all
        });
        Command<RiskGateProtocol.GetGateStatus>(_ => Sender.Tell(new RiskGateProtocol.GateStatus(Careful, _suspects.Count + _undecided.Count, _waiting.Count, _ledger.Open.Count)));
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("stage ledger snapshot failed: {Error}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("stage ledger journal trim failed: {Error}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => _persistenceId;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int snapshotEvery, string persistenceId = Name, IActorRef? carefulToken = null) =>
        Akka.Actor.Props.Create(() => new RiskGateActor(snapshotEvery, persistenceId, carefulToken));

    private bool Careful => _undecided.Count > 0 || _suspects.Count > 0;

    /// <summary>Grants once the entry is durable: at once when the ledger holds it already, else with the next ledger row.</summary>
    private void Grant(MessageId id, Stage stage, IActorRef requester)
    {
        if (_writing.Contains(id)) return; // asked again while its row is being written; the write answers
        if (_ledger.StageOf(id)?.Stage == stage && !_left.Contains(id))
        {
            requester.Tell(new RiskGateProtocol.RiskGranted(id, stage));
            return;
        }
        _toGrant[id] = (stage, requester);
        Flush();
    }

    /// <summary>Writes one ledger row with everything pending, unless a row is being written (its completion writes the next).</summary>
    private void Flush()
    {
        if (_writing.Count > 0 || (_toGrant.Count == 0 && _left.Count == 0)) return;
        Timers.Cancel(nameof(FlushLeft));
        var grants = _toGrant.ToList();
        _toGrant.Clear();
        // A message that left a stage and asks for the next one in the same row: the row's order (left, then entered) keeps the new entry.
        var change = new StagesChanged(_left.ToList(), grants.Select(g => new StageEntry(g.Key, g.Value.Stage)).ToList());
        _left.Clear();
        foreach (var (id, _) in grants) _writing.Add(id);
        PersistAsync(change, e =>
        {
            _ledger = _ledger.Apply(e, LastSequenceNr);
            _writing.Clear();
            foreach (var (id, (stage, requester)) in grants) requester.Tell(new RiskGateProtocol.RiskGranted(id, stage));
            if (++_sinceSnapshot >= _snapshotEvery)
            {
                _sinceSnapshot = 0;
                SaveSnapshot(_ledger.ToSnapshot());
            }
            if (_toGrant.Count > 0) Flush();
            else if (_left.Count > 0) Timers.StartSingleTimer(nameof(FlushLeft), FlushLeft.Instance, LeftFlushDelay);
        });
    }

    private void Release(MessageId id, bool cleared)
    {
        if (_ledger.Open.ContainsKey(id) || _writing.Contains(id))
        {
            _left.Add(id);
            if (_writing.Count == 0 && !Timers.IsTimerActive(nameof(FlushLeft))) Timers.StartSingleTimer(nameof(FlushLeft), FlushLeft.Instance, LeftFlushDelay);
        }
        _toGrant.Remove(id);
        if (cleared)
        {
            _suspects.Remove(id);
            _undecided.Remove(id);
        }
        if (_holder == id)
        {
            _holder = null;
            _holderRef = null;
            ReturnToken(); // the node's other gates get their turn; asked for again if this one has more waiting
        }
        GrantNext();
    }

    private void GrantNext()
    {
        if (!Careful)
        {
            ReturnToken();
            if (_wasCareful)
            {
                _wasCareful = false;
                _log.Info("{Code} All crash suspects are cleared; risky stages run concurrently again", ReasonCodes.CarefulMode);
            }
            foreach (var w in _waiting) Grant(w.Id, w.Stage, w.Requester);
            _waiting.Clear();
            return;
        }
        _wasCareful = true;
        if (_holder is not null || _waiting.Count == 0) return;
        if (_token is not null && !_tokenHeld)
        {
            if (!_tokenAsked)
            {
                _tokenAsked = true;
                _token.Tell(CarefulTokenActor.Acquire.Instance);
            }
            return;
        }
        // One at a time, suspects first. (Isolation needs only the one-at-a-time; the order is to clear suspects soon.)
        var next = _waiting.FirstOrDefault(w => w.Suspect);
        if (next == default) next = _waiting.First!.Value;
        _waiting.Remove(next);
        _holder = next.Id;
        _holderRef = next.Requester;
        Grant(next.Id, next.Stage, next.Requester);
    }

    private void ReturnToken()
    {
        if (!_tokenHeld) return;
        _tokenHeld = false;
        _token!.Tell(CarefulTokenActor.Release.Instance);
    }

    /// <summary>Timer: write the releases that no grant's row took along.</summary>
    private sealed record FlushLeft
    {
        public static readonly FlushLeft Instance = new();
    }
}
