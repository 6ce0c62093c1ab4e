using Akka.Configuration;
using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;

namespace ActorGateway.Actors.Tests.Support;

/// <summary>A throw-away data directory with a real SQLite journal in WAL mode.</summary>
public sealed class TestDataDir : IDisposable
{
    public TestDataDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agw-test-" + Guid.NewGuid().ToString("N")[..12]);
        GatewayNode.PrepareSqlite(Path);
    }

    public string Path { get; }

    public string Spool => System.IO.Path.Combine(Path, "outbound");

    /// <summary>The node's full configuration, with test-friendly fast timings layered on top, and <paramref name="extra"/> over those.</summary>
    public Config Config(string? extra = null) =>
        GatewayConfig.ForSqlite(Path, ConfigurationFactory.ParseString((extra ?? "")).WithFallback(ConfigurationFactory.ParseString("""
            actor-gateway.supervision {
              transient-retry-min = 50ms
              transient-retry-max = 200ms
              dead-letter-confirm-interval = 500ms
              resume-backoff-min = 100ms
              resume-backoff-max = 500ms
            }
            akka.loglevel = INFO
            """)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
