using System.Globalization;
using System.Text.RegularExpressions;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Failures;

namespace ActorGateway.Admin;

/// <summary>
/// Which dead-letter entries an operator means: by reason code(s), stage, route and time
/// (<c>since</c> inclusive, <c>until</c> exclusive, ISO 8601 with an offset), and recipient domain (<c>domain</c>: an entry
/// matches when its recipient, or one of its failed recipients, is on that domain). An empty filter matches every entry.
/// </summary>
public sealed partial record DeadLetterFilter(
    IReadOnlySet<string> Reasons,
    Stage? Stage,
    string? Route,
    DateTimeOffset? Since,
    DateTimeOffset? Until)
{
    public static readonly DeadLetterFilter All = new(new HashSet<string>(), null, null, null, null);

    /// <summary>The query parameters a filter is made of.</summary>
    public static readonly IReadOnlyList<string> Keys = ["reason", "stage", "route", "since", "until", "domain"];

    /// <summary>Recipient domain (lower case), or null for any.</summary>
    public string? Domain { get; init; }

    public bool IsEmpty => Reasons.Count == 0 && Stage is null && Route is null && Since is null && Until is null && Domain is null;

    public bool Matches(DeadLetterEntry entry) =>
        (Reasons.Count == 0 || Reasons.Contains(entry.Reason))
        && (Stage is null || entry.Stage == Stage)
        && (Route is null || string.Equals(entry.Route, Route, StringComparison.OrdinalIgnoreCase)
            || (entry.Recipients ?? []).Any(r => string.Equals(r.Route, Route, StringComparison.OrdinalIgnoreCase)))
        && (Since is null || entry.At >= Since)
        && (Until is null || entry.At < Until)
        && (Domain is null || OnDomain(entry.Recipient) || (entry.Recipients ?? []).Any(r => OnDomain(r.Address)));

    private bool OnDomain(string? address) =>
        address is not null && address.LastIndexOf('@') is var at and >= 0 && string.Equals(address[(at + 1)..].TrimEnd('>'), Domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses query parameters. <paramref name="allowed"/> are further keys the endpoint takes itself;
    /// anything else is an error, so a misspelt filter never silently matches everything.
    /// </summary>
    /// <returns>The filter, or null with <paramref name="error"/> saying what is wrong.</returns>
    public static DeadLetterFilter? TryParse(IEnumerable<KeyValuePair<string, string?[]>> query, out string? error, params string[] allowed)
    {
        error = null;
        var reasons = new HashSet<string>(StringComparer.Ordinal);
        Stage? stage = null;
        string? route = null;
        DateTimeOffset? since = null, until = null;
        string? domain = null;
        foreach (var (key, values) in query)
        {
            if (allowed.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
            if (values.Length != 1 || values[0] is null)
            {
                error = Keys.Contains(key, StringComparer.OrdinalIgnoreCase) ? $"'{key}' is given more than once" : Unknown(key);
                return null;
            }
            var value = values[0]!.Trim();
            switch (key.ToLowerInvariant())
            {
                case "reason":
                    foreach (var code in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!CodePattern().IsMatch(code))
                        {
                            error = $"reason '{code}' is not a reason code (like GW-MAP-BLANK-DISPLAY-NAME)";
                            return null;
                        }
                        reasons.Add(code.ToUpperInvariant());
                    }
                    if (reasons.Count == 0)
                    {
                        error = "reason is empty";
                        return null;
                    }
                    break;
                case "stage":
                    if (!Enum.TryParse<Stage>(value, ignoreCase: true, out var s) || !Enum.IsDefined(s) || value.Any(char.IsDigit))
                    {
                        error = $"stage '{value}' is not one of {string.Join(", ", Enum.GetNames<Stage>().Select(n => n.ToLowerInvariant()))}";
                        return null;
                    }
                    stage = s;
                    break;
                case "route":
                    if (value.Length is 0 or > 100)
                    {
                        error = "route must be a route name (1-100 characters)";
                        return null;
                    }
                    route = value;
                    break;
                case "domain":
                    if (value.Length is 0 or > 253 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
                    {
                        error = $"domain '{value}' is not a domain name (like contoso.com)";
                        return null;
                    }
                    domain = value.ToLowerInvariant();
                    break;
                case "since":
                case "until":
                    if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                        || !value.Contains('T') && !value.Contains('-'))
                    {
                        error = $"{key.ToLowerInvariant()} '{value}' is not an ISO 8601 time (like 2026-11-23T10:00:00Z)";
                        return null;
                    }
                    if (key.Equals("since", StringComparison.OrdinalIgnoreCase)) since = at;
                    else until = at;
                    break;
                default:
                    error = Unknown(key);
                    return null;
            }
        }
        if (since is not null && until is not null && since >= until)
        {
            error = $"since ({since:O}) must be before until ({until:O})";
            return null;
        }
        return new DeadLetterFilter(reasons, stage, route, since, until) { Domain = domain };

        string Unknown(string key) => $"unknown query parameter '{key}' (filters: {string.Join(", ", Keys)}{(allowed.Length == 0 ? "" : "; also " + string.Join(", ", allowed))})";
    }

    /// <summary>The filter as query parameters (for Location headers, job views and the CLI).</summary>
    public string ToQueryString()
    {
        var parts = new List<string>();
        if (Reasons.Count > 0) parts.Add("reason=" + Uri.EscapeDataString(string.Join(",", Reasons.Order(StringComparer.Ordinal))));
        if (Stage is { } s) parts.Add("stage=" + s.ToString().ToLowerInvariant());
        if (Route is not null) parts.Add("route=" + Uri.EscapeDataString(Route));
        if (Since is { } a) parts.Add("since=" + Uri.EscapeDataString(a.ToString("O", CultureInfo.InvariantCulture)));
        if (Until is { } b) parts.Add("until=" + Uri.EscapeDataString(b.ToString("O", CultureInfo.InvariantCulture)));
        if (Domain is not null) parts.Add("domain=" + Uri.EscapeDataString(Domain));
        return string.Join("&", parts);
    }

    [GeneratedRegex("^GW-[A-Z0-9]+(-[A-Z0-9]+)*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();
}

/// <summary>Dead-letter counts grouped by reason code, stage or route.</summary>
public sealed record DeadLetterGroup(string Key, int Count, DateTimeOffset Oldest, DateTimeOffset Newest);

public static class DeadLetterGrouping
{
    public static readonly IReadOnlyList<string> By = ["reason", "stage", "route"];

    /// <summary>Groups <paramref name="entries"/> by <paramref name="by"/> (reason, stage or route; no route = "-"), largest group first.</summary>
    public static IReadOnlyList<DeadLetterGroup> Group(IEnumerable<DeadLetterEntry> entries, string by)
    {
        Func<DeadLetterEntry, string> key = by switch
        {
            "reason" => e => e.Reason,
            "stage" => e => e.Stage.ToString().ToLowerInvariant(),
            "route" => e => e.Route ?? "-",
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, $"group by one of {string.Join(", ", By)}"),
        };
        return entries.GroupBy(key, StringComparer.Ordinal)
            .Select(g => new DeadLetterGroup(g.Key, g.Count(), g.Min(e => e.At), g.Max(e => e.At)))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
    }
}
