using Akka.Actor;
using Akka.Event;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain.Failures;
using static ActorGateway.Actors.Protocol.CircuitProtocol;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>transport-circuits</c>: the outage circuit breaker of every transport endpoint, one
/// <see cref="CircuitBreakerState"/> per transport name, for all the message actors of a node.
/// Message actors ask <see cref="RequestDispatch"/> before each delivery attempt and send
/// <see cref="ReportOutcome"/> after it. While a circuit is open the request is parked, not answered:
/// the message waits without a timer and without spending an attempt, and is answered when the circuit
/// half-opens (one waiter gets the probe) or closes (every waiter is released). Parked requesters are
/// watched, so one that stops is dropped (and a probe it held goes to the next waiter).
/// Logs exactly one event per change of state: GW-CIRCUIT-OPEN, GW-CIRCUIT-HALF-OPEN, GW-CIRCUIT-CLOSED.
/// Time comes from the system scheduler, so a test scheduler can move it.
/// </summary>
public sealed class TransportCircuitActor : ReceiveActor, IWithTimers
{
    public const string Name = "transport-circuits";

    private readonly CircuitBreakerSettings _settings;
    private readonly Dictionary<string, Circuit> _circuits = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _watched = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Diagnostics.GatewayMetrics? _metrics;

    public TransportCircuitActor(CircuitBreakerSettings settings, Diagnostics.GatewayMetrics? metrics)
    {
        _settings = settings;
        _metrics = metrics;
        Receive<RequestDispatch>(HandleRequest);
        Receive<ReportOutcome>(HandleOutcome);
        Receive<CancelDispatch>(HandleCancel);
        Receive<WakeUp>(w => Settle(CircuitFor(w.Transport)));
        Receive<Terminated>(t => HandleStopped(t.ActorRef));
        Receive<GetCircuitStatus>(_ => Sender.Tell(new CircuitStatus(_circuits.Values.OrderBy(c => c.Transport, StringComparer.Ordinal).Select(c => c.Status()).ToList())));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CircuitBreakerSettings settings, Diagnostics.GatewayMetrics? metrics = null) => Akka.Actor.Props.Create(() => new TransportCircuitActor(settings, metrics));

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private void HandleRequest(RequestDispatch request)
    {
        var circuit = CircuitFor(request.Transport);
        var requester = Sender;
        if (requester.Equals(circuit.ProbeHolder))
        {
            requester.Tell(new DispatchAllowed(circuit.Transport, IsProbe: true)); // asked again: it still holds the probe
            return;
        }
        if (circuit.IsParked(requester)) return; // one place in the line per requester, one answer

        if (circuit.ParkedCount == 0)
        {
            var (state, verdict, transition) = circuit.State.TryAcquire(Now);
            Apply(circuit, state, transition);
            switch (verdict)
            {
                case DispatchVerdict.Allowed:
                    requester.Tell(new DispatchAllowed(circuit.Transport, IsProbe: false));
                    break;
                case DispatchVerdict.Probe:
                    GrantProbe(circuit, requester);
                    break;
                default:
                    Park(circuit, requester);
                    break;
            }
        }
        else
        {
            // Others are waiting already: join the line, so the probe and the release go first come, first served.
            Park(circuit, requester);
        }
        Settle(circuit);
    }

    private void HandleOutcome(ReportOutcome outcome)
    {
        var circuit = CircuitFor(outcome.Transport);
        var reporter = Sender;
        var isProbe = reporter.Equals(circuit.ProbeHolder);
        if (isProbe) circuit.ProbeHolder = null;
        var (state, transition) = outcome.TransientFailure
            ? circuit.State.RecordTransientFailure(Now, isProbe)
            : circuit.State.RecordSuccess(Now);
        Apply(circuit, state, transition);
        if (isProbe) ForgetIfUninvolved(reporter);
        Settle(circuit);
    }

    private void HandleCancel(CancelDispatch cancel)
    {
        var circuit = CircuitFor(cancel.Transport);
        Drop(circuit, Sender);
        ForgetIfUninvolved(Sender);
        Settle(circuit);
    }

    private void HandleStopped(IActorRef requester)
    {
        _watched.Remove(requester);
        foreach (var circuit in _circuits.Values.Where(c => c.Involves(requester)).ToList())
        {
            Drop(circuit, requester);
            Settle(circuit);
        }
    }

    /// <summary>Takes a requester out of a circuit's line; a probe it held goes back (to the next waiter, by <see cref="Settle"/>).</summary>
    private static void Drop(Circuit circuit, IActorRef requester)
    {
        circuit.Unpark(requester);
        if (!requester.Equals(circuit.ProbeHolder)) return;
        circuit.ProbeHolder = null;
        circuit.State = circuit.State.ReleaseProbe();
    }

    /// <summary>
    /// Brings a circuit up to date after anything happened: applies what time changed, answers the waiters
    /// the circuit now lets through, and sets the one timer for the next change that time alone makes.
    /// </summary>
    private void Settle(Circuit circuit)
    {
        var now = Now;
        var (advanced, transition) = circuit.State.Advance(now);
        Apply(circuit, advanced, transition);
        while (circuit.ParkedCount > 0)
        {
            var (state, verdict, acquiredTransition) = circuit.State.TryAcquire(now);
            Apply(circuit, state, acquiredTransition);
            if (verdict is DispatchVerdict.Rejected) break;
            var next = circuit.Dequeue();
            if (verdict is DispatchVerdict.Probe)
            {
                GrantProbe(circuit, next);
            }
            else
            {
                next.Tell(new DispatchAllowed(circuit.Transport, IsProbe: false));
                ForgetIfUninvolved(next);
            }
        }
        // Due now or earlier means nothing is due: a lapsed probe lease matters only to a requester, and none is waiting.
        if (circuit.State.NextWakeUp is { } at && at > now) Timers.StartSingleTimer(circuit.TimerKey, new WakeUp(circuit.Transport), at - now);
        else Timers.Cancel(circuit.TimerKey);
    }

    private void GrantProbe(Circuit circuit, IActorRef requester)
    {
        var previous = circuit.ProbeHolder; // a probe whose lease ran out: its late outcome no longer counts as the probe's
        circuit.ProbeHolder = requester;
        Watch(requester);
        if (previous is not null) ForgetIfUninvolved(previous);
        requester.Tell(new DispatchAllowed(circuit.Transport, IsProbe: true));
    }

    private void Park(Circuit circuit, IActorRef requester)
    {
        if (circuit.ParkedCount >= _settings.MaxParked)
        {
            var now = Now;
            var retryAfter = circuit.State.NextWakeUp is { } at && at > now ? at - now : _settings.Policy.OpenDuration;
            requester.Tell(new DispatchDeferred(circuit.Transport, retryAfter));
            return;
        }
        circuit.Park(requester);
        Watch(requester);
    }

    /// <summary>Takes the new state and logs the transition, if any. Only a half-open circuit has a probe holder.</summary>
    private void Apply(Circuit circuit, CircuitBreakerState state, CircuitTransition? transition)
    {
        circuit.State = state;
        _metrics?.SetCircuitState(circuit.Transport, state.State switch
        {
            CircuitState.Open => "open",
            CircuitState.HalfOpen => "half-open",
            _ => "closed",
        });
        if (state.State != CircuitState.HalfOpen && circuit.ProbeHolder is { } holder)
        {
            circuit.ProbeHolder = null;
            ForgetIfUninvolved(holder);
        }
        if (transition is not null) Log(circuit, transition);
    }

    private void Log(Circuit circuit, CircuitTransition t)
    {
        switch (t.To)
        {
            case CircuitState.Open:
                _log.Warning("{Code} Circuit for transport {Transport} opened (was {From}) after {Failures} consecutive transient failure(s); nothing is dispatched to it for {OpenDuration}, until {RetryAt}, then one probe",
                    new object?[] { t.Code, circuit.Transport, t.From, t.ConsecutiveFailures, t.OpenDuration, t.RetryAt });
                break;
            case CircuitState.HalfOpen:
                _log.Info("{Code} Circuit for transport {Transport} is half-open after {OpenDuration}: one probe may be dispatched; {Waiting} request(s) waiting",
                    t.Code, circuit.Transport, t.OpenDuration, circuit.ParkedCount);
                break;
            default:
                _log.Info("{Code} Circuit for transport {Transport} closed (was {From}): the endpoint answered after an outage of {Outage}; {Released} waiting request(s) released",
                    new object?[] { t.Code, circuit.Transport, t.From, t.OutageSince is { } since ? t.At - since : TimeSpan.Zero, circuit.ParkedCount });
                break;
        }
    }

    private Circuit CircuitFor(string transport)
    {
        if (_circuits.TryGetValue(transport, out var circuit)) return circuit;
        circuit = new Circuit(transport, CircuitBreakerState.Closed(_settings.Policy));
        _circuits[transport] = circuit;
        return circuit;
    }

    private void Watch(IActorRef requester)
    {
        if (_watched.Add(requester)) Context.Watch(requester);
    }

    private void ForgetIfUninvolved(IActorRef requester)
    {
        if (_circuits.Values.Any(c => c.Involves(requester))) return;
        if (_watched.Remove(requester)) Context.Unwatch(requester);
    }

    /// <summary>One transport's breaker, its line of parked requesters (first come, first served) and its probe holder.</summary>
    private sealed class Circuit(string transport, CircuitBreakerState state)
    {
        private readonly LinkedList<IActorRef> _line = new();
        private readonly Dictionary<IActorRef, LinkedListNode<IActorRef>> _places = [];

        public string Transport { get; } = transport;

        public string TimerKey { get; } = "wake-up:" + transport;

        public CircuitBreakerState State { get; set; } = state;

        public IActorRef? ProbeHolder { get; set; }

        public int ParkedCount => _line.Count;

        public bool IsParked(IActorRef requester) => _places.ContainsKey(requester);

        public bool Involves(IActorRef requester) => requester.Equals(ProbeHolder) || IsParked(requester);

        public void Park(IActorRef requester)
        {
            if (!_places.ContainsKey(requester)) _places[requester] = _line.AddLast(requester);
        }

        public IActorRef Dequeue()
        {
            var first = _line.First!.Value;
            Unpark(first);
            return first;
        }

        public void Unpark(IActorRef requester)
        {
            if (_places.Remove(requester, out var place)) _line.Remove(place);
        }

        public TransportCircuitStatus Status() =>
            new(Transport, State.State, State.ConsecutiveFailures, State.OpenDuration, State.NextWakeUp, ParkedCount, ProbeHolder is not null, State.OutageSince);
    }

    /// <summary>Timer: time alone may change a circuit now (open → half-open, or its probe's lease ran out).</summary>
    private sealed record WakeUp(string Transport);
}
