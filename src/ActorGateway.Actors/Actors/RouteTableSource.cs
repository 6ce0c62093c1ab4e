using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Actors;

/// <summary>The route table currently in force. Swappable at run time (directory reloads) without restarting mappers.</summary>
public sealed class RouteTableSource(RouteTable initial)
{
    private volatile RouteTable _current = initial;

    public RouteTable Current => _current;

    public void Replace(RouteTable table) => _current = table;
}
