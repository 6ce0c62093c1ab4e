using System.Collections.Immutable;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.DeadLetters;

/// <summary>One quarantined message, as the dead-letter queue lists it.</summary>
public sealed record DeadLetterEntry(
    MessageId MessageId,
    string Reason,
    Stage Stage,
    string? Recipient,
    string ErrorType,
    string ErrorMessage,
    int Attempts,
    DateTimeOffset At,
    string? Source,
    IReadOnlyList<RecipientFailure>? Recipients = null,
    bool Partial = false)
{
    public static DeadLetterEntry From(MessageEvents.MessageDeadLettered e, string? source) =>
        new(e.MessageId, e.Reason, e.Stage, e.Recipient, e.ErrorType, e.ErrorMessage, e.Attempts, e.At, source, e.Recipients, e.Partial);
}

/// <summary>Events of the dead-letter queue (persistence id <c>dead-letter-queue</c>).</summary>
public static class DeadLetterQueueEvents
{
    /// <summary>A dead-lettered message was recorded in the queue.</summary>
    public sealed record DeadLetterRecorded(DeadLetterEntry Entry) : IGatewayEvent;

    /// <summary>Snapshot of the whole queue.</summary>
    public sealed record DeadLetterQueueSnapshot(IReadOnlyList<DeadLetterEntry> Entries) : IGatewayEvent;
}

/// <summary>The dead-letter queue's state: entries by message id, in the order they arrived.</summary>
public sealed record DeadLetterQueueState(ImmutableDictionary<MessageId, DeadLetterEntry> Entries, ImmutableList<MessageId> Order)
{
    public static readonly DeadLetterQueueState Empty = new(ImmutableDictionary<MessageId, DeadLetterEntry>.Empty, []);

    public bool Contains(MessageId id) => Entries.ContainsKey(id);

    public IEnumerable<DeadLetterEntry> List() => Order.Select(id => Entries[id]);

    public DeadLetterQueueState Apply(DeadLetterQueueEvents.DeadLetterRecorded e) =>
        Entries.ContainsKey(e.Entry.MessageId)
            ? this
            : new DeadLetterQueueState(Entries.Add(e.Entry.MessageId, e.Entry), Order.Add(e.Entry.MessageId));

    public static DeadLetterQueueState FromSnapshot(DeadLetterQueueEvents.DeadLetterQueueSnapshot s) =>
        s.Entries.Aggregate(Empty, (state, entry) => state.Apply(new DeadLetterQueueEvents.DeadLetterRecorded(entry)));

    public DeadLetterQueueEvents.DeadLetterQueueSnapshot ToSnapshot() => new(List().ToList());
}
