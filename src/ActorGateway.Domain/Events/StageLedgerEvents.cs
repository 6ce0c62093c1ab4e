using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Events;

/// <summary>
/// The stage ledger (persistence id <c>risk-gate</c>): which messages are inside a risky stage (mapping, delivery)
/// right now. It replaces a <c>StageStarted</c> row per message and stage on the happy path: entries are written in
/// batches, one row for every message the gate admitted to a stage while the previous row was being written, and a
/// message starts its stage only once its entry is durable. After a crash, its open entries name the messages that
/// were inside a stage: the crash suspects.
/// </summary>
public static class StageLedgerEvents
{
    /// <summary>A message entering a risky stage.</summary>
    public sealed record StageEntry(MessageId MessageId, Stage Stage);

    /// <summary>An open entry: the stage, and the ledger row (its sequence number) that entered it.</summary>
    public sealed record OpenStage(MessageId MessageId, Stage Stage, long Row);

    /// <summary>One write of the ledger: the messages that left a stage, then those that entered one.</summary>
    public sealed record StagesChanged(IReadOnlyList<MessageId> Left, IReadOnlyList<StageEntry> Entered) : IGatewayEvent;

    /// <summary>Snapshot of the open entries.</summary>
    public sealed record StageLedgerSnapshot(IReadOnlyList<OpenStage> Open) : IGatewayEvent;
}
