using System.Text.RegularExpressions;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// The <c>{token}</c> syntax shared by address templates. Any <c>{…}</c> is a token, so a
/// misspelt one ("{Surname}") is rejected at configuration time instead of being rendered as
/// literal text for every user.
/// </summary>
internal static partial class TemplateText
{
    public static void Validate(string text, IReadOnlyCollection<string> knownTokens, string what)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException($"the {what} template is empty");
        foreach (Match m in TokenPattern().Matches(text))
        {
            if (!knownTokens.Contains(m.Groups[1].Value))
            {
                throw new FormatException(
                    $"unknown token '{m.Value}' in {what} template '{text}'; known: {string.Join(", ", knownTokens.Select(t => "{" + t + "}"))}");
            }
        }
    }

    public static bool Uses(string text, string token) => text.Contains("{" + token + "}", StringComparison.Ordinal);

    public static string Expand(string text, Func<string, string> valueOf) =>
        TokenPattern().Replace(text, m => valueOf(m.Groups[1].Value));

    /// <summary>The values of the name tokens, from already-normalised given name and surname.</summary>
    public static string NameToken(string token, string given, string surname) => token switch
    {
        "given" => given,
        "surname" => surname,
        "first-initial" => given.Length > 0 ? given[..1] : string.Empty,
        "surname-initial" => surname.Length > 0 ? surname[..1] : string.Empty,
        _ => string.Empty,
    };

    public static readonly string[] NameTokens = ["given", "surname", "first-initial", "surname-initial"];

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex TokenPattern();
}
