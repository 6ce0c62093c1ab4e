using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// A route: which recipient domains it covers (exact, <c>*.example.com</c> for subdomains, or
/// <c>*</c>), and the address profile that maps them.
/// </summary>
public sealed record Route(string Name, IReadOnlyList<string> Domains, IAddressProfile Profile)
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
            : route.Profile.Map(sender);
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
            : route.Profile.Map(recipient);
    }
}
