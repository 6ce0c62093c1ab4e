using ActorGateway.Actors;

namespace ActorGateway.Host.Hosting;

/// <summary>Hands the started <see cref="GatewayNode"/> from Akka.Hosting's start-up to the services that need it.</summary>
public sealed class GatewayNodeHolder
{
    private readonly TaskCompletionSource<GatewayNode> _node = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<GatewayNode> Node => _node.Task;

    public void Set(GatewayNode node) => _node.TrySetResult(node);

    public void Fail(Exception ex) => _node.TrySetException(ex);
}
