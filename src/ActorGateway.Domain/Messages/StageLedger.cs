using System.Collections.Immutable;
using static ActorGateway.Domain.Events.StageLedgerEvents;

namespace ActorGateway.Domain.Messages;

/// <summary>The stage ledger's state: the open entries, folded from <see cref="StagesChanged"/> rows. Pure.</summary>
public sealed record StageLedger(ImmutableDictionary<MessageId, OpenStage> Open)
{
    public static readonly StageLedger Empty = new(ImmutableDictionary<MessageId, OpenStage>.Empty);

    public static StageLedger From(StageLedgerSnapshot snapshot) => new(snapshot.Open.ToImmutableDictionary(e => e.MessageId));

    /// <summary>Applies the row with sequence number <paramref name="row"/>: its departures, then its entries.</summary>
    public StageLedger Apply(StagesChanged change, long row) =>
        new(Open.RemoveRange(change.Left).SetItems(change.Entered.Select(e => KeyValuePair.Create(e.MessageId, new OpenStage(e.MessageId, e.Stage, row)))));

    public StageLedgerSnapshot ToSnapshot() => new(Open.Values.ToList());

    /// <summary>The open entry of a message, if it is inside a stage.</summary>
    public OpenStage? StageOf(MessageId id) => Open.GetValueOrDefault(id);
}
