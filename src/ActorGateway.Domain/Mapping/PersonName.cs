using System.Globalization;
using System.Text;

namespace ActorGateway.Domain.Mapping;

/// <summary>
/// A display name split into given name and surname. Understands the directory convention
/// <c>Surname, Given</c> as well as <c>Given [Middle…] Surname</c>, ignores parenthesised or
/// bracketed comments and generational suffixes.
/// </summary>
public sealed record PersonName(string Given, string Surname)
{
    private static readonly HashSet<string> Suffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "esq", "esq.",
    };

    /// <summary>Honorifics before a name are not the given name ("Dr. Grace Hopper" is GHOPPER).</summary>
    private static readonly HashSet<string> Honorifics = new(StringComparer.OrdinalIgnoreCase)
    {
        "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "mx.", "prof", "prof.", "sir", "dame",
    };

    /// <summary>
    /// True when the name has nothing in it: null, empty, or only characters that render as
    /// nothing (any Unicode white space, control or format characters such as zero-width spaces).
    /// </summary>
    public static bool IsBlank(string? displayName)
    {
        if (displayName is null) return true;
        foreach (var rune in displayName.EnumerateRunes())
        {
            if (!IsInvisible(rune)) return false;
        }
        return true;
    }

    public static PersonName Parse(string displayName)
    {
        var cleaned = StripComments(displayName);
        var comma = cleaned.IndexOf(',');
        if (comma >= 0)
        {
            var surname = Tokens(cleaned[..comma]).Where(t => !Suffixes.Contains(t)).ToList();
            var given = WithoutHonorifics(Tokens(cleaned[(comma + 1)..]).Where(t => !Suffixes.Contains(t)).ToList());
            if (surname.Count > 0)
            {
                return new PersonName(given.FirstOrDefault() ?? string.Empty, string.Join(' ', surname));
            }
            // ", John": no surname before the comma; fall through and treat the rest as a plain name.
            cleaned = cleaned[(comma + 1)..];
        }

        var tokens = WithoutHonorifics(Tokens(cleaned).Where(t => !Suffixes.Contains(t)).ToList());
        return tokens.Count switch
        {
            0 => new PersonName(string.Empty, string.Empty),
            1 => new PersonName(string.Empty, tokens[0]),
            _ => new PersonName(tokens[0], tokens[^1]),
        };
    }

    /// <summary>Uppercase A–Z and 0–9 only: diacritics folded (é→E, ß→SS), everything else dropped.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in Decompose(text))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            var folded = c switch
            {
                'ß' => "SS", 'æ' or 'Æ' => "AE", 'ø' or 'Ø' => "O", 'œ' or 'Œ' => "OE",
                'ð' or 'Ð' => "D", 'þ' or 'Þ' => "TH", 'ł' or 'Ł' => "L", 'đ' or 'Đ' => "D", 'ı' => "I",
                _ => null,
            };
            if (folded is not null) { sb.Append(folded); continue; }
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Canonical decomposition (é → e + ◌́). Lone surrogates and noncharacters such as U+FFFE make
    /// string normalisation throw, so they are dropped first: hostile input maps or fails cleanly.
    /// </summary>
    private static string Decompose(string text)
    {
        var clean = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            var noncharacter = v is >= 0xFDD0 and <= 0xFDEF || (v & 0xFFFE) == 0xFFFE;
            if (rune != Rune.ReplacementChar && !noncharacter) clean.Append(rune.ToString());
        }
        var cleaned = clean.ToString();
        try
        {
            return cleaned.Normalize(NormalizationForm.FormD);
        }
        catch (ArgumentException)
        {
            return cleaned; // unassigned code points the runtime refuses: no letters to fold there anyway
        }
    }

    private static bool IsInvisible(Rune rune) =>
        Rune.IsWhiteSpace(rune) ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator ||
        rune.Value is 0x2800 /* braille blank */ or 0x3164 /* hangul filler */ or 0x115F or 0x1160 or 0xFFA0;

    /// <summary>Drops leading honorifics, but never the last token ("Dr." alone stays a name).</summary>
    private static List<string> WithoutHonorifics(List<string> tokens)
    {
        var skip = 0;
        while (skip < tokens.Count - 1 && Honorifics.Contains(tokens[skip])) skip++;
        return skip == 0 ? tokens : tokens.Skip(skip).ToList();
    }

    private static List<string> Tokens(string s)
    {
        var list = new List<string>();
        var sb = new StringBuilder();
        foreach (var rune in s.EnumerateRunes())
        {
            if (IsInvisible(rune))
            {
                if (sb.Length > 0) { list.Add(sb.ToString()); sb.Clear(); }
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }
        if (sb.Length > 0) list.Add(sb.ToString());
        return list;
    }

    private static string StripComments(string s)
    {
        var sb = new StringBuilder(s.Length);
        var depth = 0;
        foreach (var c in s)
        {
            if (c is '(' or '[') { depth++; continue; }
            if (c is ')' or ']') { if (depth > 0) depth--; continue; }
            if (depth == 0) sb.Append(c == '"' ? ' ' : c);
        }
        // Apostrophes belong to names (O'Brien); only a pair wrapping the whole name is quoting.
        var text = sb.ToString().Trim();
        return text.Length > 1 && text[0] == '\'' && text[^1] == '\'' ? text[1..^1] : text;
    }
}
