using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// The inbound ESMTP listener: a slim Kestrel host whose one endpoint runs
/// <see cref="SmtpConnectionHandler"/>. Start it with <see cref="StartAsync"/>; it serves until
/// <see cref="StopAsync"/> or <see cref="DisposeAsync"/>. Messages go to the given
/// <see cref="ISmtpMessageSink"/>, and only the sink's acceptance earns a 250.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SmtpListenerState _state;
    private int _stopped;

    private SmtpServer(WebApplication app, SmtpListenerState state, IPEndPoint endPoint)
    {
        _app = app;
        _state = state;
        EndPoint = endPoint;
    }

    /// <summary>The address and port actually bound (the real port when the options said 0).</summary>
    public IPEndPoint EndPoint { get; }

    public SmtpListenerOptions Options => _state.Options;

    /// <summary>Sessions in progress.</summary>
    public int ActiveSessions => _state.ActiveSessions;

    /// <summary>Binds the endpoint and starts accepting connections.</summary>
    /// <exception cref="IOException">The endpoint cannot be bound (address in use, …).</exception>
    /// <exception cref="CryptographicException">The STARTTLS certificate cannot be loaded.</exception>
    public static async Task<SmtpServer> StartAsync(SmtpListenerOptions options, ISmtpMessageSink sink, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validated();
        var logger = loggerFactory.CreateLogger<SmtpServer>();
        var state = new SmtpListenerState(options, sink, logger, LoadCertificate(options));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SmtpServer).Assembly.GetName().Name });
        builder.Services.AddSingleton<ILoggerFactory>(new HostLoggerFactory(loggerFactory));
        // Not the console lifetime: the process's own host owns Ctrl+C and SIGTERM.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<SmtpConnectionHandler>();
        builder.WebHost.UseKestrelCore();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.EndPoint, l =>
            {
                listen = l;
                l.UseConnectionHandler<SmtpConnectionHandler>();
            });
        });

        var app = builder.Build();
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            state.Dispose();
            throw;
        }

        var bound = listen?.IPEndPoint ?? options.EndPoint;
        logger.LogInformation("{Code} SMTP listener on {EndPoint}, STARTTLS {Tls}, max {MaxSessions} sessions, max message {MaxMessageBytes} bytes",
            SmtpLogCodes.Listening, bound.ToString(), options.TlsEnabled ? "on" : "off", options.MaxSessions, options.MaxMessageBytes);
        return new SmtpServer(app, state, bound);
    }

    /// <summary>
    /// Stops accepting connections and ends sessions: idle ones get 421 4.3.2, one that is submitting
    /// finishes first. After <see cref="SmtpListenerOptions.ShutdownTimeout"/> (or when
    /// <paramref name="ct"/> is cancelled) the rest are cut off. Safe to call more than once.
    /// </summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _state.BeginStop();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(ct);
        grace.CancelAfter(_state.Options.ShutdownTimeout);
        await using (grace.Token.Register(_state.Abort))
        {
            try
            {
                await _app.StopAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                // Kestrel aborted the sessions that did not finish in time.
            }
        }
        _state.Abort();
        _state.Logger.LogInformation("{Code} SMTP listener on {EndPoint} stopped", SmtpLogCodes.Stopped, EndPoint.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _state.Dispose();
    }

    private static X509Certificate2? LoadCertificate(SmtpListenerOptions options)
    {
        if (options.CertificatePath is not { } path) return null;
        var extension = Path.GetExtension(path);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }
        using var pem = options.CertificatePassword is { } password
            ? X509Certificate2.CreateFromEncryptedPemFile(path, password, options.CertificateKeyPath)
            : X509Certificate2.CreateFromPemFile(path, options.CertificateKeyPath);
        // A PEM key is ephemeral; a PKCS#12 round trip gives a certificate SslStream can use everywhere.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A lifetime that neither waits for nor handles console signals.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// The caller's logger factory, minus the generic host's start/stop chatter ("Now listening on:
    /// http://…", which would be wrong here). The caller owns the factory: disposing this does nothing.
    /// </summary>
    private sealed class HostLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.Hosting.", StringComparison.Ordinal) || categoryName.StartsWith("Microsoft.AspNetCore.Hosting.", StringComparison.Ordinal)
                ? NullLogger.Instance
                : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
        }
    }
}
