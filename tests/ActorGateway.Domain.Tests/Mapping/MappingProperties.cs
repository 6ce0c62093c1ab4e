using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static ActorGateway.Domain.Tests.TestData;

namespace ActorGateway.Domain.Tests.Mapping;

public partial class MappingProperties
{
    /// <summary>Every BMP character that is white space, a control, a format character or a separator, plus the Hangul/braille fillers.</summary>
    private static readonly char[] InvisibleChars = Enumerable.Range(0, 0x10000)
        .Select(i => (char)i)
        .Where(c => !char.IsSurrogate(c))
        .Where(c => char.IsWhiteSpace(c) ||
                    CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                        or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator ||
                    c is '\u2800' or '\u3164' or '\u115F' or '\u1160' or '\uFFA0')
        .ToArray();

    private static readonly HashSet<char> InvisibleSet = [.. InvisibleChars];

    /// <summary>The oracle: the BMP table above, and for supplementary characters their category.</summary>
    private static bool IsInvisible(Rune rune) =>
        rune.IsBmp
            ? InvisibleSet.Contains((char)rune.Value)
            : Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator;

    private static Arbitrary<string> BlankStrings() =>
        Gen.Elements(InvisibleChars).ArrayOf().Select(cs => new string(cs)).ToArbitrary();

    /// <summary>Any UTF-16 code unit, lone surrogates included, weighted towards letters, spaces and name punctuation.</summary>
    private static Arbitrary<string?> AnyStrings()
    {
        var anyUnit = Gen.Choose(0, 0xFFFF).Select(i => (char)i);
        var nameish = Gen.Elements("abcxyzABCXYZ0189 ,.'-()[]\"éøßÆ李\u00A0\u200B\t\r\n".ToCharArray());
        var str = Gen.Frequency((2, anyUnit), (3, nameish), (1, Gen.Elements(InvisibleChars))).ArrayOf().Select(cs => (string?)new string(cs));
        return Gen.Frequency((20, str), (1, Gen.Constant((string?)null))).ToArbitrary();
    }

    [GeneratedRegex("^[A-Z0-9]{1,8}@VMNODE1$")]
    private static partial Regex MappedTarget();

    [Fact]
    public void Should_cover_the_characters_the_brief_names_in_the_blank_generator()
    {
        Assert.Superset(new HashSet<char>(" \t\r\n\u00A0\u2007\u202F\u3000\u200B\u200D\uFEFF\u2800\u3164"), new HashSet<char>(InvisibleChars));
    }

    [Property(MaxTest = 1000)]
    public Property Should_report_any_string_of_invisible_characters_as_a_blank_display_name() =>
        Prop.ForAll(BlankStrings(), name =>
        {
            var result = Profile().Map(To("jdoe@contoso.com", name));
            return result is AddressMapResult.Failed { ReasonCode: ReasonCodes.MapBlankDisplayName };
        });

    [Property(MaxTest = 2000)]
    public Property Should_never_throw_and_only_map_to_valid_user_ids() =>
        Prop.ForAll(AnyStrings(), name =>
        {
            var result = Profile().Map(To("someone@contoso.com", name));
            return result switch
            {
                AddressMapResult.Mapped m => MappedTarget().IsMatch(m.Address.Target) && m.Address.Method == "template",
                AddressMapResult.Failed f => f.ReasonCode is ReasonCodes.MapBlankDisplayName or ReasonCodes.MapUnusableDisplayName,
                _ => false,
            };
        });

    [Property(MaxTest = 1000)]
    public Property Should_call_a_name_blank_exactly_when_it_has_no_visible_character() =>
        Prop.ForAll(AnyStrings(), name =>
        {
            var visible = name is not null && name.EnumerateRunes().Any(r => !IsInvisible(r));
            return PersonName.IsBlank(name) == !visible;
        });

    [Property(MaxTest = 1000)]
    public Property Should_normalise_to_nothing_but_uppercase_ascii_letters_and_digits() =>
        Prop.ForAll(AnyStrings(), name =>
        {
            var normalized = PersonName.Normalize(PersonName.Parse(name ?? string.Empty).Surname);
            return normalized.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9');
        });

    private static readonly HashSet<string> AffixWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame",
    };

    [Property(MaxTest = 500)]
    public Property Should_map_any_ascii_name_with_a_letter_in_its_surname() =>
        Prop.ForAll(
            Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray()).NonEmptyListOf()
                .Select(cs => new string(cs.ToArray()))
                // Words the name parser deliberately skips (suffixes like "II", honorifics like "Dr") are not names here.
                .Where(w => !AffixWords.Contains(w))
                .Two().ToArbitrary(),
            names =>
            {
                var (given, surname) = names;
                var result = Profile().Map(To("someone@contoso.com", $"{given} {surname}"));
                var expected = (given[..1] + surname).ToUpperInvariant();
                return result is AddressMapResult.Mapped m && m.Address.Target == $"{expected[..Math.Min(8, expected.Length)]}@VMNODE1";
            });
}
