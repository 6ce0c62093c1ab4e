using Akka.Actor;
using Akka.Event;
using ActorGateway.Actors.Configuration;
using ActorGateway.Domain;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>route-reloader</c>: polls the routes' directory files and, when one changes, rebuilds the
/// route table and swaps it into <see cref="RouteTableSource"/>, so new directory entries apply
/// without a restart (to messages mapped from then on). A file that cannot be loaded keeps the
/// previous table in force. <see cref="ReloadNow"/> (admin API, before a dry run or replay) checks
/// at once and answers, so an operator's directory edit applies without waiting for the interval.
/// </summary>
public sealed class RouteReloaderActor : ReceiveActor, IWithTimers
{
    public const string Name = "route-reloader";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Configuration.Config _config;
    private readonly string _dataDir;
    private readonly RouteTableSource _routes;
    private readonly TimeSpan _interval;
    private IReadOnlyDictionary<string, (DateTime, long)> _seen;

    /// <param name="loadedFrom">The files' state when <paramref name="routes"/> was loaded (<see cref="Snapshot"/>, taken before loading), so no change in between is missed.</param>
    public RouteReloaderActor(Akka.Configuration.Config config, string dataDir, RouteTableSource routes, TimeSpan interval, IReadOnlyDictionary<string, (DateTime, long)> loadedFrom)
    {
        _config = config;
        _dataDir = dataDir;
        _routes = routes;
        _interval = interval;
        _seen = loadedFrom;
        Receive<Check>(_ => CheckFiles());
        Receive<ReloadNow>(_ =>
        {
            var error = CheckFiles();
            Sender.Tell(new Reloaded(_routes.Current.Routes.Count, error));
        });
    }

    /// <summary>Anyone → route-reloader: check the directory files now (reloading when one changed) and answer <see cref="Reloaded"/>.</summary>
    public sealed record ReloadNow
    {
        public static readonly ReloadNow Instance = new();
    }

    /// <summary>Route-reloader → asker: the table in force now; <paramref name="Error"/> is set when a changed file could not be loaded (the previous table stays).</summary>
    public sealed record Reloaded(int Routes, string? Error);

    /// <summary>Asks the node's route-reloader to check now; returns once the route table in force reflects the files.</summary>
    public static Task<Reloaded> ReloadNowAsync(ActorSystem system, TimeSpan timeout, CancellationToken ct = default) =>
        system.ActorSelection("/user/" + Name).Ask<Reloaded>(ReloadNow.Instance, timeout, ct);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Akka.Configuration.Config config, string dataDir, RouteTableSource routes, TimeSpan interval, IReadOnlyDictionary<string, (DateTime, long)> loadedFrom) =>
        Akka.Actor.Props.Create(() => new RouteReloaderActor(config, dataDir, routes, interval, loadedFrom));

    protected override void PreStart()
    {
        _log.Debug("Watching directory files {Files} every {Interval}", string.Join(", ", _seen.Keys), _interval);
        Timers.StartPeriodicTimer("check", Check.Instance, _interval);
    }

    /// <returns>Null, or why a changed file could not be loaded.</returns>
    private string? CheckFiles()
    {
        var now = Snapshot(_config, _dataDir);
        if (now.Count == _seen.Count && now.All(kv => _seen.TryGetValue(kv.Key, out var v) && v == kv.Value)) return null;
        _seen = now;
        try
        {
            var problems = new List<string>();
            var table = RouteConfig.Load(_config, _dataDir, (code, text) => problems.Add($"{code} {text}"));
            _routes.Replace(table);
            _log.Info("{Code} Route table reloaded: {Routes} route(s); directory files {Files}", ReasonCodes.RoutesReloaded, table.Routes.Count, string.Join(", ", now.Keys));
            foreach (var p in problems) _log.Warning("{Problem}", p);
            return null;
        }
        catch (Exception ex)
        {
            _log.Warning("{Code} Route table not reloaded, the previous one stays in force: {Error}", ReasonCodes.RoutesReloadFailed, ex.Message);
            return ex.Message;
        }
    }

    /// <summary>Last-write time and length of every directory file the routes name (missing: MinValue, -1).</summary>
    public static IReadOnlyDictionary<string, (DateTime, long)> Snapshot(Akka.Configuration.Config config, string dataDir)
    {
        var files = new Dictionary<string, (DateTime, long)>();
        foreach (var file in RouteConfig.DirectoryFiles(config, dataDir))
        {
            var info = new FileInfo(file);
            files[file] = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        return files;
    }

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }
}
