using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// Keeps each message's original RFC 5322 bytes, unmodified, by message id: written durably before the message is
/// accepted, kept while it is in flight or quarantined, removed once it is delivered (or purged).
/// </summary>
/// <remarks>
/// The contract is shaped for a shared store too (PostgreSQL, for the cluster: a message may fail over to a node that
/// never saw its bytes): every call names the message by id only, carries no local path, and an implementation is free
/// to batch writes and deletes from many callers into one commit. <see cref="ContentStores.Open"/> chooses the store.
/// Disposing commits what is queued and closes it.
/// </remarks>
public interface IContentStore : IDisposable
{
    /// <summary>
    /// Stores the bytes under the id (replacing what was there: the same id is the same message). Completes only once
    /// they are durable; fails (an <see cref="IOException"/>) when they are not, and then nothing is known to be stored.
    /// </summary>
    Task WriteAsync(MessageId id, ReadOnlyMemory<byte> content, CancellationToken ct = default);

    /// <exception cref="PermanentMessageException">GW-CONTENT-MISSING when the bytes are gone: retrying cannot bring them back.</exception>
    Task<byte[]> ReadAsync(MessageId id, CancellationToken ct = default);

    /// <summary>Whether the bytes are there (false as soon as a <see cref="Delete"/> was asked for).</summary>
    bool Exists(MessageId id);

    /// <summary>
    /// Removes the bytes, in the background (deletes are batched; none is waited for). A delete lost to a crash
    /// leaves the bytes behind, which is harmless: the message is finished.
    /// </summary>
    void Delete(MessageId id);
}
