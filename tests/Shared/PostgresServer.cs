using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ActorGateway.Testing;

/// <summary>
/// The PostgreSQL that tests run against, one per test process, and a fresh database for each test
/// (<see cref="CreateDatabase"/>), so tests are isolated from each other.
/// <list type="bullet">
/// <item><c>GATEWAY_TEST_POSTGRES</c> set (an Npgsql connection string to a server where the role may create databases,
/// as <c>.ci/run</c> exports): that server.</item>
/// <item>Otherwise, when <c>initdb</c> and <c>pg_ctl</c> are found (<c>/usr/lib/postgresql/*/bin</c>, or on PATH): a
/// throw-away server, initdb'd in a temp directory (owned by the <c>postgres</c> user when running as root, since
/// PostgreSQL refuses to run as root), listening on 127.0.0.1 on a free port with trust authentication. It is stopped
/// (<c>pg_ctl stop -m immediate</c>) and its directory deleted when the process exits; a small watchdog does the same
/// should the test process be killed (a hang time-out, kill -9).</item>
/// <item>Otherwise the reason goes to <see cref="ExternalDependency.Require"/>: skipped outside CI, failed under CI=true.</item>
/// </list>
/// </summary>
internal sealed class PostgresServer
{
    public const string EnvironmentVariable = "GATEWAY_TEST_POSTGRES";
    public const string Dependency = "PostgreSQL (apt-get install postgresql)";

    private static readonly Lazy<(PostgresServer? Server, string? Missing)> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _adminConnectionString;
    private readonly Throwaway? _throwaway;

    private PostgresServer(string adminConnectionString, Throwaway? throwaway)
    {
        _adminConnectionString = adminConnectionString;
        _throwaway = throwaway;
    }

    /// <summary>The shared server (started on first use), or a skip (a failure under CI) with the reason it is missing.</summary>
    public static PostgresServer Require()
    {
        var (server, missing) = Shared.Value;
        ExternalDependency.Require(Dependency, missing);
        return server!;
    }

    /// <summary>A new, empty database on the shared server; dropped when disposed.</summary>
    public static TestDatabase CreateDatabase() => Require().NewDatabase();

    /// <summary>The server's address (for tests that need a port nothing listens on, or a wrong password).</summary>
    public NpgsqlConnectionStringBuilder Admin => new(_adminConnectionString);

    /// <summary>Whether this is the throw-away server this process started (true) or one given by GATEWAY_TEST_POSTGRES.</summary>
    public bool IsThrowaway => _throwaway is not null;

    public TestDatabase NewDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            command.ExecuteNonQuery();
        }
        var builder = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name };
        return new TestDatabase(this, name, builder.ConnectionString);
    }

    internal void Drop(string name, string connectionString)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        try
        {
            using var connection = new NpgsqlConnection(_adminConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            // FORCE ends sessions still open on it (pooled connections of the code under test).
            command.CommandText = $"DROP DATABASE IF EXISTS {name} WITH (FORCE)";
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // Best effort: a throw-away server is deleted whole anyway, and a left-over t_ database harms no other test.
        }
    }

    private static (PostgresServer?, string?) Start()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            try
            {
                using var connection = new NpgsqlConnection(given);
                connection.Open();
                return (new PostgresServer(given, null), null);
            }
            catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException)
            {
                return (null, $"${EnvironmentVariable} is set, but that server cannot be used: {ex.Message}");
            }
        }
        var bin = FindBinaries();
        if (bin is null) return (null, $"${EnvironmentVariable} is not set, and no initdb/pg_ctl was found in /usr/lib/postgresql/*/bin or on PATH");
        try
        {
            var throwaway = Throwaway.Start(bin);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => throwaway.Stop();
            return (new PostgresServer(throwaway.ConnectionString, throwaway), null);
        }
        catch (Exception ex)
        {
            return (null, $"could not start a throw-away PostgreSQL from {bin}: {ex.Message}");
        }
    }

    private static string? FindBinaries()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(Has)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(Has);
    }

    /// <summary>A server this process started: initdb, pg_ctl start, and the stop that undoes both.</summary>
    private sealed class Throwaway
    {
        private readonly string _bin;
        private readonly string _root;
        private readonly bool _asPostgresUser;
        private Process? _watchdog;
        private int _stopped;

        private Throwaway(string bin, string root, bool asPostgresUser, int port)
        {
            _bin = bin;
            _root = root;
            _asPostgresUser = asPostgresUser;
            _port = port;
        }

        private readonly int _port;

        public string ConnectionString => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = _port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 15,
        }.ConnectionString;

        private string DataDir => Path.Combine(_root, "data");

        public static Throwaway Start(string bin)
        {
            var root = Path.Combine(Path.GetTempPath(), "agw-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(root);
            // PostgreSQL refuses to run as root: as root, the server runs as the postgres user, in a directory it owns.
            var asPostgres = Environment.UserName == "root";
            try
            {
                if (asPostgres) Run("chown", ["postgres:postgres", root]);
                var probe = new Throwaway(bin, root, asPostgres, 0);
                probe.RunPostgresTool("initdb", ["-D", probe.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
                Exception? last = null;
                // A free port is picked by binding port 0 and releasing it; another process may take it in between, so try again.
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var port = FreePort();
                    var server = new Throwaway(bin, root, asPostgres, port);
                    try
                    {
                        // fsync off: a test server's durability across a machine crash is not under test, and it is much faster.
                        server.RunPostgresTool("pg_ctl", ["-D", server.DataDir, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                            "-o", $"-k {root} -h 127.0.0.1 -p {port} -c fsync=off -c max_connections=300", "start"]);
                        server.StartWatchdog();
                        return server;
                    }
                    catch (InvalidOperationException ex)
                    {
                        last = ex;
                    }
                }
                throw last!;
            }
            catch
            {
                TryDelete(root);
                throw;
            }
        }

        /// <summary>Stops the server at once (no checkpoint: it is thrown away) and deletes its directory. Idempotent.</summary>
        public void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            try
            {
                RunPostgresTool("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "-t", "30", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Not running (it failed, or someone stopped it): nothing to stop.
            }
            try
            {
                if (_watchdog is { HasExited: false } watchdog) watchdog.Kill();
                _watchdog?.Dispose();
            }
            catch (InvalidOperationException)
            {
            }
            TryDelete(_root);
        }

        /// <summary>
        /// A shell that waits for this process to end, then stops the server and deletes its directory: ProcessExit does
        /// not run when the test host is killed (a hang time-out), and a server must not outlive its tests.
        /// </summary>
        private void StartWatchdog()
        {
            var stop = _asPostgresUser
                ? $"runuser -u postgres -- '{_bin}/pg_ctl' -D '{DataDir}' -m immediate stop"
                : $"'{_bin}/pg_ctl' -D '{DataDir}' -m immediate stop";
            var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId}; do sleep 1; done; {stop}; rm -rf '{_root}'";
            var info = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            _watchdog = Process.Start(info);
        }

        private void RunPostgresTool(string tool, IReadOnlyList<string> args)
        {
            var path = Path.Combine(_bin, tool);
            if (_asPostgresUser) Run("runuser", ["-u", "postgres", "--", path, .. args]);
            else Run(path, args);
        }

        private static void Run(string file, IReadOnlyList<string> args)
        {
            var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within 120 s");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
            }
        }

        private static int FreePort()
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        private static void TryDelete(string dir)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}

/// <summary>A database of its own for one test; dropped on dispose.</summary>
internal sealed class TestDatabase(PostgresServer server, string name, string connectionString) : IDisposable
{
    public string Name { get; } = name;

    /// <summary>Npgsql connection string to this database (as the server's admin role).</summary>
    public string ConnectionString { get; } = connectionString;

    public PostgresServer Server { get; } = server;

    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs one statement and returns its first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose() => Server.Drop(Name, ConnectionString);
}
