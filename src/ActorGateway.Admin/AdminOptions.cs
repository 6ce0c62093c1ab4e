using ActorGateway.Actors.Configuration;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using ActorGateway.Domain;

namespace ActorGateway.Admin;

/// <summary>The admin API refuses to start as configured (for example a non-loopback listener without a token).</summary>
public sealed class AdminConfigurationException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Settings of the admin API (<c>actor-gateway.admin</c>). The token comes from
/// <see cref="TokenEnvironmentVariable"/> when set, else from HOCON.
/// </summary>
public sealed record AdminOptions
{
    public const string TokenEnvironmentVariable = "GATEWAY_ADMIN_TOKEN";
    public const int MinTokenLength = 16;

    /// <summary>Where Kestrel binds; null = the admin API is off.</summary>
    public IPEndPoint? EndPoint { get; init; } = new(IPAddress.Loopback, 8025);

    /// <summary>The bearer token; null = none configured (then only loopback binds are allowed, and mutations are refused).</summary>
    public string? Token { get; init; }

    /// <summary>Replays a bulk job starts per second, at most.</summary>
    public double ReplayRate { get; init; } = 100;

    /// <summary>Messages one bulk job has replayed that have not finished yet, at most.</summary>
    public int MaxOutstanding { get; init; } = 100;

    /// <summary>How long a bulk job waits before asking again when the gateway answers Busy or does not answer.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bound on each readiness check and on the route reload before a dry run or replay.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Finished bulk jobs kept for GET (older ones are forgotten; their replays stay in the journal).</summary>
    public int JobsKept { get; init; } = 100;

    public bool IsLoopback => EndPoint is null || IPAddress.IsLoopback(EndPoint.Address);

    /// <param name="listenOverride">--admin-listen: HOST:PORT or <c>off</c>; null = the configured value.</param>
    /// <param name="environment">Reads an environment variable (tests pass their own).</param>
    public static AdminOptions FromConfig(Config config, string? listenOverride = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var section = config.GetConfig("actor-gateway.admin") ?? ConfigurationFactory.Empty;
        var d = new AdminOptions();
        var listen = listenOverride ?? (section.HasPath("listen") ? section.GetString("listen") : "127.0.0.1:8025");
        IPEndPoint? endPoint;
        try
        {
            endPoint = ParseListen(listen);
        }
        catch (FormatException ex)
        {
            throw new AdminConfigurationException(ReasonCodes.CliBadArgument, $"admin listen address: {ex.Message}");
        }
        var token = environment(TokenEnvironmentVariable) is { Length: > 0 } env ? env : section.GetString("token", "");
        var options = new AdminOptions
        {
            EndPoint = endPoint,
            Token = string.IsNullOrEmpty(token) ? null : token,
            ReplayRate = section.HasPath("replay-rate") ? section.GetDouble("replay-rate") : d.ReplayRate,
            MaxOutstanding = section.GetInt("max-outstanding", d.MaxOutstanding),
            RetryDelay = section.GetTimeSpan("retry-delay", d.RetryDelay),
            CheckTimeout = section.GetTimeSpan("check-timeout", d.CheckTimeout),
            JobsKept = section.GetInt("jobs-kept", d.JobsKept),
        };
        return options.Validated();
    }

    /// <summary>Refuses settings the service must not run with: a token too short, or a non-loopback bind without a token.</summary>
    public AdminOptions Validated()
    {
        if (Token is not null && (Token.Length < MinTokenLength || Token.Any(c => c <= ' ' || c > '~')))
        {
            throw new AdminConfigurationException(ReasonCodes.AdminTokenRequired,
                $"the admin token must be at least {MinTokenLength} printable ASCII characters without spaces");
        }
        if (EndPoint is not null && !IsLoopback && Token is null)
        {
            throw new AdminConfigurationException(ReasonCodes.AdminTokenRequired,
                $"refusing to start the admin API on non-loopback address {EndPoint} without a token: set {TokenEnvironmentVariable} or actor-gateway.admin.token, or listen on 127.0.0.1");
        }
        if (!(ReplayRate > 0)) throw new AdminConfigurationException(ReasonCodes.CliConfig, "actor-gateway.admin.replay-rate must be above 0");
        if (MaxOutstanding < 1) throw new AdminConfigurationException(ReasonCodes.CliConfig, "actor-gateway.admin.max-outstanding must be at least 1");
        if (RetryDelay <= TimeSpan.Zero || CheckTimeout <= TimeSpan.Zero) throw new AdminConfigurationException(ReasonCodes.CliConfig, "actor-gateway.admin.retry-delay and check-timeout must be above 0");
        return this;
    }

    /// <summary>IPv4:port, [IPv6]:port, localhost:port or *:port (port 0 = any free port); <c>off</c> = null. Host names are not resolved.</summary>
    public static IPEndPoint? ParseListen(string text) =>
        string.Equals(text.Trim(), "off", StringComparison.OrdinalIgnoreCase) ? null : ListenAddress.Parse(text, examplePort: 8025);
}
