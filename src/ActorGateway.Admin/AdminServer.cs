using System.Net;
using Akka.Actor;
using ActorGateway.Actors;
using ActorGateway.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorGateway.Admin;

/// <summary>
/// The admin API on its own Kestrel (a <see cref="WebApplication"/> with nothing but our endpoints:
/// no ASPNETCORE_* environment, no appsettings). Started by <c>gateway run</c> once the node is up; tests
/// start it on port 0 next to an in-process node.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly AdminContext _context;
    private int _stopped;

    private AdminServer(WebApplication app, AdminContext context, Uri address)
    {
        _app = app;
        _context = context;
        Address = address;
    }

    private static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:8025/</c> (the real port when configured as 0).</summary>
    public Uri Address { get; }

    public ReplayJobs Jobs => _context.Jobs;

    public PrometheusExporter Metrics => _context.Metrics;

    /// <param name="listeners">Further listeners /readyz checks (the ESMTP listener).</param>
    public static async Task<AdminServer> StartAsync(ActorSystem system, GatewayNode node, AdminOptions options,
        IReadOnlyList<IListenerCheck>? listeners = null, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        var endPoint = options.Validated().EndPoint ?? throw new InvalidOperationException("the admin API is off (no listen address)");
        loggers ??= NullLoggerFactory.Instance;
        var log = loggers.CreateLogger("ActorGateway.Admin");

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(AdminServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(endPoint);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddProblemDetails();
        // The framework's own logs (Kestrel, the inner host) stay out of the service log; request failures are
        // logged below with a code, and a bind failure becomes one line.
        builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);

        var metrics = new PrometheusExporter(node.Metrics.Meter);
        var jobs = new ReplayJobs(system, node, options, loggers.CreateLogger("ActorGateway.Admin.ReplayJobs"));
        var context = new AdminContext(system, node, options, jobs, new Readiness(system, node, options, listeners ?? []), metrics);

        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (Exception ex) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                var problem = ex switch
                {
                    AskTimeoutException => Problems.Of(StatusCodes.Status503ServiceUnavailable, ReasonCodes.GatewayUnavailable, "Unavailable",
                        "the gateway did not answer in time (its journal may be unavailable)"),
                    BadHttpRequestException bad => Problems.Of(bad.StatusCode, ReasonCodes.AdminBadRequest, "Bad request", bad.Message),
                    _ => Problems.Of(StatusCodes.Status500InternalServerError, ReasonCodes.Unhandled, "Internal error", $"{ex.GetType().Name}: {ex.Message}"),
                };
                if (ex is not (AskTimeoutException or BadHttpRequestException)) log.LogError(ex, "{Code} admin API request {Method} {Path} failed", ReasonCodes.Unhandled, http.Request.Method, http.Request.Path);
                http.Response.Clear();
                await problem.ExecuteAsync(http);
            }
        });
        app.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            // The console's files set their own policy (ConsoleAssets); everything else loads and runs nothing.
            headers.ContentSecurityPolicy = ConsoleAssets.ApiContentSecurityPolicy;
            return next(http);
        });
        if (options.Token is null)
        {
            // Without a token the API trusts the loopback listener, so it answers only requests addressed to the
            // loopback by name: a web page cannot reach it through DNS rebinding (its Host header names its own domain).
            app.Use(async (http, next) =>
            {
                if ((http.Request.Path.StartsWithSegments(AdminApi.Prefix) || ConsoleAssets.IsConsolePath(http.Request.Path)) && !IsLoopbackHost(http.Request.Host.Host))
                {
                    await Problems.Of(StatusCodes.Status403Forbidden, ReasonCodes.AdminForbidden, "Not a loopback host",
                        $"without a token the admin API only answers requests for localhost, 127.0.0.1 or [::1], not '{http.Request.Host.Host}'; set {AdminOptions.TokenEnvironmentVariable} to use another name").ExecuteAsync(http);
                    return;
                }
                await next(http);
            });
        }
        app.UseStatusCodePages(async status =>
        {
            // Unknown paths and methods answer with problem details too.
            var http = status.HttpContext;
            var problem = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => Problems.NotFound(ReasonCodes.AdminNotFound, $"no endpoint {http.Request.Path}"),
                StatusCodes.Status405MethodNotAllowed => Problems.Of(405, ReasonCodes.AdminBadRequest, "Method not allowed", $"{http.Request.Method} is not allowed on {http.Request.Path}"),
                var other => Problems.Of(other, ReasonCodes.AdminBadRequest, "Error", $"HTTP {other}"),
            };
            await problem.ExecuteAsync(http);
        });
        AdminApi.Map(app, context);
        ConsoleAssets.Map(app);

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception ex)
        {
            jobs.Dispose();
            metrics.Dispose();
            await app.DisposeAsync();
            if (ex is IOException or System.Net.Sockets.SocketException)
            {
                throw new AdminConfigurationException(ReasonCodes.AdminListenFailed, $"the admin API cannot listen on {endPoint}: {ex.Message} (use --admin-listen HOST:PORT, or off)");
            }
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                    ?? $"http://{endPoint}";
        var address = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        context.Listening = true;
        log.LogInformation("{Code} Admin API listening on {Address} (token {TokenState}); operator console at {Console}", ReasonCodes.AdminListening, address,
            options.Token is null ? "not configured: reads only, loopback only" : "configured", address);
        return new AdminServer(app, context, address);
    }

    /// <summary>The base address a client should use (a wildcard bind is reached through loopback).</summary>
    public Uri ClientAddress =>
        IPAddress.TryParse(Address.Host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            ? new UriBuilder(Address) { Host = ip.Equals(IPAddress.Any) ? "127.0.0.1" : "[::1]" }.Uri
            : Address;

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _context.Listening = false;
        _context.Jobs.Dispose();
        await _app.StopAsync(ct);
        _context.Metrics.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
