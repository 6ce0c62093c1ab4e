using ActorGateway.Actors.Diagnostics;

namespace ActorGateway.Admin.Tests;

public class PrometheusExporterTests
{
    [Fact]
    public void Should_export_counters_histograms_and_gauges_in_prometheus_text_format()
    {
        using var metrics = new GatewayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);

        metrics.Received();
        metrics.Received();
        metrics.DeadLettered("GW-MAP-BLANK-DISPLAY-NAME");
        metrics.JournalWrite(TimeSpan.FromMilliseconds(3));
        metrics.JournalWrite(TimeSpan.FromMilliseconds(40));
        metrics.SetInFlight(7);
        metrics.SetCircuitState("spool", "open");

        var text = exporter.Scrape();

        Assert.Contains("# TYPE gateway_messages_received_total counter\n", text);
        Assert.Contains("\ngateway_messages_received_total 2\n", text);
        Assert.Contains("gateway_messages_dead_lettered_total{reason=\"GW-MAP-BLANK-DISPLAY-NAME\"} 1\n", text);
        Assert.Contains("# TYPE gateway_journal_write_duration_seconds histogram\n", text);
        Assert.Contains("gateway_journal_write_duration_seconds_bucket{le=\"0.001\"} 0\n", text);
        Assert.Contains("gateway_journal_write_duration_seconds_bucket{le=\"0.005\"} 1\n", text);
        Assert.Contains("gateway_journal_write_duration_seconds_bucket{le=\"0.05\"} 2\n", text);
        Assert.Contains("gateway_journal_write_duration_seconds_bucket{le=\"+Inf\"} 2\n", text);
        Assert.Contains("gateway_journal_write_duration_seconds_count 2\n", text);
        Assert.Contains("# TYPE gateway_messages_in_flight gauge\n", text);
        Assert.Contains("gateway_messages_in_flight 7\n", text);
        Assert.Contains("gateway_circuit_state{state=\"open\",transport=\"spool\"} 1\n", text);
        Assert.Contains("gateway_circuit_state{state=\"closed\",transport=\"spool\"} 0\n", text);
        // An unlabelled counter that never moved is a zero, not missing.
        Assert.Contains("\ngateway_retries_total 0\n", text);
    }

    [Fact]
    public void Should_read_gauges_afresh_at_each_scrape()
    {
        using var metrics = new GatewayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);

        metrics.SetInFlight(3);
        Assert.Contains("gateway_messages_in_flight 3\n", exporter.Scrape());
        metrics.SetInFlight(0);
        Assert.Contains("gateway_messages_in_flight 0\n", exporter.Scrape());
    }

    [Fact]
    public void Should_see_only_its_own_nodes_meter()
    {
        using var mine = new GatewayMetrics();
        using var other = new GatewayMetrics();
        using var exporter = new PrometheusExporter(mine.Meter);

        other.Received();
        other.DeadLettered("GW-NO-ROUTE");
        mine.Received();

        var text = exporter.Scrape();
        Assert.Contains("\ngateway_messages_received_total 1\n", text);
        Assert.DoesNotContain("GW-NO-ROUTE", text);
    }
}
