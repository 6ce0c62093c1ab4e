using System.Collections.Concurrent;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Support;

/// <summary>
/// A target that decides per recipient: refuses targets starting with "R" for good, defers targets
/// starting with "D" for their first <paramref name="deferrals"/> attempts, delivers the rest.
/// Records every envelope it was given.
/// </summary>
public sealed class ScriptedTransport(string name = "spool", int deferrals = 1) : IMessageTransport
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _deferring = true;

    /// <summary>From now on, "D" recipients are delivered at their next attempt.</summary>
    public void StopDeferring() => _deferring = false;

    public string Name => name;

    public ConcurrentQueue<OutboundEnvelope> Envelopes { get; } = new();

    public ConcurrentQueue<(MessageId Id, byte[] Content)> Messages { get; } = new();

    public Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        Envelopes.Enqueue(envelope);
        Messages.Enqueue((id, content.ToArray()));
        var results = envelope.Recipients.Select(r =>
        {
            var attempt = _attempts.AddOrUpdate(r, 1, (_, n) => n + 1);
            return r.StartsWith('R')
                ? new RecipientResult(r, RecipientDisposition.Refused, "550 5.1.1 user unknown")
                : r.StartsWith('D') && attempt <= deferrals && _deferring
                    ? new RecipientResult(r, RecipientDisposition.Deferred, "450 4.2.1 mailbox busy")
                    : new RecipientResult(r, RecipientDisposition.Delivered, "250 2.0.0 ok");
        }).ToList();
        return Task.FromResult(new DeliveryReceipt($"{name}:{id}", false, results));
    }
}
