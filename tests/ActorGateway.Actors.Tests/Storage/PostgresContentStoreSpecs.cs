using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Testing;

namespace ActorGateway.Actors.Tests.Storage;

/// <summary>The shared content store: one batching writer over a PostgreSQL table, one commit for many messages, readable from every node.</summary>
public sealed class PostgresContentStoreSpecs : IDisposable
{
    private const string Table = "gateway_content";
    private readonly List<IDisposable> _cleanup = [];

    private TestDatabase Database()
    {
        var db = PostgresServer.CreateDatabase();
        _cleanup.Add(db);
        return db;
    }

    private PostgresContentStore Open(TestDatabase db, int maxBatchMessages = 256)
    {
        var store = new PostgresContentStore(db.ConnectionString, Table, maxBatchMessages, maxBatchBytes: 8 << 20);
        _cleanup.Insert(0, store);
        return store;
    }

    [SkippableFact]
    public async Task Should_create_its_table_and_store_read_and_delete_content()
    {
        var db = Database();
        var store = Open(db);
        Assert.Equal(Table, db.Scalar($"SELECT to_regclass('{Table}')::text"));
        var id = MessageId.New();

        await store.WriteAsync(id, TestMessages.Build(1));

        Assert.True(store.Exists(id));
        Assert.Equal(TestMessages.Build(1), await store.ReadAsync(id));
        Assert.Equal(1L, db.Scalar($"SELECT count(*) FROM {Table}"));
        await store.WriteAsync(id, TestMessages.Build(2));
        Assert.Equal(TestMessages.Build(2), await store.ReadAsync(id));

        store.Delete(id);
        Assert.False(store.Exists(id), "a delete that was asked for hides the bytes at once");
        var missing = await Assert.ThrowsAsync<PermanentMessageException>(() => store.ReadAsync(id));
        Assert.Equal(ReasonCodes.ContentMissing, missing.ReasonCode);
        await Eventually.AssertAsync(() => Assert.Equal(0L, db.Scalar($"SELECT count(*) FROM {Table}")));
    }

    [SkippableFact]
    public async Task Should_commit_what_queued_behind_a_running_commit_as_one_batch()
    {
        var db = Database();
        var store = Open(db);
        var gate = new ManualResetEventSlim();
        var batches = new List<int>();
        store.BeforeCommit = size =>
        {
            lock (batches) batches.Add(size);
            gate.Wait(TimeSpan.FromSeconds(10));
        };

        var first = store.WriteAsync(MessageId.New(), TestMessages.Build(0));
        await AwaitCount(() => { lock (batches) return batches.Count; }, 1);
        var ids = Enumerable.Range(1, 50).Select(_ => MessageId.New()).ToList();
        var rest = ids.Select((id, i) => store.WriteAsync(id, TestMessages.Build(i + 1))).ToList();
        await Task.Delay(200);
        Assert.False(first.IsCompleted, "a write completes only once its batch committed");
        Assert.All(rest, write => Assert.False(write.IsCompleted));
        Assert.Equal(0L, db.Scalar($"SELECT count(*) FROM {Table}"));
        gate.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(TimeSpan.FromSeconds(20));

        lock (batches) Assert.Equal([1, 50], batches);
        Assert.Equal(51L, db.Scalar($"SELECT count(*) FROM {Table}"));
        Assert.Equal(TestMessages.Build(7), await store.ReadAsync(ids[6]));
    }

    [SkippableFact]
    public async Task Should_commit_many_concurrent_writes_in_few_batches()
    {
        var db = Database();
        var store = Open(db, maxBatchMessages: 64);
        var batches = 0;
        store.BeforeCommit = _ => Interlocked.Increment(ref batches);
        var ids = Enumerable.Range(0, 500).Select(_ => MessageId.New()).ToList();

        await Task.WhenAll(ids.Select((id, i) => Task.Run(() => store.WriteAsync(id, TestMessages.Build(i))))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(500L, db.Scalar($"SELECT count(*) FROM {Table}"));
        Assert.InRange(Volatile.Read(ref batches), 8, 499);
        Assert.Equal(TestMessages.Build(123), await store.ReadAsync(ids[123]));
    }

    [SkippableFact]
    public async Task Should_fail_every_write_of_a_batch_whose_connection_is_lost_and_store_none_of_them()
    {
        var db = Database();
        var store = Open(db);
        var gate = new ManualResetEventSlim();
        var batches = 0;
        store.BeforeCommit = _ =>
        {
            var n = Interlocked.Increment(ref batches);
            if (n == 1) gate.Wait(TimeSpan.FromSeconds(10));
            // The second batch's statements ran; its connection is killed before COMMIT, as a server restart or a network cut would.
            if (n == 2)
            {
                Assert.Equal(true, db.Scalar(
                    "SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'actor-gateway content writer'"));
            }
        };
        var ok = MessageId.New();
        var first = store.WriteAsync(ok, TestMessages.Build(0));
        await AwaitCount(() => Volatile.Read(ref batches), 1);
        var failedIds = Enumerable.Range(1, 10).Select(_ => MessageId.New()).ToList();
        var failed = failedIds.Select((id, i) => store.WriteAsync(id, TestMessages.Build(i))).ToList();
        gate.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        foreach (var write in failed) await Assert.ThrowsAsync<IOException>(() => write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, Volatile.Read(ref batches));
        Assert.True(store.Exists(ok));
        Assert.All(failedIds, id => Assert.False(store.Exists(id)));
        Assert.Equal(1L, db.Scalar($"SELECT count(*) FROM {Table}"));

        // The writer starts the next batch on a new connection.
        var after = MessageId.New();
        await store.WriteAsync(after, TestMessages.Build(99)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TestMessages.Build(99), await store.ReadAsync(after));
    }

    [SkippableFact]
    public async Task Should_read_content_written_by_another_node()
    {
        var db = Database();
        var writer = Open(db);
        var id = MessageId.New();
        await writer.WriteAsync(id, TestMessages.Build(5));
        writer.Dispose();

        // A second node, on the same database, that never saw the bytes.
        var other = Open(db);
        Assert.True(other.Exists(id));
        Assert.Equal(TestMessages.Build(5), await other.ReadAsync(id));
        other.Delete(id);
        other.Dispose();
        var third = Open(db);
        Assert.False(third.Exists(id));
    }

    [SkippableFact]
    public async Task Should_refuse_writes_once_closed()
    {
        var store = Open(Database());
        store.Dispose();
        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync(MessageId.New(), TestMessages.Build(1)));
    }

    private static async Task AwaitCount(Func<int> count, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (count() < atLeast)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected at least {atLeast}");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        foreach (var item in _cleanup) item.Dispose();
    }
}
