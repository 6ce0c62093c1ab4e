using ActorGateway.Actors.Storage;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Outbound;

namespace ActorGateway.Actors.Transport;

/// <summary>
/// Writes <c>{spool-dir}/{messageId}.eml</c> atomically (temp file, fsync, rename), prefixed with
/// the envelope as <c>X-Sender</c>/<c>X-Receiver</c> lines (the pickup-directory convention). A
/// message whose file is already there is not written again: delivery is idempotent per message id.
/// Every recipient is delivered by the one file.
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

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        var path = PathOf(id);
        var results = envelope.Recipients.Select(r => new RecipientResult(r, RecipientDisposition.Delivered, null)).ToList();
        if (File.Exists(path)) return new DeliveryReceipt(path, AlreadyPresent: true, results);
        await DurableFile.WriteAsync(path, OutboundRewriter.WithPickupEnvelope(content.Span, envelope.Sender, envelope.Recipients), ct);
        return new DeliveryReceipt(path, AlreadyPresent: false, results);
    }
}
