using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// A route: which recipient domains it covers (exact, <c>*.example.com</c> for subdomains, or
/// <c>*</c>), the address profile that maps them, the transport that delivers them, and whether
/// a sender is told (an RFC 3464 DSN) about recipients of this route that end dead-lettered.
/// </summary>
/// <param name="Classification">Per-stage failure classification overrides for this route (exception type name → kind), over the global ones.</param>
public sealed record Route(
    string Name,
    IReadOnlyList<string> Domains,
    IAddressProfile Profile,
    string Transport = "spool",
    bool NotifySender = false,
    IReadOnlyDictionary<Failures.Stage, IReadOnlyDictionary<string, Failures.FailureKind>>? Classification = null)
{
    public bool Covers(string domain)
    {
        foreach (var pattern in Domains)
        {
            if (pattern == "*") return true;
            if (pattern.StartsWith("*.", StringComparison.Ordinal)
                ? domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
                : string.Equals(pattern, domain, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>The ordered route table; the first route that covers a domain wins.</summary>
public sealed class RouteTable(IReadOnlyList<Route> routes)
{
    public IReadOnlyList<Route> Routes { get; } = routes;

    public Route? Find(string domain) => domain.Length == 0 ? null : Routes.FirstOrDefault(r => r.Covers(domain));
}

/// <summary>Maps a message's sender and recipients through the route table. Pure.</summary>
public static class AddressMapper
{
    /// <summary>Maps the sender. A sender on a routed domain must map; any other passes through unchanged.</summary>
    public static AddressMapResult MapSender(SourceAddress sender, RouteTable routes)
    {
        var route = routes.Find(sender.Domain);
        return route is null
            ? new AddressMapResult.Mapped(sender, new MappedAddress(sender.Role, sender.Address, sender.Address, "passthrough"))
            : Stamp(route.Profile.Map(sender), route, transport: null);
    }

    /// <summary>Maps a recipient. A recipient no route covers is <see cref="ReasonCodes.NoRoute"/>.</summary>
    public static AddressMapResult MapRecipient(SourceAddress recipient, RouteTable routes)
    {
        if (recipient.Domain.Length == 0)
        {
            return new AddressMapResult.Failed(recipient, ReasonCodes.MapInvalidAddress, $"'{recipient.Address}' has no domain");
        }
        var route = routes.Find(recipient.Domain);
        return route is null
            ? new AddressMapResult.Failed(recipient, ReasonCodes.NoRoute, $"no route covers domain '{recipient.Domain}'")
            : Stamp(route.Profile.Map(recipient), route, route.Transport);
    }

    /// <summary>
    /// Maps a whole envelope. The sender must map (no message without one); each recipient maps or
    /// fails on its own, so one bad recipient never costs the others their delivery.
    /// </summary>
    public static EnvelopeMapping MapEnvelope(MessageEnvelope envelope, RouteTable routes)
    {
        var sender = MapSender(envelope.Sender, routes);
        var mapped = new List<MappedAddress>(envelope.Recipients.Count);
        var failed = new List<RecipientFailure>();
        foreach (var recipient in envelope.Recipients)
        {
            switch (MapRecipient(recipient, routes))
            {
                case AddressMapResult.Mapped m:
                    mapped.Add(m.Address);
                    break;
                case AddressMapResult.Failed f:
                    failed.Add(new RecipientFailure(recipient.Role, recipient.Address, f.ReasonCode, Failures.Stage.Mapping, f.Detail, routes.Find(recipient.Domain)?.Name));
                    break;
            }
        }
        return new EnvelopeMapping(sender, mapped, failed);
    }

    private static AddressMapResult Stamp(AddressMapResult result, Route route, string? transport) =>
        result is AddressMapResult.Mapped m ? m with { Address = m.Address with { Route = route.Name, Transport = transport } } : result;
}

/// <summary>The mapping of a whole envelope: the sender's result, and each recipient mapped or failed.</summary>
public sealed record EnvelopeMapping(AddressMapResult Sender, IReadOnlyList<MappedAddress> Recipients, IReadOnlyList<RecipientFailure> Failed);
