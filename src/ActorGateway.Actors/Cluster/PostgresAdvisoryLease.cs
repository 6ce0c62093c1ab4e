using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Npgsql;

namespace ActorGateway.Actors.Cluster;

/// <summary>
/// An Akka.Coordination lease held as a PostgreSQL session-level advisory lock, on the database the cluster already shares.
/// Cluster Sharding takes one per shard before it starts the shard's partition (<c>akka.cluster.sharding.use-lease</c>), and
/// the singleton managers one per singleton (<c>akka.cluster.singleton.use-lease</c>). So a partition runs on at most one
/// node at a time, whatever the membership or the shard coordinator believe for a moment (a coordinator that lost its state,
/// a hand-off whose last writes are still on their way, a node that is slow but not dead): two writers of one registry would
/// corrupt its journal.
/// <list type="bullet">
/// <item>Acquire: a connection of its own (no pooling: closing it must end the session), <c>pg_try_advisory_lock</c> on a
/// 64-bit key hashed from the lease name. False when another session holds it: the shard tries again after
/// <c>lease-retry-interval</c>, and messages for it wait in the shard region.</item>
/// <item>Held: the session is the lease. A process that dies (kill -9, a crash) closes its socket and PostgreSQL ends the
/// session and the lock at once; a machine or network that vanishes is noticed by the server's TCP keep-alives, which this
/// session sets to <c>server-keepalive</c> (idle + 3 probes).</item>
/// <item>Lost: the holder checks its session every <c>heartbeat-interval</c>; when a check fails or takes longer than
/// <c>heartbeat-timeout</c> / 2, the lease is lost, the callback runs (the shard stops its partition at once) and the session
/// is closed. This happens well before the server's keep-alive would hand the lock to another node.</item>
/// <item>Island: a lease held, for longer than <c>island-timeout</c>, by a node that is not a member of this node's cluster
/// means that there are two clusters on one database (a first seed that restarted while no other seed answered formed a
/// cluster of its own). The side without the leases can do nothing, so it leaves (<c>GW-CLUSTER-ISLAND</c>): its process
/// ends, its supervisor starts it again, and it joins the cluster through its seeds.</item>
/// </list>
/// Settings (the lease's config block, <c>actor-gateway.cluster.lease</c> in hocon/cluster.conf): <c>lease-class</c>,
/// <c>heartbeat-interval</c>, <c>heartbeat-timeout</c>, <c>lease-operation-timeout</c>, <c>server-keepalive</c>,
/// <c>island-timeout</c>, and <c>connection-string</c> (empty: <c>actor-gateway.postgres.connection-string</c>).
/// </summary>
public sealed class PostgresAdvisoryLease : Lease
{
    /// <summary>Keys of this product's advisory locks are FNV-1a of this prefix plus the lease name.</summary>
    private const string KeyNamespace = "actor-gateway-lease:";

    /// <summary>The application_name of a lease's session: this prefix and the holder's cluster address (HOST:PORT).</summary>
    public const string SessionNamePrefix = "actor-gateway lease ";

    /// <summary>Refusals further apart than this are not one continued sighting of a foreign holder.</summary>
    private static readonly TimeSpan MaxSightingGap = TimeSpan.FromSeconds(10);

    /// <summary>The systems that found themselves on an island and started to leave (one line, one shutdown each).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ExtendedActorSystem, object> LeavingIsland = new();

    private readonly ILoggingAdapter _log;
    private readonly string _connectionString;
    private readonly long _key;
    private readonly TimeSpan _heartbeatInterval;
    private readonly TimeSpan _checkTimeout;
    private readonly TimeSpan _keepAlive;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ExtendedActorSystem _system;
    private readonly TimeSpan _islandTimeout;
    private (string Holder, DateTime Since, DateTime Last)? _foreignHolder;

    private NpgsqlConnection? _session;
    private Timer? _heartbeat;
    private Action<Exception>? _lostCallback;
    private volatile bool _held;

    public PostgresAdvisoryLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _log = Logging.GetLogger(system, typeof(PostgresAdvisoryLease));
        var config = settings.LeaseConfig;
        var own = config.GetString("connection-string", "");
        var connectionString = string.IsNullOrWhiteSpace(own) ? system.Settings.Config.GetString("actor-gateway.postgres.connection-string", "") : own;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException(
                $"lease {settings.LeaseName}: no PostgreSQL connection string (the lease's connection-string, or actor-gateway.postgres.connection-string)");
        }
        _heartbeatInterval = settings.TimeoutSettings.HeartbeatInterval;
        _checkTimeout = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, settings.TimeoutSettings.HeartbeatTimeout.Ticks / 2));
        _keepAlive = config.GetTimeSpan("server-keepalive", TimeSpan.FromSeconds(5));
        _islandTimeout = config.GetTimeSpan("island-timeout", TimeSpan.FromSeconds(30));
        _system = system;
        // A system that stops without releasing (a singleton manager stopped while oldest, a plain Terminate) must not keep
        // the lock for the rest of the process's life: the next system in the same process could never take it.
        system.RegisterOnTermination(() => _ = Release());
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The session is the lock: a pooled connection would outlive Close() and keep it.
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(settings.TimeoutSettings.OperationTimeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(_checkTimeout.TotalSeconds)),
            ApplicationName = SessionNamePrefix + settings.OwnerName,
        }.ConnectionString;
        _key = KeyFor(settings.LeaseName);
    }

    /// <summary>The advisory-lock key of a lease name (stable across processes and versions: FNV-1a, 64 bits).</summary>
    public static long KeyFor(string leaseName)
    {
        unchecked
        {
            var hash = 14695981039346656037UL;
            foreach (var b in System.Text.Encoding.UTF8.GetBytes(KeyNamespace + leaseName))
            {
                hash ^= b;
                hash *= 1099511628211UL;
            }
            return (long)hash;
        }
    }

    public override Task<bool> Acquire() => Acquire(null);

    public override async Task<bool> Acquire(Action<Exception>? leaseLostCallback)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_held) return true;
            var session = new NpgsqlConnection(_connectionString);
            try
            {
                await session.OpenAsync().ConfigureAwait(false);
                await using (var keepAlive = session.CreateCommand())
                {
                    // The server ends the session (and frees the lock) when this node's machine or network is gone.
                    var idle = Math.Max(1, (int)_keepAlive.TotalSeconds);
                    keepAlive.CommandText =
                        $"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {Math.Max(1, idle / 2)}; SET tcp_keepalives_count = 3";
                    await keepAlive.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
                await using var command = session.CreateCommand();
                command.CommandText = "SELECT pg_try_advisory_lock(@key)";
                command.Parameters.AddWithValue("key", _key);
                var acquired = (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
                if (!acquired)
                {
                    await CheckIslandAsync(session).ConfigureAwait(false);
                    await session.DisposeAsync().ConfigureAwait(false);
                    return false;
                }
            }
            catch
            {
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            _foreignHolder = null;
            _session = session;
            _lostCallback = leaseLostCallback;
            _held = true;
            _heartbeat = new Timer(_ => _ = CheckSessionAsync(), null, _heartbeatInterval, _heartbeatInterval);
            _log.Debug("lease {0} acquired by {1} (advisory lock {2})", Settings.LeaseName, Settings.OwnerName, _key);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task<bool> Release()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _foreignHolder = null;
            if (_session is null) return true;
            var session = _session;
            StopHolding();
            try
            {
                await using var command = session.CreateCommand();
                command.CommandText = "SELECT pg_advisory_unlock(@key)";
                command.Parameters.AddWithValue("key", _key);
                await command.ExecuteScalarAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // Closing the session below ends the lock as well; the unlock only makes it prompt.
            }
            await session.DisposeAsync().ConfigureAwait(false);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public override bool CheckLease() => _held;

    /// <summary>
    /// After a refused acquire: who holds the lock? A holder that is not a member of this node's cluster for longer than
    /// island-timeout means two clusters share the database, and this side (without the lease) leaves.
    /// </summary>
    private async Task CheckIslandAsync(NpgsqlConnection session)
    {
        if (_islandTimeout <= TimeSpan.Zero || _system.Provider is not Akka.Cluster.ClusterActorRefProvider) return;
        string? holder;
        await using (var command = session.CreateCommand())
        {
            // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
            // Advisory locks are per database: another deployment on the same server holds the same keys in its own.
            command.CommandText = """
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = @hi AND l.objid::bigint = @lo
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                LIMIT 1
                """;
            command.Parameters.AddWithValue("hi", (long)((ulong)_key >> 32));
            command.Parameters.AddWithValue("lo", (long)((ulong)_key & 0xFFFFFFFF));
            holder = await command.ExecuteScalarAsync().ConfigureAwait(false) as string;
        }
        // Not ours, or cut short (application_name holds 63 bytes): nothing to conclude.
        if (holder is null || !holder.StartsWith(SessionNamePrefix, StringComparison.Ordinal) || holder.Length >= 63)
        {
            _foreignHolder = null;
            return;
        }
        var address = holder[SessionNamePrefix.Length..];
        var cluster = Akka.Cluster.Cluster.Get(_system);
        if (cluster.State.Members.Any(m => m.Address.HostPort() == address) || cluster.SelfAddress.HostPort() == address)
        {
            _foreignHolder = null;
            return;
        }
        var now = DateTime.UtcNow;
        // Only refusals in a row count (a shard tries every lease-retry-interval): a refusal long after the last one starts over.
        if (_foreignHolder is not { } seen || seen.Holder != address || now - seen.Last > MaxSightingGap) seen = (address, now, now);
        _foreignHolder = seen = seen with { Last = now };
        if (now - seen.Since < _islandTimeout || !LeavingIsland.TryAdd(_system, new object())) return;
        _log.Error("{0} lease {1} has been held for {2:0} s by {3}, which is not a member of this node's cluster: two clusters share " +
                   "this database (a first seed that started while no other seed answered formed its own). This node cannot run " +
                   "partitions or singletons here, so it leaves; started again by its supervisor, it joins through its seeds",
            Domain.ReasonCodes.ClusterIsland, Settings.LeaseName, (now - seen.Since).TotalSeconds, address);
        _ = CoordinatedShutdown.Get(_system).Run(IslandReason.Instance);
    }

    /// <summary>Why a node on an island shut itself down.</summary>
    public sealed class IslandReason : CoordinatedShutdown.Reason
    {
        public static readonly IslandReason Instance = new();

        private IslandReason()
        {
        }

        /// <summary>Not 0: the node did not stop on request (<c>gateway run</c> exits 11 for it).</summary>
        public override int ExitCode => 11;

        public override string ToString() => Domain.ReasonCodes.ClusterIsland;
    }

    private async Task CheckSessionAsync()
    {
        if (!await _gate.WaitAsync(0).ConfigureAwait(false)) return; // an acquire or release is under way
        NpgsqlConnection? lost = null;
        Exception? reason = null;
        Action<Exception>? callback = null;
        try
        {
            if (_session is null || !_held) return;
            // The verdict is on this timer, not the driver's: a cancel over a dead network can take as long again, and the
            // holder must know it has lost the lease before the server's keep-alive hands the lock to another node.
            var check = PingAsync(_session);
            var finished = await Task.WhenAny(check, Task.Delay(_checkTimeout)).ConfigureAwait(false);
            if (finished == check && check.Exception is null) return;
            var why = finished == check ? check.Exception!.GetBaseException().Message : $"no answer within {_checkTimeout.TotalSeconds:0.#} s";
            reason = new LeaseException($"lease {Settings.LeaseName}: its PostgreSQL session failed a check ({why}); it is lost", check.Exception?.GetBaseException());
            lost = _session;
            callback = _lostCallback;
            StopHolding();
            _ = check.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed, whenever it ends
        }
        finally
        {
            _gate.Release();
        }
        _log.Warning("{0} {1}", Domain.ReasonCodes.PartitionLeaseLost, reason!.Message);
        callback?.Invoke(reason);
        // Closing a broken session may itself wait on the network: in the background, after the shard has been told.
        _ = Task.Run(async () =>
        {
            try
            {
                await lost.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                // The session is already broken.
            }
        });
    }

    private static async Task PingAsync(NpgsqlConnection session)
    {
        await using var command = session.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync().ConfigureAwait(false);
    }

    private void StopHolding()
    {
        _held = false;
        _session = null;
        _lostCallback = null;
        _heartbeat?.Dispose();
        _heartbeat = null;
    }
}
