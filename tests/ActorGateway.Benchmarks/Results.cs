using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ActorGateway.Benchmarks;

/// <summary>One row of the table (and one object in the JSON).</summary>
public sealed class BenchResult(string id, string scenario, string measures)
{
    public string Id { get; } = id;
    public string Scenario { get; } = scenario;
    public string Measures { get; } = measures;
    public int? N { get; set; }
    public double? ElapsedS { get; set; }
    /// <summary>The headline rate (messages/s unless <see cref="RateUnit"/> says otherwise).</summary>
    public double? Rate { get; set; }
    public string RateUnit { get; set; } = "msg/s";
    public double? P50Ms { get; set; }
    public double? P99Ms { get; set; }
    public double? P999Ms { get; set; }
    /// <summary>Short extra figures for the table.</summary>
    public string Extra { get; set; } = "";
    public string? Error { get; set; }
    public Dictionary<string, object?> Metrics { get; } = [];
    public List<string> Notes { get; } = [];

    public void Latency(Latencies l, string key = "latency_accept_to_delivery")
    {
        Metrics[key] = l.ToJson();
        if (l.Count == 0) return;
        P50Ms = l.P(0.50);
        P99Ms = l.P(0.99);
        P999Ms = l.P(0.999);
    }

    public Dictionary<string, object?> ToJson() => new()
    {
        ["id"] = Id,
        ["scenario"] = Scenario,
        ["measures"] = Measures,
        ["n"] = N,
        ["elapsed_s"] = ElapsedS is { } e ? ResourceUsage.R(e, 3) : null,
        ["rate"] = Rate is { } r ? ResourceUsage.R(r, 1) : null,
        ["rate_unit"] = RateUnit,
        ["p50_ms"] = P50Ms is { } a ? ResourceUsage.R(a, 2) : null,
        ["p99_ms"] = P99Ms is { } b ? ResourceUsage.R(b, 2) : null,
        ["p999_ms"] = P999Ms is { } c ? ResourceUsage.R(c, 2) : null,
        ["error"] = Error,
        ["metrics"] = Metrics,
        ["notes"] = Notes,
    };
}

public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Table(IReadOnlyDictionary<string, object?> conditions, IReadOnlyList<BenchResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine("Conditions: " + string.Join(", ", conditions
            .Where(kv => kv.Value is string or int or long or double or bool)
            .Select(kv => $"{kv.Key}={Convert.ToString(kv.Value, Inv)}")));
        sb.AppendLine();
        var header = new[] { "bench", "scenario", "N", "elapsed s", "rate", "p50 ms", "p99 ms", "p99.9 ms", "notes" };
        var rows = results.Select(r => new[]
        {
            r.Id,
            r.Scenario,
            r.N?.ToString("N0", Inv) ?? "",
            r.ElapsedS?.ToString("0.0", Inv) ?? "",
            r.Rate is { } rate ? $"{rate.ToString(rate >= 100 ? "N0" : "0.0", Inv)} {r.RateUnit}" : "",
            Fmt(r.P50Ms), Fmt(r.P99Ms), Fmt(r.P999Ms),
            r.Error is null ? r.Extra : "FAILED: " + r.Error,
        }).ToList();
        var widths = header.Select((h, i) => Math.Min(i == header.Length - 1 ? 1000 : 60, rows.Select(r => r[i].Length).Append(h.Length).Max())).ToArray();
        void Line(string[] cells) => sb.AppendLine(string.Join(" | ", cells.Select((c, i) => i >= 2 && i <= 7 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        sb.AppendLine(string.Join("-|-", widths.Select(w => new string('-', w))));
        foreach (var r in rows) Line(r);
        return sb.ToString();
    }

    private static string Fmt(double? v) => v is { } x && double.IsFinite(x) ? x.ToString(x >= 100 ? "0" : "0.0", Inv) : "";

    public static string Json(IReadOnlyDictionary<string, object?> conditions, IReadOnlyList<BenchResult> results) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["conditions"] = conditions,
            ["results"] = results.Select(r => r.ToJson()).ToList(),
        }, new JsonSerializerOptions { WriteIndented = true });
}
