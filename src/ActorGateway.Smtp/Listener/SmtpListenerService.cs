using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Runs an <see cref="SmtpServer"/> as an <see cref="IHostedService"/>: bound at host start,
/// stopped (within the host's shutdown token) at host stop.
/// </summary>
/// <param name="sink">Created when the host starts, so it may depend on things started before it (the gateway node).</param>
public sealed class SmtpListenerService(SmtpListenerOptions options, Func<ISmtpMessageSink> sink, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    /// <summary>The running server, once started.</summary>
    public SmtpServer? Server { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken) =>
        Server = await SmtpServer.StartAsync(options, sink(), loggerFactory, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Server is { } server) await server.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is { } server) await server.DisposeAsync();
    }
}
