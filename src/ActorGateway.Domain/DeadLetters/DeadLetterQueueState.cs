using System.Collections.Immutable;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.DeadLetters;

/// <summary>One quarantined message, as the dead-letter queue lists it.</summary>
/// <param name="Route">The route of the first failed recipient (or, for a whole-message failure, of the first recipient that has one); null when none matched.</param>
/// <param name="Replays">How many times an operator had replayed the message before this dead-lettering.</param>
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
    bool Partial = false,
    string? Route = null,
    int Replays = 0)
{
    public static DeadLetterEntry From(MessageEvents.MessageDeadLettered e, string? source, string? route = null, int replays = 0) =>
        new(e.MessageId, e.Reason, e.Stage, e.Recipient, e.ErrorType, e.ErrorMessage, e.Attempts, e.At, source, e.Recipients, e.Partial, route, replays);
}

/// <summary>Events of the dead-letter queue (persistence id <c>dead-letter-queue</c>).</summary>
public static class DeadLetterQueueEvents
{
    /// <summary>A dead-lettered message was recorded in the queue (a newer dead-lettering of a replayed message replaces the older entry).</summary>
    public sealed record DeadLetterRecorded(DeadLetterEntry Entry) : IGatewayEvent;

    /// <summary>
    /// The message left the queue: an operator replayed (<paramref name="Why"/> = <c>replayed</c>) or
    /// purged it (<c>purged</c>). Clears the entries of generations up to <paramref name="UpToReplays"/>;
    /// a late record of such a generation is ignored.
    /// </summary>
    public sealed record DeadLetterCleared(MessageId MessageId, int UpToReplays, string Why, DateTimeOffset At) : IGatewayEvent;

    /// <summary>Snapshot of the whole queue.</summary>
    public sealed record DeadLetterQueueSnapshot(IReadOnlyList<DeadLetterEntry> Entries, IReadOnlyList<ClearedThrough>? Cleared = null) : IGatewayEvent;

    /// <summary>In a snapshot: generations up to <paramref name="UpToReplays"/> of the message have been cleared.</summary>
    public sealed record ClearedThrough(MessageId MessageId, int UpToReplays);
}

/// <summary>The dead-letter queue's state: entries by message id, in the order they arrived.</summary>
public sealed record DeadLetterQueueState(
    ImmutableDictionary<MessageId, DeadLetterEntry> Entries,
    ImmutableList<MessageId> Order,
    ImmutableDictionary<MessageId, int> Cleared)
{
    public static readonly DeadLetterQueueState Empty = new(ImmutableDictionary<MessageId, DeadLetterEntry>.Empty, [], ImmutableDictionary<MessageId, int>.Empty);

    public bool Contains(MessageId id) => Entries.ContainsKey(id);

    /// <summary>Whether recording <paramref name="entry"/> would change nothing (already there, superseded, or cleared).</summary>
    public bool IsSettled(DeadLetterEntry entry) =>
        (Entries.TryGetValue(entry.MessageId, out var existing) && existing.Replays >= entry.Replays)
        || (Cleared.TryGetValue(entry.MessageId, out var upTo) && entry.Replays <= upTo);

    public IEnumerable<DeadLetterEntry> List() => Order.Select(id => Entries[id]);

    public DeadLetterQueueState Apply(IGatewayEvent e) => e switch
    {
        DeadLetterQueueEvents.DeadLetterRecorded r when IsSettled(r.Entry) => this,
        DeadLetterQueueEvents.DeadLetterRecorded r => this with
        {
            Entries = Entries.SetItem(r.Entry.MessageId, r.Entry),
            // A newer dead-lettering of a replayed message moves to the end: the order is when it arrived.
            Order = Order.Remove(r.Entry.MessageId).Add(r.Entry.MessageId),
        },
        DeadLetterQueueEvents.DeadLetterCleared c => this with
        {
            Entries = Entries.TryGetValue(c.MessageId, out var x) && x.Replays <= c.UpToReplays ? Entries.Remove(c.MessageId) : Entries,
            Order = Entries.TryGetValue(c.MessageId, out var y) && y.Replays <= c.UpToReplays ? Order.Remove(c.MessageId) : Order,
            Cleared = Cleared.SetItem(c.MessageId, Math.Max(c.UpToReplays, Cleared.GetValueOrDefault(c.MessageId, -1))),
        },
        _ => this,
    };

    public static DeadLetterQueueState FromSnapshot(DeadLetterQueueEvents.DeadLetterQueueSnapshot s)
    {
        var state = Empty with { Cleared = (s.Cleared ?? []).ToImmutableDictionary(c => c.MessageId, c => c.UpToReplays) };
        return s.Entries.Aggregate(state, (acc, entry) => acc.Apply(new DeadLetterQueueEvents.DeadLetterRecorded(entry)));
    }

    public DeadLetterQueueEvents.DeadLetterQueueSnapshot ToSnapshot() =>
        new(List().ToList(), Cleared.Select(kv => new DeadLetterQueueEvents.ClearedThrough(kv.Key, kv.Value)).ToList());
}
