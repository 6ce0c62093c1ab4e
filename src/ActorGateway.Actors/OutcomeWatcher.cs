using System.Collections.Concurrent;
using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors;

/// <summary>
/// Lets non-actor code (the CLI, tests, benchmarks) await messages' end states. Subscribes a small
/// actor to the gateway's <see cref="GatewayProtocol.MessageOutcome"/> publications.
/// Subscribe before submitting, so no outcome is missed.
/// </summary>
public sealed class OutcomeWatcher : IDisposable
{
    private readonly ConcurrentDictionary<MessageId, TaskCompletionSource<GatewayProtocol.MessageOutcome>> _outcomes = new();
    private readonly IActorRef _listener;

    private OutcomeWatcher(ActorSystem system)
    {
        _listener = system.ActorOf(Props.Create(() => new Listener(this)));
        system.EventStream.Subscribe(_listener, typeof(GatewayProtocol.MessageOutcome));
    }

    public static OutcomeWatcher Start(ActorSystem system) => new(system);

    public int Count => _outcomes.Count(kv => kv.Value.Task.IsCompleted);

    public IEnumerable<GatewayProtocol.MessageOutcome> Completed =>
        _outcomes.Values.Where(t => t.Task.IsCompletedSuccessfully).Select(t => t.Task.Result);

    public Task<GatewayProtocol.MessageOutcome> WaitAsync(MessageId id, CancellationToken ct = default) =>
        Slot(id).Task.WaitAsync(ct);

    /// <summary>Forgets the message's last outcome and waits for its next one (after a replay or a release). Call it before the command.</summary>
    public Task<GatewayProtocol.MessageOutcome> NextAsync(MessageId id, CancellationToken ct = default)
    {
        _outcomes.TryRemove(id, out _);
        return WaitAsync(id, ct);
    }

    public void Dispose() => _listener.Tell(PoisonPill.Instance);

    private TaskCompletionSource<GatewayProtocol.MessageOutcome> Slot(MessageId id) =>
        _outcomes.GetOrAdd(id, _ => new TaskCompletionSource<GatewayProtocol.MessageOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));

    private sealed class Listener : ReceiveActor
    {
        public Listener(OutcomeWatcher owner) =>
            Receive<GatewayProtocol.MessageOutcome>(o => owner.Slot(o.MessageId).TrySetResult(o));
    }
}
