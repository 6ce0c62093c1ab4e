using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorGateway.Host.Cli;

/// <summary>
/// A duration on the command line: <c>10s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>, <c>500ms</c> (a number, optionally
/// with a fraction, and a unit), or a .NET time span such as <c>00:00:10</c>.
/// </summary>
public static partial class CliDuration
{
    public const string Forms = "a duration such as 10s, 5m, 1h, 2d, 500ms or 00:30:00";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = WithUnit().Match(text.Trim());
        if (m.Success)
        {
            var n = double.Parse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            var ms = m.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => n,
                "s" => n * 1000,
                "m" => n * 60_000,
                "h" => n * 3_600_000,
                _ => n * 86_400_000,
            };
            if (ms <= 0 || ms > TimeSpan.MaxValue.TotalMilliseconds) return false;
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }
        return TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out value) && value > TimeSpan.Zero;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WithUnit();
}
