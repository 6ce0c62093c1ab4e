using System.Globalization;
using System.Text;

namespace ActorGateway.Actors.Diagnostics;

/// <summary>
/// Makes outside-world text (file names, addresses) safe to put in a log line: control characters and
/// line separators are written as escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\u2028</c>), so a
/// crafted name cannot forge a log line.
/// </summary>
public static class LogText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Any(NeedsEscape)) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (NeedsEscape(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or '\\' ;
}
