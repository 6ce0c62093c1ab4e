using ActorGateway.Actors.Storage;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Outbound;

namespace ActorGateway.Actors.Transport;

/// <summary>
/// Writes <c>{spool-dir}/{messageId}.eml</c> atomically (temp file, fsync, rename), prefixed with
/// the envelope as <c>X-Sender</c>/<c>X-Receiver</c> lines (the pickup-directory convention). A
/// message whose file is already there is not written again: delivery is idempotent per message id.
/// Every recipient is delivered by the one file. Concurrent deliveries share one directory fsync
/// (<see cref="BatchedDurableFiles"/>); each receipt is returned only once its own file is durable.
/// </summary>
public sealed class SpoolTransport : IMessageTransport
{
    private readonly BatchedDurableFiles _files;

    /// <param name="maxBatchFiles">Most files made durable by one directory fsync (actor-gateway.spool.max-batch-files).</param>
    public SpoolTransport(string directory, int maxBatchFiles)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _files = new BatchedDurableFiles(directory, maxBatchFiles);
    }

    /// <summary>TESTS ONLY: see <see cref="BatchedDurableFiles.BeforeBatch"/>.</summary>
    internal Action<int>? BeforeBatch
    {
        get => _files.BeforeBatch;
        set => _files.BeforeBatch = value;
    }

    public string Directory { get; }

    public string Name => "spool";

    public string PathOf(MessageId id) => Path.Combine(Directory, id.Value + ".eml");

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        var path = PathOf(id);
        var results = envelope.Recipients.Select(r => new RecipientResult(r, RecipientDisposition.Delivered, null)).ToList();
        if (File.Exists(path))
        {
            // Written by an attempt whose outcome was lost (a crash, a failed directory fsync): make sure its name is durable.
            await _files.SyncAsync();
            return new DeliveryReceipt(path, AlreadyPresent: true, results);
        }
        await _files.WriteAsync(Path.GetFileName(path), OutboundRewriter.WithPickupEnvelope(content.Span, envelope.Sender, envelope.Recipients));
        return new DeliveryReceipt(path, AlreadyPresent: false, results);
    }
}
