namespace ActorGateway.Domain.Mapping;

/// <summary>
/// Builds a PROFS user id from a <see cref="PersonName"/>. Tokens: <c>{given}</c>,
/// <c>{surname}</c>, <c>{first-initial}</c>, <c>{surname-initial}</c>; anything else is literal.
/// The result is normalised (A–Z, 0–9) and cut to the profile's maximum length.
/// </summary>
public sealed class UserIdTemplate
{
    public const string Default = "{first-initial}{surname}";

    public string Text { get; }

    private UserIdTemplate(string text) => Text = text;

    public static UserIdTemplate Parse(string text)
    {
        TemplateText.Validate(text, TemplateText.NameTokens, "user-id");
        return new UserIdTemplate(text);
    }

    public string Render(PersonName name, int maxLength)
    {
        var given = PersonName.Normalize(name.Given);
        var surname = PersonName.Normalize(name.Surname);
        var normalized = PersonName.Normalize(TemplateText.Expand(Text, t => TemplateText.NameToken(t, given, surname)));
        return normalized.Length <= maxLength ? normalized : normalized[..maxLength];
    }

    public override string ToString() => Text;
}
