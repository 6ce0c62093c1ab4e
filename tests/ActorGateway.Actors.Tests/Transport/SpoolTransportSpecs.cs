using ActorGateway.Actors.Tests.Support;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Transport;

/// <summary>The spool: one file per message, idempotent per id, made durable a batch at a time.</summary>
public sealed class SpoolTransportSpecs : IDisposable
{
    private static readonly OutboundEnvelope Envelope = new("sender@example.org", ["alice@contoso.com"]);

    private readonly TestDataDir _dir = new();

    [Fact]
    public async Task Should_make_deliveries_queued_behind_a_batch_durable_together_and_answer_each_only_after()
    {
        var spool = new SpoolTransport(_dir.Spool, maxBatchFiles: 64);
        var gate = new ManualResetEventSlim();
        var batches = new List<int>();
        spool.BeforeBatch = size =>
        {
            lock (batches) batches.Add(size);
            gate.Wait(TimeSpan.FromSeconds(10));
        };

        var first = spool.DeliverAsync(MessageId.New(), TestMessages.Build(0), Envelope, default);
        await Eventually.AssertAsync(() => { lock (batches) Assert.Single(batches); });
        var ids = Enumerable.Range(1, 30).Select(_ => MessageId.New()).ToList();
        var rest = ids.Select((id, i) => spool.DeliverAsync(id, TestMessages.Build(i + 1), Envelope, default)).ToList();
        Assert.All(rest, d => Assert.False(d.IsCompleted, "no receipt before the batch is durable"));
        Assert.All(ids, id => Assert.False(File.Exists(spool.PathOf(id))));
        gate.Set();
        var receipts = await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(10));
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        lock (batches) Assert.Equal([1, 30], batches);
        Assert.All(receipts, r => Assert.False(r.AlreadyPresent));
        Assert.All(ids, id => Assert.True(File.Exists(spool.PathOf(id))));
        Assert.Empty(Directory.EnumerateFiles(_dir.Spool, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task Should_fail_every_delivery_of_a_failed_batch_and_leave_no_file_of_it()
    {
        var spool = new SpoolTransport(_dir.Spool, maxBatchFiles: 64);
        var gate = new ManualResetEventSlim();
        var count = 0;
        spool.BeforeBatch = _ =>
        {
            if (Interlocked.Increment(ref count) == 1) gate.Wait(TimeSpan.FromSeconds(10));
            else throw new IOException("No space left on device");
        };
        var ok = MessageId.New();
        var first = spool.DeliverAsync(ok, TestMessages.Build(0), Envelope, default);
        await Eventually.AssertAsync(() => Assert.Equal(1, Volatile.Read(ref count)));
        var ids = Enumerable.Range(1, 10).Select(_ => MessageId.New()).ToList();
        var failed = ids.Select((id, i) => spool.DeliverAsync(id, TestMessages.Build(i), Envelope, default)).ToList();
        gate.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        foreach (var delivery in failed) await Assert.ThrowsAsync<IOException>(() => delivery.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(File.Exists(spool.PathOf(ok)));
        Assert.All(ids, id => Assert.False(File.Exists(spool.PathOf(id))));
        Assert.Single(Directory.EnumerateFiles(_dir.Spool, "*", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public async Task Should_fail_every_delivery_with_an_io_error_while_the_spool_directory_is_gone()
    {
        var spool = new SpoolTransport(_dir.Spool, maxBatchFiles: 64);
        Directory.Delete(_dir.Spool);
        var deliveries = Enumerable.Range(0, 10).Select(i => spool.DeliverAsync(MessageId.New(), TestMessages.Build(i), Envelope, default)).ToList();
        foreach (var delivery in deliveries) await Assert.ThrowsAnyAsync<IOException>(() => delivery.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Should_not_write_a_delivered_id_again()
    {
        var spool = new SpoolTransport(_dir.Spool, maxBatchFiles: 64);
        var id = MessageId.New();
        var first = await spool.DeliverAsync(id, TestMessages.Build(1), Envelope, default);
        var written = await File.ReadAllBytesAsync(spool.PathOf(id));
        var again = await spool.DeliverAsync(id, TestMessages.Build(2), Envelope, default);

        Assert.False(first.AlreadyPresent);
        Assert.True(again.AlreadyPresent);
        Assert.Equal(written, await File.ReadAllBytesAsync(spool.PathOf(id)));
    }

    public void Dispose() => _dir.Dispose();
}
