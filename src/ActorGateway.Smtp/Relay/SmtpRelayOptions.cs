using Akka.Configuration;
using MailKit.Security;

namespace ActorGateway.Smtp.Relay;

/// <summary>How the relay secures its connection to the smart host.</summary>
public enum SmtpRelayTls
{
    /// <summary>Plain text, STARTTLS is never used (<c>tls = none</c>).</summary>
    None,
    /// <summary>STARTTLS is required; a server that does not offer it is an outage (<c>tls = starttls</c>).</summary>
    StartTls,
    /// <summary>STARTTLS when the server offers it, plain text otherwise (<c>tls = starttls-when-available</c>).</summary>
    StartTlsWhenAvailable,
    /// <summary>TLS from the first byte, usually port 465 (<c>tls = implicit</c>).</summary>
    Implicit,
}

/// <summary>Settings of <see cref="SmtpRelayTransport"/>: the smart host, TLS, credentials and connection reuse.</summary>
public sealed record SmtpRelayOptions
{
    public const string DefaultName = "smtp";

    /// <summary>The transport's name, recorded in <c>MessageDelivered</c> and used by routes.</summary>
    public string Name { get; init; } = DefaultName;

    /// <summary>The smart host's name or IP address.</summary>
    public required string Host { get; init; }

    /// <summary>TCP port; 0 means 465 for <see cref="SmtpRelayTls.Implicit"/> and 25 otherwise.</summary>
    public int Port { get; init; }

    public SmtpRelayTls Tls { get; init; } = SmtpRelayTls.StartTls;

    /// <summary>AUTH user name; null or empty means no authentication.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Bound for connecting (TCP, greeting, EHLO, STARTTLS, AUTH) and for each network read or write after that.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A pooled connection idle for longer than this is checked with NOOP before it is reused, and reopened if that fails.</summary>
    public TimeSpan MaxIdle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections to the smart host open at once, at most. Deliveries beyond that wait for a free one.</summary>
    public int MaxConnections { get; init; } = 2;

    /// <summary>The EHLO name; null means MailKit's default (the local address literal).</summary>
    public string? HeloName { get; init; }

    /// <summary>The port actually used (see <see cref="Port"/>).</summary>
    public int EffectivePort => Port != 0 ? Port : Tls == SmtpRelayTls.Implicit ? 465 : 25;

    public SecureSocketOptions SecureSocketOptions => Tls switch
    {
        SmtpRelayTls.None => SecureSocketOptions.None,
        SmtpRelayTls.StartTls => SecureSocketOptions.StartTls,
        SmtpRelayTls.StartTlsWhenAvailable => SecureSocketOptions.StartTlsWhenAvailable,
        SmtpRelayTls.Implicit => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(Tls), Tls, "unknown TLS mode"),
    };

    /// <summary>Where this relay sends to, for receipts and logs: <c>smtp://host:port</c>.</summary>
    public string Endpoint => $"smtp://{Host}:{EffectivePort}";

    /// <summary>
    /// Reads a HOCON section (<c>host</c>, <c>port</c>, <c>tls</c>, <c>username</c>, <c>password</c>,
    /// <c>timeout</c>, <c>max-idle</c>, <c>max-connections</c>, <c>helo-name</c>, <c>name</c>); only
    /// <c>host</c> is required.
    /// </summary>
    /// <param name="path">The section's path, used in error messages.</param>
    /// <exception cref="ConfigurationException">A setting is missing or invalid; the message names it.</exception>
    public static SmtpRelayOptions FromConfig(Config? section, string path = "actor-gateway.smtp-relay")
    {
        if (section is null || section.IsEmpty) throw new ConfigurationException($"{path}: the section is missing (host is required)");
        string Key(string key) => $"{path}.{key}";
        string? Text(string key)
        {
            if (!section.HasPath(key)) return null;
            try
            {
                var value = section.GetString(key, null);
                return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
            }
            catch (Exception ex) when (ex is not ConfigurationException)
            {
                throw new ConfigurationException($"{Key(key)} must be a string: {ex.Message}");
            }
        }
        TimeSpan Duration(string key, TimeSpan fallback)
        {
            if (!section.HasPath(key)) return fallback;
            TimeSpan value;
            try
            {
                value = section.GetTimeSpan(key, null, allowInfinite: false);
            }
            catch (Exception ex)
            {
                throw new ConfigurationException($"{Key(key)} must be a duration such as 30s or 500ms: {ex.Message}");
            }
            if (value <= TimeSpan.Zero) throw new ConfigurationException($"{Key(key)} must be positive, was {section.GetString(key)}");
            return value;
        }
        int Integer(string key, int fallback, int min, int max)
        {
            if (!section.HasPath(key)) return fallback;
            var raw = section.GetString(key);
            if (!int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                throw new ConfigurationException($"{Key(key)} must be an integer from {min} to {max}, was '{raw}'");
            return value;
        }

        var host = Text("host") ?? throw new ConfigurationException($"{Key("host")} is required (the smart host's name or IP address)");
        var tlsText = Text("tls") ?? "starttls";
        var tls = tlsText.ToLowerInvariant() switch
        {
            "none" => SmtpRelayTls.None,
            "starttls" => SmtpRelayTls.StartTls,
            "starttls-when-available" => SmtpRelayTls.StartTlsWhenAvailable,
            "implicit" => SmtpRelayTls.Implicit,
            _ => throw new ConfigurationException($"{Key("tls")} must be one of none, starttls, starttls-when-available, implicit; was '{tlsText}'"),
        };
        var username = Text("username");
        var password = Text("password");
        if (username is not null && password is null)
            throw new ConfigurationException($"{Key("password")} is required when {Key("username")} is set");

        return new SmtpRelayOptions
        {
            Name = Text("name") ?? DefaultName,
            Host = host,
            Port = Integer("port", 0, 0, 65535),
            Tls = tls,
            Username = username,
            Password = username is null ? null : password,
            Timeout = Duration("timeout", TimeSpan.FromSeconds(60)),
            MaxIdle = Duration("max-idle", TimeSpan.FromSeconds(30)),
            MaxConnections = Integer("max-connections", 2, 1, 100),
            HeloName = Text("helo-name"),
        };
    }
}
