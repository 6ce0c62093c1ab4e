using Akka.Actor;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Storage;

namespace ActorGateway.Actors.Actors;

/// <summary>What every message actor of a node shares: settings, child factories, and the node's service actors.</summary>
/// <param name="RiskGate">The <c>risk-gate</c> that serialises risky stages after a crash.</param>
/// <param name="Circuits">The <c>transport-circuits</c> breaker every delivery asks first.</param>
public sealed record MessageActorDependencies(
    GatewaySettings Settings,
    MessageChildFactories Children,
    IActorRef DeadLetterQueue,
    IContentStore Content,
    RouteTableSource Routes,
    IActorRef RiskGate,
    IActorRef Circuits,
    Diagnostics.GatewayMetrics Metrics);
