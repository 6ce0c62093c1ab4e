using System.Text;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// A plain SMTP rewrite: the domain is replaced by <see cref="Domain"/> and the local part is
/// rendered from a template. Tokens: <c>{local}</c> (the original local part) and the name tokens
/// <c>{given}</c>, <c>{surname}</c>, <c>{first-initial}</c>, <c>{surname-initial}</c>. The
/// result is lowercased, diacritics folded, and only <c>a–z 0–9 . _ -</c> kept (at most 64).
/// A template that uses name tokens needs a usable display name, like the PROFS profile; one
/// that uses only <c>{local}</c> always maps.
/// </summary>
public sealed class SmtpRewriteProfile : IAddressProfile
{
    public const int MaxLocalPart = 64;
    private static readonly string[] Tokens = [.. TemplateText.NameTokens, "local"];

    public SmtpRewriteProfile(string domain, string localPartTemplate)
    {
        if (string.IsNullOrWhiteSpace(domain) || domain.Contains('@') || domain.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"rewrite domain '{domain}' is not a domain name");
        }
        TemplateText.Validate(localPartTemplate, Tokens, "local-part");
        Domain = domain.Trim().ToLowerInvariant();
        Template = localPartTemplate;
        UsesName = TemplateText.NameTokens.Any(t => TemplateText.Uses(localPartTemplate, t));
    }

    public string Kind => "smtp-rewrite";

    public string Domain { get; }

    public string Template { get; }

    private bool UsesName { get; }

    public AddressMapResult Map(SourceAddress source)
    {
        var at = source.Address.LastIndexOf('@');
        var local = at > 0 ? source.Address[..at] : source.Address;
        var given = string.Empty;
        var surname = string.Empty;
        if (UsesName)
        {
            if (PersonName.IsBlank(source.DisplayName))
            {
                return new AddressMapResult.Failed(source, ReasonCodes.MapBlankDisplayName,
                    $"template {Template} needs a display name and it is blank or absent");
            }
            var name = PersonName.Parse(source.DisplayName!);
            (given, surname) = (Clean(name.Given), Clean(name.Surname));
        }
        var rendered = Clean(TemplateText.Expand(Template, t => t == "local" ? local : TemplateText.NameToken(t, given, surname)));
        if (rendered.Length > MaxLocalPart) rendered = rendered[..MaxLocalPart].TrimEnd('.');
        if (rendered.Length == 0)
        {
            return new AddressMapResult.Failed(source, ReasonCodes.MapUnusableDisplayName, $"template {Template} leaves an empty local part");
        }
        return new AddressMapResult.Mapped(source, new MappedAddress(source.Role, source.Address, $"{rendered}@{Domain}", "template"));
    }

    /// <summary>Lowercase a–z 0–9 . _ - with diacritics folded; no leading, trailing or doubled dots.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var lower = char.ToLowerInvariant(c);
            if (lower is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-') sb.Append(lower);
            else if (lower == '.' && sb.Length > 0 && sb[^1] != '.') sb.Append('.');
            else if (char.IsLetterOrDigit(c)) sb.Append(PersonName.Normalize(c.ToString()).ToLowerInvariant());
        }
        return sb.ToString().Trim('.');
    }
}
