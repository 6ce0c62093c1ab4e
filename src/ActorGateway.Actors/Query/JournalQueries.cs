using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Serialization;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Query;

/// <summary>One event of a timeline, as the journal holds it.</summary>
public sealed record TimelineEntry(long SequenceNr, string Manifest, DateTimeOffset? At, object Event);

/// <summary>
/// Read-only views over the journal through Akka.Persistence.Query: safe to run while the
/// service writes (SQLite in WAL mode), and never starts an entity.
/// </summary>
public static class JournalQueries
{
    public static async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(ActorSystem system, string persistenceId, CancellationToken ct = default)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var envelopes = await journal.CurrentEventsByPersistenceId(persistenceId, 0L, long.MaxValue)
            .RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());
        return envelopes
            .Select(e => new TimelineEntry(
                e.SequenceNr,
                GatewayJsonSerializer.ManifestOf(e.Event),
                e.Event switch { IMessageEvent m => m.At, OperatorEvents.DirectoryEntrySet d => d.At, _ => null },
                e.Event))
            .ToList();
    }

    public static Task<IReadOnlyList<TimelineEntry>> MessageTimelineAsync(ActorSystem system, MessageId id, CancellationToken ct = default) =>
        TimelineAsync(system, id.PersistenceId, ct);

    /// <summary>The dead-letter queue's entries, rebuilt from its events (recorded, replaced by a newer dead-lettering, cleared).</summary>
    public static async Task<IReadOnlyList<DeadLetterEntry>> DeadLettersAsync(ActorSystem system, CancellationToken ct = default)
    {
        var timeline = await TimelineAsync(system, DeadLetterQueueActor.Name, ct);
        // Snapshots live in the snapshot store; the queue never deletes its events, so they tell everything.
        var state = timeline.Select(t => t.Event).OfType<IGatewayEvent>().Aggregate(DeadLetterQueueState.Empty, (s, e) => s.Apply(e));
        return state.List().ToList();
    }
}
