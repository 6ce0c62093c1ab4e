using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.DeadLetters;
using static ActorGateway.Domain.DeadLetters.DeadLetterQueueEvents;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>dead-letter-queue</c>: the durable quarantine (persistence id <c>dead-letter-queue</c>), not to
/// be confused with Akka's own <c>/deadLetters</c>. Message actors record their dead-lettered
/// message here (idempotent per id, confirmed with <see cref="DeadLetterQueueProtocol.DeadLetterRecordConfirmed"/>);
/// operators list and get entries.
/// </summary>
public sealed class DeadLetterQueueActor : ReceivePersistentActor
{
    public const string Name = "dead-letter-queue";

    private readonly int _snapshotEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DeadLetterQueueState _state = DeadLetterQueueState.Empty;
    private readonly Dictionary<Domain.Messages.MessageId, List<IActorRef>> _pending = [];

    public DeadLetterQueueActor(int snapshotEvery)
    {
        _snapshotEvery = snapshotEvery;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DeadLetterQueueSnapshot s) _state = DeadLetterQueueState.FromSnapshot(s);
        });
        Recover<DeadLetterRecorded>(e => _state = _state.Apply(e));
        Recover<DeadLetterCleared>(e => _state = _state.Apply(e));

        Command<DeadLetterQueueProtocol.RecordDeadLetter>(cmd =>
        {
            var id = cmd.Entry.MessageId;
            if (_state.IsSettled(cmd.Entry))
            {
                Sender.Tell(new DeadLetterQueueProtocol.DeadLetterRecordConfirmed(id));
                return;
            }
            // A repeat while the first write is pending is confirmed by that write's callback.
            if (_pending.TryGetValue(id, out var waiting))
            {
                waiting.Add(Sender);
                return;
            }
            _pending[id] = [Sender];
            // PersistAsync: entries from many message actors share journal round trips (batched),
            // and each is confirmed only once it is durable.
            PersistAsync(new DeadLetterRecorded(cmd.Entry), e =>
            {
                _state = _state.Apply(e);
                if (_pending.Remove(e.Entry.MessageId, out var replyTo))
                {
                    foreach (var r in replyTo) r.Tell(new DeadLetterQueueProtocol.DeadLetterRecordConfirmed(e.Entry.MessageId));
                }
                if (LastSequenceNr % _snapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
            });
        });
        Command<DeadLetterQueueProtocol.ClearDeadLetter>(cmd =>
        {
            // Idempotent: clearing generations already cleared is confirmed at once.
            if (_state.Cleared.TryGetValue(cmd.MessageId, out var upTo) && upTo >= cmd.UpToReplays)
            {
                Sender.Tell(new DeadLetterQueueProtocol.DeadLetterClearConfirmed(cmd.MessageId, cmd.UpToReplays));
                return;
            }
            var replyTo = Sender;
            PersistAsync(new DeadLetterCleared(cmd.MessageId, cmd.UpToReplays, cmd.Why, Context.System.Scheduler.Now), e =>
            {
                _state = _state.Apply(e);
                replyTo.Tell(new DeadLetterQueueProtocol.DeadLetterClearConfirmed(e.MessageId, e.UpToReplays));
                if (LastSequenceNr % _snapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
            });
        });
        Command<DeadLetterQueueProtocol.ListDeadLetters>(q =>
        {
            var entries = _state.List()
                .Where(e => q.Reason is null || string.Equals(e.Reason, q.Reason, StringComparison.OrdinalIgnoreCase))
                .Where(e => q.Stage is null || e.Stage == q.Stage)
                .ToList();
            Sender.Tell(new DeadLetterQueueProtocol.DeadLetterList(entries));
        });
        Command<DeadLetterQueueProtocol.GetDeadLetter>(q =>
            Sender.Tell(new DeadLetterQueueProtocol.DeadLetterLookup(q.MessageId, _state.Entries.GetValueOrDefault(q.MessageId))));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("dead-letter-queue snapshot failed: {Error}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => Name;

    public static Props Props(int snapshotEvery) => Akka.Actor.Props.Create<DeadLetterQueueActor>(snapshotEvery);
}
