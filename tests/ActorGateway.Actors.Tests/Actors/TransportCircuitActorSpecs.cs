using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain.Failures;
using Xunit.Abstractions;
using static ActorGateway.Actors.Protocol.CircuitProtocol;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// The outage circuit breaker per transport, on a virtual clock: Akka's <see cref="TestScheduler"/>
/// drives both the actor's timers and its notion of now, so time moves only when a spec advances it.
/// </summary>
public sealed class TransportCircuitActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string Smtp = "smtp";
    private static readonly TimeSpan OpenDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    private static readonly CircuitBreakerSettings Settings =
        new(new CircuitBreakerPolicy(FailureThreshold: 5, OpenDuration, MaxOpenDuration: TimeSpan.FromMinutes(10), ProbeTimeout), MaxParked: 100);

    private static readonly Config SpecConfig = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = INFO
        """);

    private readonly TestProbe _logs;

    public TransportCircuitActorSpecs(ITestOutputHelper output) : base(SpecConfig, "circuit-specs", output)
    {
        _logs = CreateTestProbe("circuit-logs");
        Sys.EventStream.Subscribe(_logs.Ref, typeof(LogEvent));
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private IActorRef StartCircuits(CircuitBreakerSettings? settings = null) => Sys.ActorOf(TransportCircuitActor.Props(settings ?? Settings));

    private static void Request(IActorRef circuits, TestProbe requester, string transport = Smtp) =>
        circuits.Tell(new RequestDispatch(transport), requester.Ref);

    private static void Report(IActorRef circuits, TestProbe requester, bool transientFailure, string transport = Smtp) =>
        circuits.Tell(new ReportOutcome(transport, transientFailure), requester.Ref);

    private static async Task ExpectAllowedAsync(TestProbe requester, bool isProbe = false, string transport = Smtp) =>
        await requester.ExpectMsgAsync(new DispatchAllowed(transport, isProbe));

    private static async Task ExpectNothingAsync(params TestProbe[] requesters) =>
        await Task.WhenAll(requesters.Select(r => r.ExpectNoMsgAsync(Quiet).AsTask()));

    /// <summary>Also a barrier: every message sent to the actor before it has been handled when the answer comes.</summary>
    private async Task<TransportCircuitStatus> StatusAsync(IActorRef circuits, string transport = Smtp)
    {
        circuits.Tell(GetCircuitStatus.Instance, TestActor);
        var status = await ExpectMsgAsync<CircuitStatus>();
        return status.For(transport) ?? throw new InvalidOperationException($"no circuit for {transport}");
    }

    /// <summary>Moves the virtual clock once the actor has handled everything sent so far (so its timers are set).</summary>
    private async Task AdvanceAsync(IActorRef circuits, TimeSpan by)
    {
        await StatusAsync(circuits);
        Clock.Advance(by);
    }

    /// <summary>Opens the circuit: the threshold's requesters are allowed, dispatch, and fail transiently.</summary>
    private async Task<TestProbe[]> OpenAsync(IActorRef circuits)
    {
        var failing = Enumerable.Range(0, Settings.Policy.FailureThreshold).Select(i => CreateTestProbe($"failing-{i}")).ToArray();
        foreach (var r in failing)
        {
            Request(circuits, r);
            await ExpectAllowedAsync(r);
        }
        foreach (var r in failing) Report(circuits, r, transientFailure: true);
        Assert.Equal(CircuitState.Open, (await StatusAsync(circuits)).State);
        return failing;
    }

    /// <summary>Parks fresh requesters on the open circuit.</summary>
    private async Task<TestProbe[]> ParkAsync(IActorRef circuits, params string[] names)
    {
        var parked = names.Select(n => CreateTestProbe(n)).ToArray();
        foreach (var r in parked) Request(circuits, r);
        await StatusAsync(circuits);
        return parked;
    }

    /// <summary>Asserts the circuit log events since the last call, in order, and that no other circuit event follows.</summary>
    private async Task ExpectCircuitLogsAsync(params string[] codes)
    {
        var seen = new List<string>();
        while (true)
        {
            var next = await _logs.ReceiveOneAsync(seen.Count < codes.Length ? TimeSpan.FromSeconds(3) : Quiet);
            if (next is null) break;
            var text = ((LogEvent)next).Message.ToString() ?? string.Empty;
            if (text.StartsWith("GW-CIRCUIT-", StringComparison.Ordinal)) seen.Add(text.Split(' ')[0]);
        }
        Assert.Equal(codes, seen);
    }

    [Fact]
    public async Task Should_allow_dispatch_at_once_while_closed()
    {
        var circuits = StartCircuits();
        var requester = CreateTestProbe();

        Request(circuits, requester);
        await ExpectAllowedAsync(requester);
        Report(circuits, requester, transientFailure: false);
        Request(circuits, requester);
        await ExpectAllowedAsync(requester);

        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Closed, status.State);
        Assert.Equal(0, status.Parked);
        await ExpectCircuitLogsAsync();
    }

    [Fact]
    public async Task Should_open_after_the_threshold_of_failures_from_different_requesters_and_park_further_requests()
    {
        var circuits = StartCircuits();
        var failing = Enumerable.Range(0, 5).Select(i => CreateTestProbe($"failing-{i}")).ToArray();
        foreach (var r in failing)
        {
            Request(circuits, r);
            await ExpectAllowedAsync(r);
        }

        await EventFilter.Warning(contains: "GW-CIRCUIT-OPEN").ExpectOneAsync(async () =>
        {
            foreach (var r in failing) Report(circuits, r, transientFailure: true);
            await StatusAsync(circuits);
        });
        // Stragglers dispatched before the trip fail too: counted, but no second event.
        Report(circuits, failing[0], transientFailure: true);
        Report(circuits, failing[1], transientFailure: true);
        var waiting = await ParkAsync(circuits, "a", "b", "c");

        await ExpectNothingAsync(waiting);
        await ExpectNothingAsync(failing);
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Open, status.State);
        Assert.Equal(7, status.ConsecutiveFailures);
        Assert.Equal(3, status.Parked);
        Assert.Equal(Clock.Now + OpenDuration, status.NextChangeAt);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN");
    }

    [Fact]
    public async Task Should_grant_one_probe_when_the_open_duration_passes_and_keep_the_others_parked()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b", "c");
        var (a, b, c) = (parked[0], parked[1], parked[2]);

        await AdvanceAsync(circuits, OpenDuration - TimeSpan.FromSeconds(1));
        await ExpectNothingAsync(a, b, c);
        await EventFilter.Info(contains: "GW-CIRCUIT-HALF-OPEN").ExpectOneAsync(async () =>
        {
            await AdvanceAsync(circuits, TimeSpan.FromSeconds(1));
            await ExpectAllowedAsync(a, isProbe: true);
        });

        var late = CreateTestProbe("late");
        Request(circuits, late);
        await ExpectNothingAsync(b, c, late);
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.HalfOpen, status.State);
        Assert.True(status.ProbeOut);
        Assert.Equal(3, status.Parked);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN");
    }

    [Fact]
    public async Task Should_close_when_the_probe_succeeds_and_release_every_parked_request()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b", "c", "d");
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(parked[0], isProbe: true);

        await EventFilter.Info(contains: "GW-CIRCUIT-CLOSED").ExpectOneAsync(async () =>
        {
            Report(circuits, parked[0], transientFailure: false);
            foreach (var r in parked.Skip(1)) await ExpectAllowedAsync(r);
        });

        await ExpectNothingAsync(parked);
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Closed, status.State);
        Assert.Equal(0, status.Parked);
        Assert.False(status.ProbeOut);
        Assert.Null(status.OutageSince);
        var fresh = CreateTestProbe();
        Request(circuits, fresh);
        await ExpectAllowedAsync(fresh);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-CLOSED");
    }

    [Fact]
    public async Task Should_open_again_for_twice_as_long_when_the_probe_fails()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b");
        var (a, b) = (parked[0], parked[1]);
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(a, isProbe: true);

        await EventFilter.Warning(contains: "GW-CIRCUIT-OPEN").ExpectOneAsync(async () =>
        {
            Report(circuits, a, transientFailure: true);
            await StatusAsync(circuits);
        });
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Open, status.State);
        Assert.Equal(TimeSpan.FromSeconds(60), status.OpenDuration);

        await AdvanceAsync(circuits, OpenDuration);
        await ExpectNothingAsync(a, b);
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(b, isProbe: true);
        Report(circuits, b, transientFailure: true);
        Assert.Equal(TimeSpan.FromSeconds(120), (await StatusAsync(circuits)).OpenDuration);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-OPEN");
    }

    [Fact]
    public async Task Should_drop_a_parked_requester_that_stops()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "gone", "b");
        var (gone, b) = (parked[0], parked[1]);

        Watch(gone.Ref);
        Sys.Stop(gone.Ref);
        await ExpectTerminatedAsync(gone.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(1, (await StatusAsync(circuits)).Parked));

        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(b, isProbe: true);
    }

    [Fact]
    public async Task Should_hand_the_probe_to_the_next_waiter_when_the_probe_holder_stops()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "holder", "b");
        var (holder, b) = (parked[0], parked[1]);
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(holder, isProbe: true);

        Sys.Stop(holder.Ref);

        await ExpectAllowedAsync(b, isProbe: true);
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.HalfOpen, status.State);
        Assert.Equal(0, status.Parked);
    }

    [Fact]
    public async Task Should_grant_another_probe_when_the_probe_does_not_report_within_the_probe_timeout()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "slow", "b");
        var (slow, b) = (parked[0], parked[1]);
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(slow, isProbe: true);

        await AdvanceAsync(circuits, ProbeTimeout - TimeSpan.FromSeconds(1));
        await ExpectNothingAsync(b);
        await AdvanceAsync(circuits, TimeSpan.FromSeconds(1));
        await ExpectAllowedAsync(b, isProbe: true);

        // The lost probe's late failure is no longer the probe's: it does not re-open the circuit.
        Report(circuits, slow, transientFailure: true);
        Assert.Equal(CircuitState.HalfOpen, (await StatusAsync(circuits)).State);
        Report(circuits, b, transientFailure: false);
        Assert.Equal(CircuitState.Closed, (await StatusAsync(circuits)).State);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-CLOSED");
    }

    [Fact]
    public async Task Should_answer_a_parked_requester_once_however_often_it_asks()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b");
        var (a, b) = (parked[0], parked[1]);
        Request(circuits, b);
        Request(circuits, b);
        Assert.Equal(2, (await StatusAsync(circuits)).Parked);

        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(a, isProbe: true);
        Request(circuits, a);
        await ExpectAllowedAsync(a, isProbe: true); // the holder asking again still holds the one probe
        Report(circuits, a, transientFailure: false);

        await ExpectAllowedAsync(b);
        await ExpectNothingAsync(a, b);
    }

    [Fact]
    public async Task Should_treat_a_permanent_failure_as_the_endpoint_answering()
    {
        var circuits = StartCircuits();
        var requester = CreateTestProbe();

        for (var i = 0; i < 4; i++) Report(circuits, requester, transientFailure: true);
        Report(circuits, requester, transientFailure: false);
        for (var i = 0; i < 4; i++) Report(circuits, requester, transientFailure: true);

        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Closed, status.State);
        Assert.Equal(4, status.ConsecutiveFailures);
        Request(circuits, requester);
        await ExpectAllowedAsync(requester);
    }

    [Fact]
    public async Task Should_keep_the_circuits_of_different_transports_apart()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var requester = CreateTestProbe();

        Request(circuits, requester, "spool");
        await ExpectAllowedAsync(requester, transport: "spool");
        Request(circuits, requester, Smtp);
        await ExpectNothingAsync(requester);

        Assert.Equal(CircuitState.Closed, (await StatusAsync(circuits, "spool")).State);
        Assert.Equal(CircuitState.Open, (await StatusAsync(circuits, Smtp)).State);
    }

    [Fact]
    public async Task Should_tell_a_requester_to_ask_again_later_when_the_park_list_is_full()
    {
        var circuits = StartCircuits(Settings with { MaxParked = 2 });
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b");
        var overflow = CreateTestProbe();

        Request(circuits, overflow);

        await overflow.ExpectMsgAsync(new DispatchDeferred(Smtp, OpenDuration));
        await ExpectNothingAsync(parked);
        Assert.Equal(2, (await StatusAsync(circuits)).Parked);
    }

    [Fact]
    public async Task Should_unpark_a_requester_that_cancels_and_take_back_an_unused_probe()
    {
        var circuits = StartCircuits();
        await OpenAsync(circuits);
        var parked = await ParkAsync(circuits, "a", "b");
        var (a, b) = (parked[0], parked[1]);

        circuits.Tell(new CancelDispatch(Smtp), a.Ref);
        Assert.Equal(1, (await StatusAsync(circuits)).Parked);
        await AdvanceAsync(circuits, OpenDuration);
        await ExpectAllowedAsync(b, isProbe: true);
        circuits.Tell(new CancelDispatch(Smtp), b.Ref);
        var status = await StatusAsync(circuits);
        Assert.Equal(CircuitState.HalfOpen, status.State);
        Assert.False(status.ProbeOut);

        var c = CreateTestProbe();
        Request(circuits, c);
        await ExpectAllowedAsync(c, isProbe: true);
        await ExpectNothingAsync(a, b);
    }

    [Fact]
    public async Task Should_release_every_message_after_an_outage_that_heals_with_nothing_but_dispatch_allowed()
    {
        var circuits = StartCircuits();
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var messages = Enumerable.Range(0, 20).Select(i => CreateTestProbe($"msg-{i}")).ToArray();
        var attempts = new int[messages.Length];
        var delivered = new bool[messages.Length];
        var endpointUp = false;

        // Every message gets its first attempt; the endpoint is down, so each fails and, after its own
        // back-off, asks again: the first five failures open the circuit, and every request after that parks.
        foreach (var m in messages) Request(circuits, m);
        for (var i = 0; i < messages.Length; i++)
        {
            await ExpectAllowedAsync(messages[i]);
            attempts[i]++;
            Report(circuits, messages[i], transientFailure: true);
        }
        foreach (var m in messages) Request(circuits, m);
        await ExpectNothingAsync(messages);
        Assert.Equal(20, (await StatusAsync(circuits)).Parked);

        // Still down at the first probe; it heals before the second one.
        for (var round = 0; round < 2; round++)
        {
            var status = await StatusAsync(circuits);
            await AdvanceAsync(circuits, status.NextChangeAt!.Value - Clock.Now);
            var probeHolder = round; // first come, first served
            await ExpectAllowedAsync(messages[probeHolder], isProbe: true);
            attempts[probeHolder]++;
            await ExpectNothingAsync(messages.Where((_, i) => i != probeHolder).ToArray());
            endpointUp = round == 1;
            Report(circuits, messages[probeHolder], transientFailure: !endpointUp);
            if (endpointUp) delivered[probeHolder] = true;
            else Request(circuits, messages[probeHolder]);
        }

        for (var i = 0; i < messages.Length; i++)
        {
            if (delivered[i]) continue;
            await ExpectAllowedAsync(messages[i]);
            attempts[i]++;
            Report(circuits, messages[i], transientFailure: false);
            delivered[i] = true;
        }

        await ExpectNothingAsync(messages); // nothing but DispatchAllowed, ever: ExpectAllowedAsync fails on anything else
        Assert.All(delivered, Assert.True);
        // Waiting cost nothing: the first attempt, the probe's if it was one, and the delivery.
        Assert.Equal([3, 2], attempts.Take(2));
        Assert.All(attempts.Skip(2), a => Assert.Equal(2, a));
        var final = await StatusAsync(circuits);
        Assert.Equal(CircuitState.Closed, final.State);
        Assert.Equal(0, final.Parked);
        await deadLetters.ExpectNoMsgAsync(Quiet);
        await ExpectCircuitLogsAsync("GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-OPEN", "GW-CIRCUIT-HALF-OPEN", "GW-CIRCUIT-CLOSED");
    }
}
