using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace ActorGateway.Admin;

/// <summary>
/// Exports one <see cref="Meter"/> (a node's <c>GatewayMetrics.Meter</c>, never the process's others, so
/// nodes in one process keep apart) in the Prometheus text format 0.0.4. Counters are
/// <c>NAME_total</c>, histograms <c>NAME_bucket{le=…}</c>, <c>NAME_sum</c> and <c>NAME_count</c>, gauges
/// are read at each scrape. Names come from the instrument names with dots as underscores and the
/// unit as a suffix (<c>s</c> → <c>_seconds</c>). Counts start when the exporter does.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Histogram bucket bounds (seconds, for latencies).</summary>
    public static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly object _lock = new();
    private readonly Dictionary<Instrument, Dictionary<string, Series>> _series = new();
    private readonly List<Instrument> _instruments = [];
    private bool _observing;

    public PrometheusExporter(Meter meter)
    {
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter, _meter)) return;
                lock (_lock)
                {
                    _instruments.Add(instrument);
                    _series[instrument] = new Dictionary<string, Series>(StringComparer.Ordinal);
                }
                listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The current figures in Prometheus text format.</summary>
    public string Scrape()
    {
        lock (_lock)
        {
            // Gauges are observed now: clear what the last scrape saw, then let the callbacks report.
            foreach (var i in _instruments.Where(i => i.IsObservable)) _series[i].Clear();
            _observing = true;
            try
            {
                _listener.RecordObservableInstruments();
            }
            finally
            {
                _observing = false;
            }

            var text = new StringBuilder();
            foreach (var instrument in _instruments.OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var name = MetricName(instrument);
                var kind = Kind(instrument);
                var family = kind == "counter" ? name + "_total" : name;
                text.Append("# HELP ").Append(family).Append(' ').Append(Escape(instrument.Description ?? instrument.Name, help: true)).Append('\n');
                text.Append("# TYPE ").Append(family).Append(' ').Append(kind).Append('\n');
                var series = _series[instrument];
                if (series.Count == 0 && kind == "counter" && !instrument.IsObservable)
                {
                    // An unlabelled series that has not moved yet is still a zero, not absent.
                    text.Append(family).Append(" 0\n");
                }
                foreach (var (labels, s) in series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (kind == "histogram")
                    {
                        long cumulative = 0;
                        for (var b = 0; b < Buckets.Length; b++)
                        {
                            cumulative += s.BucketCounts![b];
                            text.Append(name).Append("_bucket").Append(Labels(labels, ("le", Format(Buckets[b])))).Append(' ').Append(cumulative).Append('\n');
                        }
                        text.Append(name).Append("_bucket").Append(Labels(labels, ("le", "+Inf"))).Append(' ').Append(s.Count).Append('\n');
                        text.Append(name).Append("_sum").Append(Labels(labels)).Append(' ').Append(Format(s.Value)).Append('\n');
                        text.Append(name).Append("_count").Append(Labels(labels)).Append(' ').Append(s.Count).Append('\n');
                    }
                    else
                    {
                        text.Append(family).Append(Labels(labels)).Append(' ').Append(Format(s.Value)).Append('\n');
                    }
                }
            }
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = LabelKey(tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(instrument, out var series)) return;
            if (instrument.IsObservable && !_observing) return;
            if (!series.TryGetValue(labels, out var s))
            {
                s = new Series(Kind(instrument) == "histogram" ? new long[Buckets.Length] : null);
                series[labels] = s;
            }
            switch (Kind(instrument))
            {
                case "histogram":
                    s.Value += value;
                    s.Count++;
                    var bucket = Array.FindIndex(Buckets, b => value <= b);
                    if (bucket >= 0) s.BucketCounts![bucket]++;
                    break;
                case "counter" when !instrument.IsObservable:
                    s.Value += value;
                    break;
                default:
                    // Gauges, and observable counters, which report their total.
                    s.Value = value;
                    break;
            }
        }
    }

    private static string Kind(Instrument instrument) => instrument switch
    {
        Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "counter",
        Histogram<long> or Histogram<int> or Histogram<double> => "histogram",
        _ => "gauge",
    };

    /// <summary><c>gateway.journal.write.duration</c> with unit <c>s</c> → <c>gateway_journal_write_duration_seconds</c>.</summary>
    public static string MetricName(Instrument instrument)
    {
        var name = new StringBuilder(instrument.Name.Length + 8);
        foreach (var c in instrument.Name) name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        var suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal)) name.Append(suffix);
        return name.ToString();
    }

    private static string LabelKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<(string, string)>(tags.Length);
        foreach (var tag in tags) pairs.Add((SanitizeLabel(tag.Key), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
        return string.Join(",", pairs.OrderBy(p => p.Item1, StringComparer.Ordinal).Select(p => $"{p.Item1}=\"{Escape(p.Item2, help: false)}\""));
    }

    private static string Labels(string key, params (string Name, string Value)[] extra)
    {
        var all = new List<string>();
        if (key.Length > 0) all.Add(key);
        all.AddRange(extra.Select(e => $"{e.Name}=\"{e.Value}\""));
        return all.Count == 0 ? "" : "{" + string.Join(",", all) + "}";
    }

    private static string SanitizeLabel(string name)
    {
        var s = new StringBuilder(name.Length);
        foreach (var c in name) s.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        return s.ToString();
    }

    private static string Escape(string text, bool help)
    {
        var s = text.Replace("\\", "\\\\").Replace("\n", "\\n");
        return help ? s : s.Replace("\"", "\\\"");
    }

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Series(long[]? bucketCounts)
    {
        public double Value;
        public long Count;
        public long[]? BucketCounts { get; } = bucketCounts;
    }
}
