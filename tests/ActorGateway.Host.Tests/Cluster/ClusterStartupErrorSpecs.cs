using System.Net;
using System.Net.Sockets;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Testing;

namespace ActorGateway.Host.Tests.Cluster;

/// <summary>
/// What an operator sees when a clustered or PostgreSQL node cannot start: one line, <c>error GW-…: …</c>, and an exit code,
/// soon; never a hang and never a stack trace.
/// </summary>
public sealed class ClusterStartupErrorSpecs : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly TempDir _tmp = new();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private string[] Run(params string[] more) =>
        ["run", "--data-dir", _tmp.Sub("data"), "--smtp-listen", "off", "--admin-listen", "off", .. more];

    private static void AssertOneErrorLine(string output, string code)
    {
        Assert.True(output.Contains($"error {code}:"), $"no 'error {code}:' line in:\n{output}");
        Assert.False(output.Contains("   at "), $"a stack trace in:\n{output}");
    }

    [Fact]
    public async Task Should_exit_8_with_GW_POSTGRES_UNREACHABLE_when_nothing_listens_at_the_database_address()
    {
        var postgres = $"Host=127.0.0.1;Port={FreePort()};Database=gateway;Username=gateway;Timeout=3";
        var (exit, output) = await GatewayProcess.RunAsync(Bound, Run("--storage", "postgres", "--postgres", postgres));
        Assert.Equal(8, exit);
        AssertOneErrorLine(output, ReasonCodes.PostgresUnreachable);
    }

    [Fact]
    public async Task Should_exit_2_with_GW_POSTGRES_BAD_CONNECTION_STRING_for_a_string_npgsql_cannot_parse()
    {
        var (exit, output) = await GatewayProcess.RunAsync(Bound, Run("--storage", "postgres", "--postgres", "Host=127.0.0.1;NoSuchKeyword=1"));
        Assert.Equal(2, exit);
        AssertOneErrorLine(output, ReasonCodes.PostgresBadConnectionString);
    }

    [Fact]
    public async Task Should_refuse_a_cluster_on_sqlite_with_GW_CLUSTER_NEEDS_POSTGRES()
    {
        var (exit, output) = await GatewayProcess.RunAsync(Bound, Run("--cluster-seeds", $"127.0.0.1:{FreePort()}"));
        Assert.Equal(2, exit);
        AssertOneErrorLine(output, ReasonCodes.ClusterNeedsPostgres);
    }

    [Fact]
    public async Task Should_refuse_a_seed_list_that_is_not_host_port()
    {
        var (exit, output) = await GatewayProcess.RunAsync(Bound, Run("--cluster-seeds", "node1,node2:99999"));
        Assert.Equal(2, exit);
        AssertOneErrorLine(output, ReasonCodes.CliBadArgument);
        Assert.Contains("HOST:PORT", output);
    }

    [SkippableFact]
    public async Task Should_exit_10_with_GW_CLUSTER_JOIN_FAILED_when_no_seed_node_answers_within_the_join_timeout()
    {
        using var database = PostgresServer.CreateDatabase();
        var config = _tmp.Sub("join.conf");
        await File.WriteAllTextAsync(config, "actor-gateway.cluster.join-timeout = 5s\n");
        // The only seed is a port nothing listens on, and not this node: it can neither join nor form a cluster itself.
        var (exit, output) = await GatewayProcess.RunAsync(Bound, Run(
            "--config", config, "--storage", "postgres", "--postgres", database.ConnectionString,
            "--cluster-host", "127.0.0.1", "--cluster-port", FreePort().ToString(), "--cluster-seeds", $"127.0.0.1:{FreePort()}"));
        Assert.Equal(10, exit);
        AssertOneErrorLine(output, ReasonCodes.ClusterJoinFailed);
    }

    public void Dispose() => _tmp.Dispose();
}
