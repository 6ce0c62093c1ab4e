using Akka.Actor;
using Akka.Event;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Actors;

/// <summary>What message actors and the gateway say to the <c>risk-gate</c>.</summary>
public static class RiskGateProtocol
{
    /// <summary>Gateway → gate, at start-up after a crash: these messages were in flight; until each has said whether it is a suspect, be careful.</summary>
    public sealed record EnterCarefulMode(IReadOnlyCollection<MessageId> Resumed);

    /// <summary>Message actor → gate, once recovered after a crash: whether a stage of mine was interrupted by it.</summary>
    public sealed record SuspectStatus(MessageId MessageId, bool Suspect);

    /// <summary>Message actor → gate: may I run a risky stage (mapping, delivery) now?</summary>
    public sealed record RequestRisk(MessageId MessageId, bool Suspect);

    /// <summary>Gate → message actor.</summary>
    public sealed record RiskGranted(MessageId MessageId);

    /// <summary>Message actor → gate: my risky stage is over (done, failed, quarantined, or I am stopping).</summary>
    public sealed record ReleaseRisk(MessageId MessageId, bool Cleared);

    public sealed record GetGateStatus
    {
        public static readonly GetGateStatus Instance = new();
    }

    public sealed record GateStatus(bool Careful, int Suspects, int Waiting);
}

/// <summary>
/// <c>risk-gate</c>: spares the innocent after a crash. Normally every risky stage may run at once.
/// After a crash, the messages that were inside a risky stage are suspects; until every suspect has
/// run that stage again on its own and come through, risky stages run one at a time, suspects
/// first. So if one of them kills the process again, it is the only one whose crash count rises,
/// and it alone reaches the crash-loop threshold.
/// </summary>
public sealed class RiskGateActor : ReceiveActor
{
    public const string Name = "risk-gate";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<MessageId> _undecided = [];
    private readonly HashSet<MessageId> _suspects = [];
    private readonly LinkedList<(MessageId Id, IActorRef Requester, bool Suspect)> _waiting = new();
    private MessageId? _holder;
    private IActorRef? _holderRef;
    private bool _wasCareful;

    public RiskGateActor()
    {
        Receive<RiskGateProtocol.EnterCarefulMode>(m =>
        {
            _undecided.UnionWith(m.Resumed);
            _log.Warning("{Code} The last run ended in a crash: {Count} message(s) were in flight; risky stages run one at a time until the suspects are cleared",
                ReasonCodes.CarefulMode, m.Resumed.Count);
        });
        Receive<RiskGateProtocol.SuspectStatus>(m =>
        {
            _undecided.Remove(m.MessageId);
            if (m.Suspect) _suspects.Add(m.MessageId);
            GrantNext();
        });
        Receive<RiskGateProtocol.RequestRisk>(m =>
        {
            if (!Careful)
            {
                Sender.Tell(new RiskGateProtocol.RiskGranted(m.MessageId));
                return;
            }
            if (_holder == m.MessageId)
            {
                Sender.Tell(new RiskGateProtocol.RiskGranted(m.MessageId));
                return;
            }
            Context.Watch(Sender);
            if (m.Suspect) _waiting.AddFirst((m.MessageId, Sender, true));
            else _waiting.AddLast((m.MessageId, Sender, false));
            GrantNext();
        });
        Receive<RiskGateProtocol.ReleaseRisk>(m => Release(m.MessageId, m.Cleared));
        Receive<Terminated>(t =>
        {
            foreach (var node in _waiting.Where(w => w.Requester.Equals(t.ActorRef)).ToList()) _waiting.Remove(node);
            // A holder that died without releasing (it crashed, or was stopped) must not block the gate.
            if (_holder is { } holder && t.ActorRef.Equals(_holderRef)) Release(holder, cleared: false);
            else GrantNext();
        });
        Receive<RiskGateProtocol.GetGateStatus>(_ => Sender.Tell(new RiskGateProtocol.GateStatus(Careful, _suspects.Count + _undecided.Count, _waiting.Count)));
    }

    public static Props Props() => Akka.Actor.Props.Create<RiskGateActor>();

    private bool Careful => _undecided.Count > 0 || _suspects.Count > 0;

    private void Release(MessageId id, bool cleared)
    {
        if (cleared)
        {
            _suspects.Remove(id);
            _undecided.Remove(id);
        }
        if (_holder == id)
        {
            _holder = null;
            _holderRef = null;
        }
        GrantNext();
    }

    private void GrantNext()
    {
        if (!Careful)
        {
            if (_wasCareful)
            {
                _wasCareful = false;
                _log.Info("{Code} All crash suspects are cleared; risky stages run concurrently again", ReasonCodes.CarefulMode);
            }
            foreach (var w in _waiting) w.Requester.Tell(new RiskGateProtocol.RiskGranted(w.Id));
            _waiting.Clear();
            return;
        }
        _wasCareful = true;
        if (_holder is not null || _waiting.Count == 0) return;
        // One at a time, suspects first. (Isolation needs only the one-at-a-time; the order is to clear suspects soon.)
        var next = _waiting.FirstOrDefault(w => w.Suspect);
        if (next == default) next = _waiting.First!.Value;
        _waiting.Remove(next);
        _holder = next.Id;
        _holderRef = next.Requester;
        next.Requester.Tell(new RiskGateProtocol.RiskGranted(next.Id));
    }
}
