using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Configuration;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// The inbound ESMTP listener's settings: where it listens and every limit a session runs under.
/// Read from the <c>actor-gateway.smtp</c> HOCON section with <see cref="FromConfig"/>; the
/// largest message comes from the gateway's own <c>actor-gateway.max-message-size</c>.
/// </summary>
public sealed record SmtpListenerOptions
{
    public const long DefaultMaxMessageBytes = 25L * 1024 * 1024;

    /// <summary>Address and port to listen on. Port 0 binds a free port (see <see cref="SmtpServer.EndPoint"/>).</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 2525);

    /// <summary>Name the server gives itself in the 220 greeting and the EHLO reply.</summary>
    public string HostName { get; init; } = "localhost";

    /// <summary>Largest message accepted, in octets after dot-unstuffing. Advertised as <c>SIZE</c>; larger: 552 5.3.4.</summary>
    public long MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>Recipients per transaction (count). Further RCPT commands get 452 4.5.3.</summary>
    public int MaxRecipients { get; init; } = 100;

    /// <summary>Longest command line, in octets including CRLF (RFC 5321: 512). Longer: 500 5.5.2.</summary>
    public int MaxCommandLineLength { get; init; } = 512;

    /// <summary>Longest message text line, in octets including CRLF (RFC 5321: 1000). Longer: the message is rejected 500 5.5.2.</summary>
    public int MaxDataLineLength { get; init; } = 1000;

    /// <summary>How long the server waits for the next command (or for a reply to be taken) before 421 4.4.2 and close.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the server waits for more message text during DATA before 421 4.4.2 and close; nothing is accepted.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Concurrent sessions (count). A connection beyond it gets 421 4.3.2 and is closed.</summary>
    public int MaxSessions { get; init; } = 100;

    /// <summary>
    /// Concurrent sessions from one client IP address (count); one more gets 421 4.7.0 and is closed. Null: no
    /// per-address limit (the HOCON default is set in gateway.conf, <c>smtp.max-sessions-per-address</c>).
    /// </summary>
    public int? MaxSessionsPerAddress { get; init; }

    /// <summary>
    /// How long one command line may take from its first octet to its CRLF, however steadily it trickles in
    /// (a slowloris client resets <see cref="CommandTimeout"/> with every octet); then 421 4.4.2 and close. Null: no deadline.
    /// </summary>
    public TimeSpan? CommandDeadline { get; init; }

    /// <summary>How long the message text may take from the 354 to its final "."; then 421 4.4.2, close, nothing accepted. Null: no deadline.</summary>
    public TimeSpan? DataDeadline { get; init; }

    /// <summary>The address <c>RCPT TO:&lt;postmaster&gt;</c> (RFC 5321 §4.5.1, no domain) is delivered to; null: it is refused.</summary>
    public string? Postmaster { get; init; }

    /// <summary>Protocol errors (5xx replies to commands) one session may make (count); the one that reaches it gets 421 4.7.0 and the connection is closed.</summary>
    public int MaxErrors { get; init; } = 10;

    /// <summary>
    /// Certificate file for STARTTLS: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) or a PEM certificate
    /// (then <see cref="CertificateKeyPath"/> names the PEM key, unless the key is in the same file).
    /// Null: STARTTLS is not offered.
    /// </summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM private key for a PEM <see cref="CertificatePath"/>; null when the key is in the certificate file or it is PKCS#12.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key; null for none.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>How long a stopping server lets sessions finish (a submission in progress completes) before it cuts them off.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether STARTTLS is configured.</summary>
    public bool TlsEnabled => CertificatePath is not null;

    /// <summary>
    /// Reads an <c>actor-gateway.smtp</c> section. Missing keys keep their defaults.
    /// Throws <see cref="ConfigurationException"/> naming the key for an invalid value.
    /// </summary>
    /// <param name="section">The section itself (<c>config.GetConfig("actor-gateway.smtp")</c>); null or empty gives the defaults.</param>
    /// <param name="maxMessageBytes">The gateway's <c>actor-gateway.max-message-size</c>.</param>
    public static SmtpListenerOptions FromConfig(Config? section, long maxMessageBytes = DefaultMaxMessageBytes)
    {
        var d = new SmtpListenerOptions();
        if (section is null || section.IsEmpty) return (d with { MaxMessageBytes = maxMessageBytes }).Validated();

        IPEndPoint endPoint;
        try
        {
            endPoint = section.HasPath("listen") ? ParseEndPoint(section.GetString("listen")) : d.EndPoint;
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException($"actor-gateway.smtp.listen: {ex.Message}", ex);
        }

        static string? Optional(Config c, string key)
        {
            var value = c.HasPath(key) ? c.GetString(key) : null;
            return string.IsNullOrWhiteSpace(value) ? null : value;
        }

        var options = new SmtpListenerOptions
        {
            EndPoint = endPoint,
            HostName = Optional(section, "hostname") ?? d.HostName,
            MaxMessageBytes = maxMessageBytes,
            MaxRecipients = section.GetInt("max-recipients", d.MaxRecipients),
            MaxCommandLineLength = section.GetInt("max-line-length", d.MaxCommandLineLength),
            MaxDataLineLength = section.GetInt("max-data-line-length", d.MaxDataLineLength),
            CommandTimeout = section.GetTimeSpan("command-timeout", d.CommandTimeout),
            DataTimeout = section.GetTimeSpan("data-timeout", d.DataTimeout),
            MaxSessions = section.GetInt("max-sessions", d.MaxSessions),
            MaxErrors = section.GetInt("max-errors", d.MaxErrors),
            MaxSessionsPerAddress = section.HasPath("max-sessions-per-address") ? section.GetInt("max-sessions-per-address") : null,
            CommandDeadline = section.HasPath("command-deadline") ? section.GetTimeSpan("command-deadline") : null,
            DataDeadline = section.HasPath("data-deadline") ? section.GetTimeSpan("data-deadline") : null,
            Postmaster = Optional(section, "postmaster"),
            ShutdownTimeout = section.GetTimeSpan("shutdown-timeout", d.ShutdownTimeout),
            CertificatePath = Optional(section, "tls.certificate"),
            CertificateKeyPath = Optional(section, "tls.key"),
            CertificatePassword = Optional(section, "tls.password"),
        };
        return options.Validated();
    }

    /// <summary>Checks every limit; throws <see cref="ConfigurationException"/> naming the HOCON key.</summary>
    public SmtpListenerOptions Validated()
    {
        static void Require(bool ok, string what)
        {
            if (!ok) throw new ConfigurationException($"actor-gateway.smtp.{what}");
        }
        Require(IsValidHostName(HostName), $"hostname '{HostName}' must be a domain name (letters, digits, '-', '.')");
        Require(MaxMessageBytes > 0, "max-message-size must be positive");
        Require(MaxRecipients >= 1, "max-recipients must be at least 1");
        Require(MaxCommandLineLength >= 512, "max-line-length must be at least 512 (RFC 5321)");
        Require(MaxDataLineLength >= 1000, "max-data-line-length must be at least 1000 (RFC 5321)");
        Require(CommandTimeout > TimeSpan.Zero, "command-timeout must be positive");
        Require(DataTimeout > TimeSpan.Zero, "data-timeout must be positive");
        Require(MaxSessions >= 1, "max-sessions must be at least 1");
        Require(MaxErrors >= 1, "max-errors must be at least 1");
        Require(MaxSessionsPerAddress is null or >= 1, "max-sessions-per-address must be at least 1");
        Require(CommandDeadline is null || CommandDeadline > TimeSpan.Zero, "command-deadline must be positive");
        Require(DataDeadline is null || DataDeadline > TimeSpan.Zero, "data-deadline must be positive");
        Require(Postmaster is null || (SmtpMailbox.TryParse(Postmaster, allowUtf8: false) is { Domain.Length: > 0 }),
            $"postmaster '{Postmaster}' must be an address with a domain (local@domain)");
        Require(ShutdownTimeout >= TimeSpan.Zero, "shutdown-timeout must not be negative");
        Require(CertificateKeyPath is null || CertificatePath is not null, "tls.key needs tls.certificate");
        return this;
    }

    /// <summary>
    /// Parses <c>HOST:PORT</c>: an IPv4 address (<c>127.0.0.1:2525</c>), a bracketed IPv6 address
    /// (<c>[::1]:25</c>), <c>localhost</c> (IPv4 loopback) or <c>*</c> (all IPv4 addresses).
    /// Other host names are refused, so the listener never depends on DNS at start-up.
    /// </summary>
    /// <exception cref="FormatException">The text is not of that form, or the port is outside 0–65535.</exception>
    public static IPEndPoint ParseEndPoint(string text) => ActorGateway.Actors.Configuration.ListenAddress.Parse(text, examplePort: 25);

    private static bool IsValidHostName(string name) =>
        name.Length is > 0 and <= 255 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');
}
