using System.Text;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// The argument of MAIL FROM / RCPT TO, split up: the path between the angle brackets and the
/// ESMTP parameters after it (RFC 5321 §4.1.2). A space after the colon is tolerated; the angle
/// brackets are not optional.
/// </summary>
internal sealed record SmtpPathArgument(string Path, IReadOnlyList<(string Key, string? Value)> Parameters)
{
    /// <summary>Longest path, in octets, angle brackets included (RFC 5321 §4.5.3.1.3).</summary>
    public const int MaxPathOctets = 256;

    /// <param name="argument">What follows the verb, e.g. <c>FROM:&lt;a@b&gt; SIZE=10</c>.</param>
    /// <param name="keyword"><c>FROM:</c> or <c>TO:</c>.</param>
    public static SmtpPathArgument? TryParse(string argument, string keyword)
    {
        var text = argument.TrimStart(' ');
        if (!text.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) return null;
        text = text[keyword.Length..].TrimStart(' ');
        if (text.Length == 0 || text[0] != '<') return null;

        var close = -1;
        var quoted = false;
        for (var i = 1; i < text.Length && close < 0; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    close = i;
                    break;
            }
        }
        if (close < 0) return null;

        var rest = text[(close + 1)..];
        if (rest.Length > 0 && rest[0] != ' ') return null;
        var parameters = new List<(string, string?)>();
        foreach (var token in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = token.IndexOf('=');
            if (eq == 0) return null;
            parameters.Add(eq < 0 ? (token, null) : (token[..eq], token[(eq + 1)..]));
        }
        return new SmtpPathArgument(text[1..close], parameters);
    }
}

/// <summary>A mailbox (<c>local@domain</c>) checked against RFC 5321 syntax, with RFC 6531 UTF-8 when allowed.</summary>
internal sealed record SmtpMailbox(string LocalPart, string Domain)
{
    public const int MaxLocalPartOctets = 64;
    public const int MaxDomainOctets = 255;

    public string Address => $"{LocalPart}@{Domain}";

    /// <summary>Whether the path starts with an RFC 5321 source route (<c>@a,@b:</c>).</summary>
    public static bool HasSourceRoute(string path) => path.StartsWith('@');

    /// <summary>The path with a source route removed (RFC 5321 §4.1.2: accepted and ignored for MAIL FROM).</summary>
    public static string? WithoutSourceRoute(string path)
    {
        if (!HasSourceRoute(path)) return path;
        var colon = path.IndexOf(':');
        return colon < 0 ? null : path[(colon + 1)..];
    }

    /// <summary>
    /// Parses <c>local@domain</c>. Returns null for bad syntax. A path with no <c>@</c> at all gives a
    /// mailbox with an empty domain (the caller decides: the RFC's bare <c>&lt;postmaster&gt;</c>).
    /// </summary>
    public static SmtpMailbox? TryParse(string path, bool allowUtf8)
    {
        if (path.Length == 0) return null;
        string local, domain;
        if (path[0] == '"')
        {
            var end = EndOfQuotedString(path);
            if (end < 0) return null;
            local = path[..(end + 1)];
            var tail = path[(end + 1)..];
            if (tail.Length == 0) domain = "";
            else if (tail[0] == '@') domain = tail[1..];
            else return null;
            if (domain.Length == 0 && tail.Length > 0) return null;
        }
        else
        {
            var at = path.LastIndexOf('@');
            local = at < 0 ? path : path[..at];
            domain = at < 0 ? "" : path[(at + 1)..];
            if (at >= 0 && domain.Length == 0) return null;
            if (!IsDotString(local, allowUtf8)) return null;
        }
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets) return null;
        if (domain.Length > 0 && !IsDomain(domain, allowUtf8)) return null;
        return new SmtpMailbox(local, domain);
    }

    /// <summary>Characters that make a gateway forward elsewhere (the percent hack, bang paths) or hide an "@".</summary>
    public bool HasRoutingCharacters => LocalPart.AsSpan(LocalPart.StartsWith('"') ? 1 : 0).IndexOfAny("%!@") >= 0;

    private static int EndOfQuotedString(string s)
    {
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\')
            {
                if (i + 1 >= s.Length || s[i + 1] is < ' ' or > '~') return -1;
                i++;
            }
            else if (c == '"') return i;
            else if (c is < ' ' or > '~' && c < 0x80) return -1;
        }
        return -1;
    }

    private static bool IsDotString(string s, bool allowUtf8)
    {
        if (s.Length == 0 || s[0] == '.' || s[^1] == '.' || s.Contains("..", StringComparison.Ordinal)) return false;
        foreach (var c in s)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".Contains(c) || (allowUtf8 && c >= 0x80);
            if (!ok) return false;
        }
        return true;
    }

    private static bool IsDomain(string domain, bool allowUtf8)
    {
        if (Encoding.UTF8.GetByteCount(domain) > MaxDomainOctets) return false;
        if (domain[0] == '[')
        {
            // Address literal: [1.2.3.4] or [IPv6:...]. Syntax is all we check; no route covers it anyway.
            return domain.Length > 2 && domain[^1] == ']' && domain[1..^1].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or ':');
        }
        foreach (var label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || (allowUtf8 && c >= 0x80))) return false;
        }
        return true;
    }
}
