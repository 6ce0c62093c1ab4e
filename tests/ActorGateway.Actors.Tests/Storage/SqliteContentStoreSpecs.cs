using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Actors.Tests.Storage;

/// <summary>The embedded content store: one batching writer over a SQLite file, one commit for many messages.</summary>
public sealed class SqliteContentStoreSpecs : IDisposable
{
    private readonly TestDataDir _dir = new();

    private string DbFile => Path.Combine(_dir.Path, "content.db");

    private SqliteContentStore Open(string? legacy = null, int maxBatchMessages = 256) => new(DbFile, legacy, maxBatchMessages, maxBatchBytes: 8 << 20);

    [Fact]
    public async Task Should_commit_what_queued_behind_a_running_commit_as_one_batch()
    {
        var gate = new ManualResetEventSlim();
        var batches = new List<int>();
        using var store = Open();
        store.BeforeCommit = size =>
        {
            lock (batches) batches.Add(size);
            gate.Wait(TimeSpan.FromSeconds(10));
        };

        var first = store.WriteAsync(MessageId.New(), TestMessages.Build(0));
        await AwaitBatches(batches, 1);
        var ids = Enumerable.Range(1, 50).Select(_ => MessageId.New()).ToList();
        var rest = ids.Select((id, i) => store.WriteAsync(id, TestMessages.Build(i + 1))).ToList();
        Assert.False(rest[0].IsCompleted, "a write completes only once its batch committed");
        gate.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        lock (batches) Assert.Equal([1, 50], batches);
        Assert.All(ids, id => Assert.True(store.Exists(id)));
        Assert.Equal(TestMessages.Build(7), await store.ReadAsync(ids[6]));
    }

    [Fact]
    public async Task Should_cap_a_batch_at_max_batch_messages()
    {
        var gate = new ManualResetEventSlim();
        var batches = new List<int>();
        using var store = Open(maxBatchMessages: 8);
        store.BeforeCommit = size =>
        {
            lock (batches) batches.Add(size);
            gate.Wait(TimeSpan.FromSeconds(10));
        };
        var first = store.WriteAsync(MessageId.New(), TestMessages.Build(0));
        await AwaitBatches(batches, 1);
        var rest = Enumerable.Range(1, 20).Select(i => store.WriteAsync(MessageId.New(), TestMessages.Build(i))).ToList();
        gate.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));
        lock (batches) Assert.Equal([1, 8, 8, 4], batches);
    }

    [Fact]
    public async Task Should_fail_every_write_of_a_failed_batch_and_store_none_of_them()
    {
        var gate = new ManualResetEventSlim();
        var batches = 0;
        using var store = Open();
        store.BeforeCommit = _ =>
        {
            if (Interlocked.Increment(ref batches) == 1) gate.Wait(TimeSpan.FromSeconds(10));
            else throw new SqliteException("disk I/O error", 10);
        };
        var ok = MessageId.New();
        var first = store.WriteAsync(ok, TestMessages.Build(0));
        await AwaitCount(() => Volatile.Read(ref batches), 1);
        var failedIds = Enumerable.Range(1, 10).Select(_ => MessageId.New()).ToList();
        var failed = failedIds.Select((id, i) => store.WriteAsync(id, TestMessages.Build(i))).ToList();
        gate.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        foreach (var write in failed) await Assert.ThrowsAsync<IOException>(() => write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(store.Exists(ok));
        Assert.All(failedIds, id => Assert.False(store.Exists(id)));
        await Assert.ThrowsAsync<PermanentMessageException>(() => store.ReadAsync(failedIds[0]));
    }

    [Fact]
    public async Task Should_keep_committed_content_across_a_reopen_and_forget_it_once_deleted()
    {
        var kept = MessageId.New();
        var deleted = MessageId.New();
        using (var store = Open())
        {
            await store.WriteAsync(kept, TestMessages.Build(1));
            await store.WriteAsync(deleted, TestMessages.Build(2));
            store.Delete(deleted);
            Assert.False(store.Exists(deleted), "a delete that was asked for hides the bytes at once");
        }
        using var reopened = Open();
        Assert.Equal(TestMessages.Build(1), await reopened.ReadAsync(kept));
        Assert.False(reopened.Exists(deleted));
        var missing = await Assert.ThrowsAsync<PermanentMessageException>(() => reopened.ReadAsync(deleted));
        Assert.Equal(ReasonCodes.ContentMissing, missing.ReasonCode);
    }

    [Fact]
    public async Task Should_read_content_files_of_an_older_data_directory_and_delete_them()
    {
        var legacy = Path.Combine(_dir.Path, "content");
        Directory.CreateDirectory(legacy);
        var old = MessageId.New();
        await File.WriteAllBytesAsync(Path.Combine(legacy, old.Value + ".eml"), TestMessages.Build(3));

        using var store = Open(legacy);
        Assert.True(store.Exists(old));
        Assert.Equal(TestMessages.Build(3), await store.ReadAsync(old));
        store.Delete(old);
        Assert.False(store.Exists(old));
        Assert.False(File.Exists(Path.Combine(legacy, old.Value + ".eml")));
    }

    [Fact]
    public async Task Should_refuse_writes_once_closed()
    {
        var store = Open();
        store.Dispose();
        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync(MessageId.New(), TestMessages.Build(1)));
    }

    private static Task AwaitBatches(List<int> batches, int count) => AwaitCount(() => { lock (batches) return batches.Count; }, count);

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
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
