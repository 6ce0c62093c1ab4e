using ActorGateway.Admin;
using ActorGateway.Host.Hosting;
using ActorGateway.Smtp.Listener;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Host.Ingress;

/// <summary>
/// The ESMTP ingress of <c>gateway run</c>: starts the listener once the gateway node is up, so a
/// 250 is only ever given by a node that can journal the message, and stops it first on shutdown.
/// The admin API's /readyz asks it whether it is listening.
/// </summary>
public sealed class SmtpIngressService(GatewayNodeHolder holder, SmtpListenerOptions options, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable, IListenerCheck
{
    private SmtpServer? _server;
    private volatile bool _listening;

    public string Name => "smtp";

    public bool IsListening => _listening;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var node = await holder.Node.WaitAsync(cancellationToken);
        _server = await SmtpServer.StartAsync(options with { MaxMessageBytes = node.Settings.MaxMessageBytes }, new GatewaySmtpSink(node), loggerFactory, cancellationToken);
        _listening = true;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listening = false;
        if (_server is not null) await _server.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
