using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests.Support;

/// <summary>
/// A real node (SQLite journal in a throw-away data directory) with the admin API on Kestrel bound to
/// port 0, and an HttpClient pointed at it. Disposing stops the API, the ActorSystem and deletes the directory.
/// </summary>
public sealed class AdminNode : IAsyncDisposable
{
    public const string Token = "test-admin-token-0123456789abcdef";

    private AdminNode(string dataDir, ActorSystem system, GatewayNode node, OutcomeWatcher outcomes, AdminServer server, HttpClient client)
    {
        DataDir = dataDir;
        System = system;
        Node = node;
        Outcomes = outcomes;
        Server = server;
        Client = client;
    }

    public string DataDir { get; }
    public ActorSystem System { get; }
    public GatewayNode Node { get; }
    public OutcomeWatcher Outcomes { get; }
    public AdminServer Server { get; }

    /// <summary>Sends the token on every request unless a test removes it.</summary>
    public HttpClient Client { get; }

    public string Spool => Path.Combine(DataDir, "outbound");

    public string Directory => Path.Combine(DataDir, "directory.csv");

    /// <param name="token">The admin token the service is configured with (null: none).</param>
    /// <param name="listeners">Further listeners /readyz checks.</param>
    /// <param name="clustered">A one-node cluster (its own seed, on SQLite): the clustered tree behind the same API.</param>
    public static async Task<AdminNode> StartAsync(string? token = Token, string? hocon = null, Func<AdminOptions, AdminOptions>? adjust = null, IReadOnlyList<IListenerCheck>? listeners = null,
        bool clustered = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "agw-admin-" + Guid.NewGuid().ToString("N")[..12]);
        GatewayNode.PrepareSqlite(dir);
        ClusterChoice? cluster = null;
        if (clustered)
        {
            using var listener = new global::System.Net.Sockets.TcpListener(global::System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((global::System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            cluster = new ClusterChoice("127.0.0.1", port, [$"127.0.0.1:{port}"]);
        }
        var config = GatewayConfig.For(dir, StorageChoice.Sqlite, ConfigurationFactory.ParseString(hocon ?? "").WithFallback(ConfigurationFactory.ParseString("""
            actor-gateway.submit-timeout = 15s
            actor-gateway.supervision {
              transient-retry-min = 50ms
              transient-retry-max = 200ms
              dead-letter-confirm-interval = 500ms
              resume-backoff-min = 100ms
              resume-backoff-max = 500ms
            }
            actor-gateway.routes-reload-interval = 1h
            akka.loglevel = WARNING
            """)), cluster);
        var system = ActorSystem.Create(cluster is null ? "admin-test" : GatewayConfig.SystemName, config);
        try
        {
            var node = GatewayNode.Start(system);
            if (cluster is not null) await ActorGateway.Actors.Cluster.ClusterMembership.WaitUpAsync(system, cluster.Seeds, TimeSpan.FromSeconds(30));
            var outcomes = OutcomeWatcher.Start(system);
            var options = new AdminOptions { EndPoint = new global::System.Net.IPEndPoint(global::System.Net.IPAddress.Loopback, 0), Token = token };
            options = adjust?.Invoke(options) ?? options;
            var server = await AdminServer.StartAsync(system, node, options, listeners);
            var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return new AdminNode(dir, system, node, outcomes, server, client);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    public async Task<MessageId> SubmitAsync(byte[] message, string source)
    {
        var result = await Node.Ingress.SubmitAsync(message, source);
        return result is SubmitResult.Accepted a ? a.MessageId : throw new InvalidOperationException($"not accepted: {result}");
    }

    public async Task<string> WaitOutcomeAsync(MessageId id, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        return (await Outcomes.WaitAsync(id, cts.Token)).Outcome;
    }

    public static byte[] Mail(int n, string displayName, string address) =>
        global::System.Text.Encoding.UTF8.GetBytes(
            $"From: \"Exchange Admin\" <admin@fabrikam.com>\r\nTo: \"{displayName}\" <{address}>\r\nSubject: admin test {n}\r\n" +
            $"Message-ID: <admin-{n}-{Guid.NewGuid():N}@fabrikam.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nBody {n}\r\n");

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<HttpResponseMessage> PostAsync(string path, object? body = null, string? by = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (by is not null) request.Headers.Add(AdminApi.OperatorHeader, by);
        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Outcomes.Dispose();
        await System.Terminate();
        try
        {
            global::System.IO.Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Reads RFC 7807 problem details.</summary>
public static class ProblemAssert
{
    public static async Task<JsonObject> IsProblemAsync(HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, (string?)problem["code"]);
        Assert.Equal(status, (int?)problem["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]));
        return problem;
    }
}
