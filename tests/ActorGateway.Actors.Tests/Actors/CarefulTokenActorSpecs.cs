using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// A clustered node runs several partitions, each with its own risk gate. After a crash, the node's careful token makes
/// "one suspect at a time" hold for the whole process, not per partition.
/// </summary>
public sealed class CarefulTokenActorSpecs : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TestDataDir _dir = new();
    private readonly ActorSystem _system;

    public CarefulTokenActorSpecs() => _system = ActorSystem.Create("careful-token", _dir.Config());

    private (IActorRef Gate, Akka.TestKit.TestProbe Probe, MessageId Suspect) CarefulGate(string partition, IActorRef? token, Akka.TestKit.TestProbe? shared = null)
    {
        var gate = _system.ActorOf(RiskGateActor.Props(1000, $"{RiskGateActor.Name}-{partition}", token), $"gate-{partition}");
        var probe = shared ?? new Akka.TestKit.TestProbe(_system, new XunitAssertions());
        var suspect = MessageId.New();
        gate.Tell(new RiskGateProtocol.EnterCarefulMode([suspect]));
        gate.Tell(new RiskGateProtocol.SuspectStatus(suspect, Suspect: true));
        gate.Tell(new RiskGateProtocol.RequestRisk(suspect, true, Stage.Mapping), probe.Ref);
        return (gate, probe, suspect);
    }

    [Fact]
    public void Should_let_one_suspect_of_the_node_run_at_a_time_across_partitions()
    {
        var token = _system.ActorOf(CarefulTokenActor.Props(), CarefulTokenActor.Name);
        var probe = new Akka.TestKit.TestProbe(_system, new XunitAssertions());
        var a = CarefulGate("p00", token, probe);
        var b = CarefulGate("p01", token, probe);

        // One of the two gates got the token and granted its suspect; the other waits.
        var granted = probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait).MessageId;
        var (winner, loser) = granted == a.Suspect ? (a, b) : (b, a);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(700));

        // The winner's suspect came through: the token passes, and the other partition's suspect runs.
        winner.Gate.Tell(new RiskGateProtocol.ReleaseRisk(winner.Suspect, Cleared: true), winner.Probe.Ref);
        Assert.Equal(loser.Suspect, loser.Probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait).MessageId);
    }

    [Fact]
    public void Should_pass_the_token_on_when_its_holder_dies()
    {
        var token = _system.ActorOf(CarefulTokenActor.Props(), CarefulTokenActor.Name);
        var a = CarefulGate("p02", token);
        a.Probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait);
        var b = CarefulGate("p03", token);
        b.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        _system.Stop(a.Gate); // its partition was handed off, or the gate failed

        Assert.Equal(b.Suspect, b.Probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait).MessageId);
    }

    [Fact]
    public void Should_run_each_partitions_suspect_side_by_side_without_a_token()
    {
        // The contrast: gates that share no token each run their own suspect, which is what the token is for.
        var a = CarefulGate("p04", token: null);
        var b = CarefulGate("p05", token: null);

        a.Probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait);
        b.Probe.ExpectMsg<RiskGateProtocol.RiskGranted>(Wait);
    }

    public void Dispose()
    {
        _system.Terminate().Wait(Wait);
        _dir.Dispose();
    }
}
