using System.Text;
using System.Text.RegularExpressions;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// Builds a target user id from a <see cref="PersonName"/>. Tokens: <c>{given}</c>,
/// <c>{surname}</c>, <c>{first-initial}</c>, <c>{surname-initial}</c>; anything else is literal.
/// The result is normalised (A–Z, 0–9) and cut to the profile's maximum length.
/// </summary>
public sealed partial class UserIdTemplate
{
    public const string Default = "{first-initial}{surname}";

    private static readonly HashSet<string> KnownTokens = ["given", "surname", "first-initial", "surname-initial"];

    public string Text { get; }

    private UserIdTemplate(string text) => Text = text;

    public static UserIdTemplate Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("the user-id template is empty");
        foreach (Match m in TokenPattern().Matches(text))
        {
            if (!KnownTokens.Contains(m.Groups[1].Value))
            {
                throw new FormatException($"unknown token '{m.Value}' in user-id template '{text}'; known: {{given}}, {{surname}}, {{first-initial}}, {{surname-initial}}");
            }
        }
        return new UserIdTemplate(text);
    }

    public string Render(PersonName name, int maxLength)
    {
        var given = PersonName.Normalize(name.Given);
        var surname = PersonName.Normalize(name.Surname);
        var raw = TokenPattern().Replace(Text, m => m.Groups[1].Value switch
        {
            "given" => given,
            "surname" => surname,
            "first-initial" => given.Length > 0 ? given[..1] : string.Empty,
            "surname-initial" => surname.Length > 0 ? surname[..1] : string.Empty,
            _ => string.Empty,
        });
        var normalized = PersonName.Normalize(raw);
        return normalized.Length <= maxLength ? normalized : normalized[..maxLength];
    }

    // Any {...} is a token, so "{Surname}" or "{given_name}" is rejected by Parse rather than
    // silently rendered as the literal text SURNAME / GIVENNAME for every user.
    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex TokenPattern();

    public override string ToString() => Text;
}
