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

    public DeadLetterQueueActor(int snapshotEvery)
    {
        _snapshotEvery = snapshotEvery;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DeadLetterQueueSnapshot s) _state = DeadLetterQueueState.FromSnapshot(s);
        });
        Recover<DeadLetterRecorded>(e => _state = _state.Apply(e));

        Command<DeadLetterQueueProtocol.RecordDeadLetter>(cmd =>
        {
            if (_state.Contains(cmd.Entry.MessageId))
            {
                Sender.Tell(new DeadLetterQueueProtocol.DeadLetterRecordConfirmed(cmd.Entry.MessageId));
                return;
            }
            var replyTo = Sender;
            Persist(new DeadLetterRecorded(cmd.Entry), e =>
            {
                _state = _state.Apply(e);
                replyTo.Tell(new DeadLetterQueueProtocol.DeadLetterRecordConfirmed(e.Entry.MessageId));
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
