using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ActorGateway.Actors.Diagnostics;

/// <summary>
/// The node's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>). One instance per
/// node, so nodes in one process (tests) keep their figures apart; the admin API exports them in
/// Prometheus text format. Actors call these methods; nothing here blocks.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "ActorGateway";

    private readonly Counter<long> _received;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _operatorActions;
    private readonly Histogram<double> _journalWrite;
    private readonly ConcurrentDictionary<string, string> _circuits = new(StringComparer.Ordinal);
    private int _inFlight;

    /// <summary>Circuit states, in the order the gauge reports them (one series per transport and state, 1 for the current one).</summary>
    public static readonly IReadOnlyList<string> CircuitStates = ["closed", "open", "half-open"];

    public GatewayMetrics()
    {
        Meter = new Meter(MeterName, "1.0");
        _received = Meter.CreateCounter<long>("gateway.messages.received", "{message}", "Messages accepted into the journal.");
        _delivered = Meter.CreateCounter<long>("gateway.messages.delivered", "{message}", "Messages whose delivery finished, by transport.");
        _deadLettered = Meter.CreateCounter<long>("gateway.messages.dead_lettered", "{message}", "Messages (or some of their recipients) quarantined, by reason code.");
        _retries = Meter.CreateCounter<long>("gateway.retries", "{retry}", "Delayed retries scheduled, by stage.");
        _operatorActions = Meter.CreateCounter<long>("gateway.operator.actions", "{action}", "Operator actions recorded (replay, hold, release, purge).");
        _journalWrite = Meter.CreateHistogram<double>("gateway.journal.write.duration", "s", "Time from a message actor's journal write request to its confirmation.");
        Meter.CreateObservableGauge("gateway.messages.in_flight", () => Volatile.Read(ref _inFlight), "{message}", "Messages admitted and not finished.");
        Meter.CreateObservableGauge("gateway.circuit.state", ObserveCircuits, "{state}", "Per transport: 1 for its circuit's current state, 0 for the others.");
    }

    public Meter Meter { get; }

    public void Received() => _received.Add(1);

    public void Delivered(string transport) => _delivered.Add(1, new KeyValuePair<string, object?>("transport", transport));

    public void DeadLettered(string reason) => _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RetryScheduled(string stage) => _retries.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void OperatorAction(string action) => _operatorActions.Add(1, new KeyValuePair<string, object?>("action", action));

    public void JournalWrite(TimeSpan elapsed) => _journalWrite.Record(elapsed.TotalSeconds);

    public void SetInFlight(int count) => Volatile.Write(ref _inFlight, count);

    /// <summary>In-flight counts per registry: a clustered node hosts several partitions, and the gauge is their sum on this node.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _inFlightByRegistry = new();

    /// <summary>One registry's count (<paramref name="registry"/> is its persistence id); the gauge becomes the node's sum.</summary>
    public void SetInFlight(string registry, int count)
    {
        if (count == 0) _inFlightByRegistry.TryRemove(registry, out _);
        else _inFlightByRegistry[registry] = count;
        var sum = 0;
        foreach (var (_, value) in _inFlightByRegistry) sum += value;
        Volatile.Write(ref _inFlight, sum);
    }

    /// <param name="state">One of <see cref="CircuitStates"/>.</param>
    public void SetCircuitState(string transport, string state) => _circuits[transport] = state;

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        foreach (var (transport, current) in _circuits)
        {
            foreach (var state in CircuitStates)
            {
                yield return new Measurement<int>(state == current ? 1 : 0,
                    new KeyValuePair<string, object?>("transport", transport), new KeyValuePair<string, object?>("state", state));
            }
        }
    }

    public void Dispose() => Meter.Dispose();
}
