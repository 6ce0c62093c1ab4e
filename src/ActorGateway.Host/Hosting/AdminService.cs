using Akka.Actor;
using ActorGateway.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Host.Hosting;

/// <summary>
/// The admin HTTP API of <c>gateway run</c>: its own Kestrel, started once the gateway node is up and
/// stopped (with any bulk replay job) before the node. It logs <c>GW-ADMIN-LISTENING</c> with the bound address.
/// </summary>
public sealed class AdminService(GatewayNodeHolder holder, IServiceProvider services, AdminOptions options, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private AdminServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var node = await holder.Node.WaitAsync(cancellationToken);
        // Listeners are resolved lazily: the SMTP service is registered after this one.
        var listeners = new LazyListeners(services);
        _server = await AdminServer.StartAsync(services.GetRequiredService<ActorSystem>(), node, options, listeners, loggers, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null) await _server.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private sealed class LazyListeners(IServiceProvider services) : IReadOnlyList<IListenerCheck>
    {
        private IReadOnlyList<IListenerCheck> All => services.GetServices<IListenerCheck>().ToList();
        public IListenerCheck this[int index] => All[index];
        public int Count => All.Count;
        public IEnumerator<IListenerCheck> GetEnumerator() => All.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
