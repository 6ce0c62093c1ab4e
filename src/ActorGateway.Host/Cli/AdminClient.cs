using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ActorGateway.Admin;
using ActorGateway.Domain;

namespace ActorGateway.Host.Cli;

/// <summary>
/// The CLI's way into a running service: the admin HTTP API at <c>--admin</c> (else <c>$GATEWAY_ADMIN_URL</c>,
/// else http://127.0.0.1:8025), with the token from <c>$GATEWAY_ADMIN_TOKEN</c>. Problems become one-line
/// CLI errors with the API's own code.
/// </summary>
public sealed class AdminClient : IDisposable
{
    public const string UrlEnvironmentVariable = "GATEWAY_ADMIN_URL";
    public const string DefaultUrl = "http://127.0.0.1:8025";

    private readonly HttpClient _http;

    public AdminClient(string? url, string? by, TimeSpan? timeout = null)
    {
        var baseUrl = url ?? (Environment.GetEnvironmentVariable(UrlEnvironmentVariable) is { Length: > 0 } env ? env : DefaultUrl);
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliError(ReasonCodes.CliBadArgument, $"--admin '{baseUrl}' is not an http(s) URL (for example {DefaultUrl})", ExitCodes.BadArgument);
        }
        BaseAddress = uri;
        _http = new HttpClient { BaseAddress = uri, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (Environment.GetEnvironmentVariable(AdminOptions.TokenEnvironmentVariable) is { Length: > 0 } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var who = by ?? Environment.GetEnvironmentVariable("USER") ?? Environment.UserName;
        if (!string.IsNullOrWhiteSpace(who)) _http.DefaultRequestHeaders.TryAddWithoutValidation(AdminApi.OperatorHeader, who);
    }

    public Uri BaseAddress { get; }

    public async Task<JsonObject> GetAsync(string path, CancellationToken ct) =>
        (await ParseAsync(await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct), ct)).AsObject();

    public async Task<JsonObject> PostAsync(string path, string? why, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = why is null ? null : JsonContent.Create(new { why }) };
        return (await ParseAsync(await SendAsync(request, ct), ct)).AsObject();
    }

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is SocketException s ? s.SocketErrorCode.ToString() : ex.Message;
            throw new CliError(ReasonCodes.CliAdminUnreachable,
                $"cannot reach the admin API at {BaseAddress} ({why}); is `gateway run` up? (set --admin or {UrlEnvironmentVariable})", ExitCodes.Failed);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliError(ReasonCodes.CliAdminUnreachable, $"the admin API at {BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0}s", ExitCodes.Failed);
        }
        finally
        {
            request.Dispose();
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            throw await ProblemAsync(response, ct);
        }
    }

    private static async Task<CliError> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string code = ReasonCodes.CliFailed, detail = $"HTTP {status} {response.ReasonPhrase}";
        try
        {
            if (JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) is JsonObject problem)
            {
                code = (string?)problem["code"] ?? code;
                detail = (string?)problem["detail"] ?? (string?)problem["title"] ?? detail;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (status == 401 && code == ReasonCodes.AdminUnauthorized) detail += $" ({AdminOptions.TokenEnvironmentVariable} is {(Environment.GetEnvironmentVariable(AdminOptions.TokenEnvironmentVariable) is { Length: > 0 } ? "set" : "not set")})";
        var exit = response.StatusCode switch
        {
            HttpStatusCode.NotFound => ExitCodes.NotFound,
            HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.BadArgument,
            _ => ExitCodes.Failed,
        };
        return new CliError(code, detail, exit);
    }

    private static async Task<JsonNode> ParseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            return JsonNode.Parse(text) ?? new JsonObject();
        }
    }

    public void Dispose() => _http.Dispose();
}
