using Akka.Actor;
using Akka.Persistence;
using ActorGateway.Domain.Events;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>directory</c>: the journal record of operators' directory edits (persistence id <c>directory</c>), the
/// directory's counterpart of <see cref="OperatorEvents.ReplayRequested"/> in a message's timeline. The admin API
/// records each <see cref="OperatorEvents.DirectoryEntrySet"/> here before it rewrites the directory file, and
/// reads the record back with <c>JournalQueries.TimelineAsync(system, "directory")</c>.
/// </summary>
public sealed class DirectoryAuditActor : ReceivePersistentActor
{
    public const string Name = "directory";

    public DirectoryAuditActor()
    {
        // Nothing to rebuild: the record is read through the journal query, never from this actor's state.
        Recover<OperatorEvents.DirectoryEntrySet>(_ => { });
        Command<Record>(cmd =>
        {
            var replyTo = Sender;
            if (cmd.Changes.Count == 0)
            {
                replyTo.Tell(new Recorded(LastSequenceNr));
                return;
            }
            var left = cmd.Changes.Count;
            PersistAll(cmd.Changes, _ =>
            {
                if (--left == 0) replyTo.Tell(new Recorded(LastSequenceNr));
            });
        });
    }

    public override string PersistenceId => Name;

    /// <summary>Admin API → directory: journal these changes; answered with <see cref="Recorded"/> once they are durable.</summary>
    public sealed record Record(IReadOnlyList<OperatorEvents.DirectoryEntrySet> Changes) : Protocol.IGatewayWireMessage;

    /// <summary>Directory → asker: the changes are in the journal, the last one at <paramref name="SequenceNr"/>.</summary>
    public sealed record Recorded(long SequenceNr) : Protocol.IGatewayWireMessage;

    public static Props Props() => Akka.Actor.Props.Create(() => new DirectoryAuditActor());

    /// <summary>Records <paramref name="changes"/> through the node's <c>/user/directory</c>.</summary>
    public static Task<Recorded> RecordAsync(ActorSystem system, IReadOnlyList<OperatorEvents.DirectoryEntrySet> changes, TimeSpan timeout, CancellationToken ct = default) =>
        system.ActorSelection("/user/" + Name).Ask<Recorded>(new Record(changes), timeout, ct);
}
