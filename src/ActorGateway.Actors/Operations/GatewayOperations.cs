using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;

namespace ActorGateway.Actors.Operations;

/// <summary>A message as the journal tells it: its folded state and its timeline.</summary>
public sealed record MessageView(MessageId MessageId, MessageState State, IReadOnlyList<TimelineEntry> Timeline);

/// <summary>
/// The operator's way into a running node, for the admin API and tests: reads come from the
/// journal (never starting an entity), actions go through the <c>gateway</c>, which records each in
/// the message's own timeline before answering.
/// </summary>
public sealed class GatewayOperations(ActorSystem system, IActorRef gateway, IActorRef deadLetterQueue, IContentStore content, TimeSpan timeout)
{
    public IContentStore Content => content;

    /// <summary>The message's state and timeline, or null when the journal has no event for that id.</summary>
    public async Task<MessageView?> GetMessageAsync(MessageId id, CancellationToken ct = default)
    {
        var timeline = await JournalQueries.MessageTimelineAsync(system, id, ct);
        if (timeline.Count == 0) return null;
        var state = timeline.Select(t => t.Event).OfType<IMessageEvent>().Aggregate(MessageState.Empty, (s, e) => s.Apply(e));
        return new MessageView(id, state, timeline);
    }

    /// <summary>The quarantine as the live dead-letter queue holds it, in arrival order.</summary>
    public async Task<IReadOnlyList<DeadLetterEntry>> DeadLettersAsync(CancellationToken ct = default)
    {
        var list = await deadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterList>(new DeadLetterQueueProtocol.ListDeadLetters(), timeout, ct);
        return list.Entries;
    }

    public async Task<GatewayProtocol.GatewayStatus> StatusAsync(CancellationToken ct = default) =>
        await gateway.Ask<GatewayProtocol.GatewayStatus>(GatewayProtocol.GetStatus.Instance, timeout, ct);

    public Task<OperatorProtocol.Result> ReplayAsync(MessageId id, string by, string why, CancellationToken ct = default) =>
        OperateAsync(id, OperatorAction.Replay, by, why, ct);

    public Task<OperatorProtocol.Result> HoldAsync(MessageId id, string by, string why, CancellationToken ct = default) =>
        OperateAsync(id, OperatorAction.Hold, by, why, ct);

    public Task<OperatorProtocol.Result> ReleaseAsync(MessageId id, string by, string why, CancellationToken ct = default) =>
        OperateAsync(id, OperatorAction.Release, by, why, ct);

    public Task<OperatorProtocol.Result> PurgeAsync(MessageId id, string by, string why, CancellationToken ct = default) =>
        OperateAsync(id, OperatorAction.Purge, by, why, ct);

    /// <summary>Carries out one operator action through the gateway; the message's timeline records it with who and why.</summary>
    public async Task<OperatorProtocol.Result> OperateAsync(MessageId id, OperatorAction action, string by, string why, CancellationToken ct = default)
    {
        var command = new OperatorProtocol.Command(id, action, by, why);
        try
        {
            return await gateway.Ask<OperatorProtocol.Result>(new OperatorProtocol.Operate(command), timeout, ct);
        }
        catch (AskTimeoutException)
        {
            return new OperatorProtocol.Result(command.MessageId, OperationStatus.Unavailable, ReasonCodes.GatewayUnavailable,
                $"the gateway did not answer within {timeout.TotalSeconds:0}s (its journal may be unavailable); the action may still take effect, check the message's timeline");
        }
    }
}
