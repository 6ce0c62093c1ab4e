using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// Keeps each message's original RFC 5322 bytes, unmodified, as <c>{content-dir}/{id}.eml</c>.
/// Written durably before the message is accepted; kept until it is delivered or purged.
/// </summary>
public sealed class ContentStore
{
    public ContentStore(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public string PathOf(MessageId id) => Path.Combine(Directory, id.Value + ".eml");

    public Task WriteAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        DurableFile.WriteAsync(PathOf(id), content, ct);

    public bool Exists(MessageId id) => File.Exists(PathOf(id));

    /// <exception cref="PermanentMessageException">GW-CONTENT-MISSING when the bytes are gone: retrying cannot bring them back.</exception>
    public async Task<byte[]> ReadAsync(MessageId id, CancellationToken ct = default)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(id), ct);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PermanentMessageException(ReasonCodes.ContentMissing, $"original content of {id} is missing from {Directory}");
        }
    }

    public void Delete(MessageId id) => DurableFile.TryDelete(PathOf(id));
}
