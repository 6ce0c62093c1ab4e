using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Support;

/// <summary>A transport that never completes until cancelled: holds messages "in flight".</summary>
public sealed class BlockingTransport : IMessageTransport
{
    private int _entered;

    public string Name => "blocking";

    public int Entered => Volatile.Read(ref _entered);

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        Interlocked.Increment(ref _entered);
        await Task.Delay(Timeout.Infinite, ct);
        throw new OperationCanceledException(ct);
    }
}

/// <summary>A transport that fails a given number of times with a given exception, then delivers through another transport.</summary>
public sealed class FlakyTransport(IMessageTransport inner, Func<Exception> failure, int failures) : IMessageTransport
{
    private int _remaining = failures;
    private int _calls;

    public string Name => inner.Name;

    public int Calls => Volatile.Read(ref _calls);

    public Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        if (Interlocked.Decrement(ref _remaining) >= 0) throw failure();
        return inner.DeliverAsync(id, content, envelope, ct);
    }
}
