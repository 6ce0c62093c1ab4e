using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Mapping;

/// <summary>The result of mapping one address: a target, or a reason code.</summary>
public abstract record AddressMapResult(SourceAddress Source)
{
    public sealed record Mapped(SourceAddress Source, MappedAddress Address) : AddressMapResult(Source);

    public sealed record Failed(SourceAddress Source, string ReasonCode, string Detail) : AddressMapResult(Source);
}

/// <summary>How one route turns source addresses into its target's address format.</summary>
public interface IAddressProfile
{
    string Kind { get; }

    AddressMapResult Map(SourceAddress source);
}

/// <summary>
/// IBM OfficeVision/PROFS: <c>USERID AT NODE</c>, written <c>USERID@NODE</c> in RFC 5322
/// headers. USERID comes from the directory, else from the template over the display name;
/// there is deliberately no fallback to the local part.
/// </summary>
public sealed class ProfsAddressProfile(string node, UserIdTemplate template, AddressDirectory directory, int maxLength = 8)
    : IAddressProfile
{
    public string Kind => "profs";

    public string Node { get; } = TargetIdentifier.IsValid(node, maxLength)
        ? node
        : throw new FormatException($"PROFS node '{node}' is not 1-{maxLength} characters of A-Z and 0-9");

    public UserIdTemplate Template { get; } = template;

    public AddressDirectory Directory { get; } = directory;

    public int MaxLength { get; } = maxLength;

    public AddressMapResult Map(SourceAddress source)
    {
        if (Directory.TryFind(source.Address, out var entry))
        {
            return new AddressMapResult.Mapped(source, new MappedAddress(source.Role, source.Address, $"{entry.UserId}@{entry.Node}", "directory"));
        }
        if (PersonName.IsBlank(source.DisplayName))
        {
            return new AddressMapResult.Failed(source, ReasonCodes.MapBlankDisplayName,
                source.DisplayName is null
                    ? "no directory entry and no display name"
                    : $"no directory entry and the display name is blank ({Describe(source.DisplayName)})");
        }
        var userId = Template.Render(PersonName.Parse(source.DisplayName!), MaxLength);
        if (!TargetIdentifier.IsValid(userId, MaxLength))
        {
            return new AddressMapResult.Failed(source, ReasonCodes.MapUnusableDisplayName,
                $"template {Template} over display name '{source.DisplayName}' leaves no usable USERID");
        }
        return new AddressMapResult.Mapped(source, new MappedAddress(source.Role, source.Address, $"{userId}@{Node}", "template"));
    }

    /// <summary>Shows what the blank name consisted of, e.g. "3 x U+0020", for the operator.</summary>
    private static string Describe(string name) =>
        name.Length == 0
            ? "empty"
            : string.Join(", ", name.EnumerateRunes().GroupBy(r => r.Value).Select(g => $"{g.Count()} x U+{g.Key:X4}"));
}
