using ActorGateway.Domain;
using ActorGateway.Domain.Failures;

namespace ActorGateway.Actors.Transport;

/// <summary>The transports a node delivers through, by the name routes use (<c>spool</c>, <c>smtp</c>, …).</summary>
public sealed class TransportRegistry
{
    public const string Spool = "spool";

    private readonly IReadOnlyDictionary<string, IMessageTransport> _byName;

    public TransportRegistry(IReadOnlyDictionary<string, IMessageTransport> byName) => _byName = byName;

    public IEnumerable<string> Names => _byName.Keys;

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <exception cref="PermanentMessageException">GW-NO-TRANSPORT: a route names a transport this node does not have.</exception>
    public IMessageTransport Get(string? name) =>
        _byName.TryGetValue(name ?? Spool, out var transport)
            ? transport
            : throw new PermanentMessageException(ReasonCodes.NoTransport, $"no transport named '{name}' is configured (have: {string.Join(", ", _byName.Keys)})");
}
