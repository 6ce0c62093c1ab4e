using ActorGateway.Actors.Storage;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Transport;

/// <summary>
/// Writes <c>{spool-dir}/{messageId}.eml</c> atomically (temp file, fsync, rename). A message
/// whose file is already there is not written again: delivery is idempotent per message id.
/// </summary>
public sealed class SpoolTransport : IMessageTransport
{
    public SpoolTransport(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public string Name => "spool";

    public string PathOf(MessageId id) => Path.Combine(Directory, id.Value + ".eml");

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var path = PathOf(id);
        if (File.Exists(path)) return new DeliveryReceipt(path, AlreadyPresent: true);
        await DurableFile.WriteAsync(path, content, ct);
        return new DeliveryReceipt(path, AlreadyPresent: false);
    }
}
