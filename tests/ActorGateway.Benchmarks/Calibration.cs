using Microsoft.Data.Sqlite;

namespace ActorGateway.Benchmarks;

/// <summary>
/// The storage limit on this disk, in this run: raw Microsoft.Data.Sqlite inserts into a table shaped like
/// Akka.Persistence.Sql's <c>journal</c> (the DDL it creates on SQLite: same columns and indexes), WAL mode, <c>synchronous=FULL</c>,
/// ~512-byte payloads, committed in transactions of 100 rows (the headline) and of 1 row (for context).
/// </summary>
public static class Calibration
{
    public sealed record Outcome(IReadOnlyList<BenchResult> Results, double Batch100RowsPerS);

    private const int PayloadBytes = 512;

    /// <summary>Akka.Persistence.Sql's SQLite journal table, as it creates it (see <c>sqlite_master</c> of a gateway.db).</summary>
    private const string Schema = """
        CREATE TABLE [journal]
        (
          [ordering]        INTEGER        NOT NULL PRIMARY KEY AUTOINCREMENT,
          [created]         INTEGER        NOT NULL,
          [deleted]         Bit            NOT NULL,
          [persistence_id]  NVarChar(255)  NOT NULL,
          [sequence_number] INTEGER        NOT NULL,
          [message]         VarBinary      NOT NULL,
          [manifest]        NVarChar(500)      NULL,
          [identifier]      INTEGER            NULL,
          [writer_uuid]     NVarChar(128)      NULL
        );
        CREATE UNIQUE INDEX journal_uq ON journal (persistence_id, sequence_number);
        CREATE INDEX journal_created_idx ON journal (created);
        CREATE INDEX journal_sequence_number_idx ON journal (sequence_number);
        """;

    public static Task<Outcome> RunAsync(Options o)
    {
        var dir = TempDirs.Create("cal");
        try
        {
            var file = Path.Combine(dir, "calibration.db");
            using var c = new SqliteConnection($"Data Source={file};Pooling=False");
            c.Open();
            Exec(c, "PRAGMA journal_mode=WAL;");
            Exec(c, "PRAGMA synchronous=FULL;");
            Exec(c, Schema);
            var defaultSync = DefaultSynchronous(file);

            var batch100 = Insert(c, o.CalibrationRows, 100, "a");
            var single = Insert(c, Math.Max(500, o.CalibrationRows / 50), 1, "b");

            var r100 = new BenchResult("CAL", "raw SQLite, WAL, synchronous=FULL, 100 rows/commit",
                "Microsoft.Data.Sqlite inserts of journal-shaped rows (512-byte payload) on the temp disk; the denominator for B1's journal rows/s")
            {
                N = o.CalibrationRows, ElapsedS = batch100.Seconds, Rate = batch100.RowsPerS, RateUnit = "rows/s",
                Extra = $"{batch100.RowsPerS / 100:N0} commits/s; default synchronous of a fresh connection on a WAL file = {defaultSync}",
            };
            r100.Metrics["rows_per_s"] = Math.Round(batch100.RowsPerS, 1);
            r100.Metrics["rows_per_commit"] = 100;
            r100.Metrics["payload_bytes"] = PayloadBytes;
            r100.Metrics["journal_mode"] = "wal";
            r100.Metrics["synchronous"] = "FULL (2)";
            r100.Metrics["default_synchronous_of_journal_connections"] = defaultSync;

            var r1 = new BenchResult("CAL", "raw SQLite, WAL, synchronous=FULL, 1 row/commit", "as above, one commit per row")
            {
                N = single.Rows, ElapsedS = single.Seconds, Rate = single.RowsPerS, RateUnit = "rows/s",
            };
            r1.Metrics["rows_per_s"] = Math.Round(single.RowsPerS, 1);
            r1.Metrics["rows_per_commit"] = 1;
            return Task.FromResult(new Outcome([r100, r1], batch100.RowsPerS));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TempDirs.Delete(dir);
        }
    }

    private static (int Rows, double Seconds, double RowsPerS) Insert(SqliteConnection c, int rows, int perCommit, string prefix)
    {
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
            VALUES ($created, 0, $pid, $seq, $message, 'recipients-mapped.v1', 4107, $writer)
            """;
        var pid = cmd.Parameters.Add("$pid", SqliteType.Text);
        var seq = cmd.Parameters.Add("$seq", SqliteType.Integer);
        var created = cmd.Parameters.Add("$created", SqliteType.Integer);
        var message = cmd.Parameters.Add("$message", SqliteType.Blob);
        cmd.Parameters.AddWithValue("$writer", Guid.NewGuid().ToString());
        message.Value = payload;
        cmd.Prepare();

        var start = Clock.Now;
        for (var done = 0; done < rows;)
        {
            using var tx = c.BeginTransaction();
            cmd.Transaction = tx;
            for (var k = 0; k < perCommit && done < rows; k++, done++)
            {
                // Three events per message id, like a message actor's accepted, mapped, delivered.
                pid.Value = $"msg-{prefix}{done / 3:D10}";
                seq.Value = done % 3 + 1;
                created.Value = DateTime.UtcNow.Ticks;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
        var seconds = Clock.Seconds(start, Clock.Now);
        return (rows, seconds, rows / seconds);
    }

    private static string DefaultSynchronous(string file)
    {
        using var c = new SqliteConnection($"Data Source={file};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous;";
        var v = Convert.ToInt64(cmd.ExecuteScalar());
        return v switch { 0 => "OFF (0)", 1 => "NORMAL (1)", 2 => "FULL (2)", 3 => "EXTRA (3)", _ => v.ToString() };
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
