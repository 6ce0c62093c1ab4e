using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain;
using ActorGateway.Actors.Transport;
using ActorGateway.Admin;
using ActorGateway.Host.Ingress;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Relay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ActorGateway.Host.Hosting;

/// <summary>How much the console shows: the service logs at Information, batch commands only warnings, queries only errors.</summary>
public enum ConsoleVerbosity
{
    Service,
    Batch,
    Quiet,
}

/// <summary>
/// Builds the generic host every command runs in: Serilog (console on stderr, plus a rolling
/// compact-JSON file under {data-dir}/logs), Akka through Akka.Hosting with its logs bridged into
/// Serilog, and the gateway node. Optionally the pickup-directory watcher.
/// </summary>
public static class GatewayHost
{
    /// <param name="smtpListen">Where the ESMTP listener binds (<c>HOST:PORT</c>); null = no listener.</param>
    /// <param name="admin">The admin API's settings; null (or no listen address) = no admin API.</param>
    /// <param name="storage">Where the journal, snapshots and content live; null = SQLite under the data directory.</param>
    public static IHost Build(string dataDir, ConsoleVerbosity verbosity, bool startNode, bool watchPickup, Config? overrides = null, string? smtpListen = null, AdminOptions? admin = null,
        StorageChoice? storage = null, ClusterChoice? cluster = null)
    {
        var consoleLevel = verbosity switch
        {
            ConsoleVerbosity.Service => LogEventLevel.Information,
            ConsoleVerbosity.Batch => LogEventLevel.Warning,
            _ => LogEventLevel.Error,
        };
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            // The host's own "Hosting failed to start" (with a stack trace) stays out of the console: the CLI
            // reports a start-up failure as one line with its code. The log file keeps it.
            .WriteTo.Logger(console => console
                .Filter.ByExcluding(Serilog.Filters.Matching.FromSource("Microsoft.Extensions.Hosting.Internal.Host"))
                .WriteTo.Console(
                    restrictedToMinimumLevel: consoleLevel,
                    standardErrorFromLevel: LogEventLevel.Verbose,
                    outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}"))
            .WriteTo.File(
                new CompactJsonFormatter(),
                Path.Combine(dataDir, "logs", "gateway-.clef"),
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14,
                fileSizeLimitBytes: 100L * 1024 * 1024,
                rollOnFileSizeLimit: true)
            .CreateLogger();

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var config = GatewayConfig.For(dataDir, storage ?? StorageChoice.Sqlite, overrides, cluster);
        var holder = new GatewayNodeHolder();
        builder.Services.AddSingleton(holder);
        builder.Services.AddAkka("actor-gateway", (akka, services) =>
        {
            akka.AddHocon(config, HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            if (startNode)
            {
                akka.WithActors((system, _) =>
                {
                    try
                    {
                        var log = Logging.GetLogger(system, "gateway-config");
                        var transports = RelayTransport(system, config, dataDir, services.GetRequiredService<ILoggerFactory>());
                        holder.Set(GatewayNode.Start(system, new GatewayNodeOptions(Transports: transports),
                            report: (code, problem) => log.Warning("{Code} {Problem}", code, problem)));
                    }
                    catch (Exception ex)
                    {
                        holder.Fail(ex);
                        throw;
                    }
                });
            }
        });
        // The admin API starts before the ingresses, so /metrics counts from the first message.
        if (admin?.EndPoint is not null)
        {
            builder.Services.AddSingleton(admin);
            builder.Services.AddHostedService<AdminService>();
        }
        if (watchPickup) builder.Services.AddHostedService<PickupWatcher>();
        if (smtpListen is not null)
        {
            var smtp = SmtpListenerOptions.FromConfig(config.GetConfig("actor-gateway.smtp")) with { EndPoint = SmtpListenerOptions.ParseEndPoint(smtpListen) };
            builder.Services.AddSingleton(smtp.Validated());
            builder.Services.AddSingleton<SmtpIngressService>();
            builder.Services.AddSingleton<IListenerCheck>(sp => sp.GetRequiredService<SmtpIngressService>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SmtpIngressService>());
        }
        return builder.Build();
    }

    /// <summary>
    /// The SMTP relay transport, when <c>actor-gateway.smtp-relay.host</c> is set; routes then may say <c>transport = "smtp"</c>.
    /// Its sent markers live where the storage setting says: files under the data directory, or the shared PostgreSQL table.
    /// </summary>
    private static IReadOnlyList<IMessageTransport> RelayTransport(ActorSystem system, Config config, string dataDir, ILoggerFactory loggers)
    {
        if (string.IsNullOrWhiteSpace(config.GetString("actor-gateway.smtp-relay.host", ""))) return [];
        var options = SmtpRelayOptions.FromConfig(config.GetConfig("actor-gateway.smtp-relay"));
        IRelaySentStore markers;
        if (GatewayConfig.StorageOf(config) == StorageKind.Postgres)
        {
            var postgres = PostgresSettings.From(config);
            var store = new PostgresRelaySentStore(postgres.ConnectionString, postgres.RelaySentTable);
            system.RegisterOnTermination(store.Dispose);
            markers = store;
        }
        else
        {
            markers = new RelaySentMarkers(dataDir);
        }
        return [new SmtpRelayTransport(options, markers, loggers.CreateLogger<SmtpRelayTransport>())];
    }

    public static ActorSystem System(this IHost host) => host.Services.GetRequiredService<ActorSystem>();

    public static Task<GatewayNode> NodeAsync(this IHost host) => host.Services.GetRequiredService<GatewayNodeHolder>().Node;
}
