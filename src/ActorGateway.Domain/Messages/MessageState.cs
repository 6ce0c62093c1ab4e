using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Domain.Messages;

public enum MessageStatus
{
    /// <summary>No event yet.</summary>
    New,
    Accepted,
    Mapped,
    Delivered,
    DeadLettered,
}

/// <summary>How a message ended, as reported to ingresses and the CLI.</summary>
public static class Outcomes
{
    public const string Delivered = "delivered";
    /// <summary>Delivered to some recipients; the others are in quarantine.</summary>
    public const string PartiallyDelivered = "partially-delivered";
    public const string DeadLettered = "dead-lettered";
    public const string Rejected = "rejected";
    public const string Abandoned = "abandoned";
    /// <summary>Held by an operator: it rests, out of the in-flight registry, until released.</summary>
    public const string Held = "held";
    /// <summary>Purged from the quarantine by an operator.</summary>
    public const string Purged = "purged";
}

/// <summary>A message's state, derived only from its events.</summary>
public sealed record MessageState(
    MessageStatus Status,
    MessageAccepted? Accepted,
    RecipientsMapped? Mapping,
    MessageDelivered? Delivery,
    MessageDeadLettered? DeadLetter)
{
    public static readonly MessageState Empty = new(MessageStatus.New, null, null, null, null);

    /// <summary>Targets delivered so far, over all attempts.</summary>
    public IReadOnlyList<string> DeliveredTo { get; private init; } = [];

    /// <summary>Recipients that failed for good so far: unmappable, or refused by the target.</summary>
    public IReadOnlyList<RecipientFailure> FailedRecipients { get; private init; } = [];

    /// <summary>Delivery attempts made so far.</summary>
    public int DeliveryAttempts { get; private init; }

    /// <summary>Whether the sender was notified, or that was given up (null while not settled).</summary>
    public IMessageEvent? Notification { get; private init; }

    /// <summary>The risky stage that was started and has not finished yet (null when none).</summary>
    public StageStarted? InProgress { get; private init; }

    /// <summary>The last stage-ledger row a crash was counted for: a suspect still waiting its turn at the next crash is not counted twice for it.</summary>
    public long? CountedLedgerRow { get; private init; }

    /// <summary>Crashes the current stage has been in flight for (reset when a stage completes).</summary>
    public int Crashes { get; private init; }

    /// <summary>The pending delayed retry of the current stage, if any.</summary>
    public RetryScheduled? PendingRetry { get; private init; }

    /// <summary>Delayed retries of the current stage so far.</summary>
    public int DelayedRetries => PendingRetry?.Attempt ?? _delayedRetries;

    private int _delayedRetries;

    /// <summary>Replays an operator asked for so far.</summary>
    public int Replays { get; private init; }

    /// <summary>Set while an operator holds the message: no stage runs.</summary>
    public MessageHeld? Held { get; private init; }

    /// <summary>Set once an operator purged the message from the quarantine (final).</summary>
    public MessagePurged? Purged { get; private init; }

    /// <summary>When the message's lifetime started: acceptance, or the last replay; moved later by the time spent on hold.</summary>
    public DateTimeOffset LifetimeStart => _lifetimeStart ?? Accepted?.At ?? DateTimeOffset.MinValue;

    private DateTimeOffset? _lifetimeStart;

    /// <summary>The sender got a DSN before a replay: a message's sender is told at most once.</summary>
    public bool SenderNotifiedBefore { get; private init; }

    /// <summary>Recipients delivered before a replay: settled, never mapped or delivered again.</summary>
    public IReadOnlyList<MappedAddress> PreviouslyDelivered { get; private init; } = [];

    /// <summary>The recipients the mapping stage maps: every one of the envelope's, less those delivered before a replay.</summary>
    public IReadOnlyList<SourceAddress> RecipientsToMap =>
        Accepted is null
            ? []
            : PreviouslyDelivered.Count == 0
                ? Accepted.Envelope.Recipients
                : Accepted.Envelope.Recipients.Where(r => !PreviouslyDelivered.Any(p => string.Equals(p.Source, r.Address, StringComparison.OrdinalIgnoreCase) && p.Role == r.Role)).ToList();

    /// <summary>Every recipient a delivery's headers show: those delivered before a replay, then the current mapping's.</summary>
    public IReadOnlyList<MappedAddress> AllMappedRecipients => [.. PreviouslyDelivered, .. Mapping?.Recipients ?? []];

    /// <summary>In quarantine now: dead-lettered, and neither purged nor replayed since.</summary>
    public bool IsQuarantined => Status == MessageStatus.DeadLettered && Purged is null;

    /// <summary>Mapped recipients still waiting for delivery.</summary>
    public IReadOnlyList<MappedAddress> PendingRecipients =>
        Mapping is null
            ? []
            : Mapping.Recipients
                .Where(r => !DeliveredTo.Contains(r.Target, StringComparer.OrdinalIgnoreCase)
                            && !FailedRecipients.Any(f => f.Stage == Stage.Delivery && string.Equals(f.Address, r.Target, StringComparison.OrdinalIgnoreCase)))
                .ToList();

    /// <summary>A DSN is owed and not yet settled.</summary>
    public bool NotificationPending => DeadLetter is { NotifySender: true } && Notification is null;

    /// <summary>Nothing is left to do (a held message rests until released).</summary>
    public bool IsFinished => Held is not null || Purged is not null || Status is MessageStatus.Delivered || (Status is MessageStatus.DeadLettered && !NotificationPending);

    /// <summary>The outcome reported when the message is finished.</summary>
    public string Outcome => Status switch
    {
        _ when Purged is not null => Outcomes.Purged,
        _ when Held is not null => Outcomes.Held,
        MessageStatus.Delivered => Outcomes.Delivered,
        MessageStatus.DeadLettered when DeadLetter!.Partial => Outcomes.PartiallyDelivered,
        MessageStatus.DeadLettered => Outcomes.DeadLettered,
        _ => throw new InvalidOperationException($"a {Status} message has no outcome yet"),
    };

    /// <summary>The stage to run next, or null when there is none (new, finished, or waiting to be dead-lettered).</summary>
    public Stage? NextStage => Status switch
    {
        _ when Held is not null || Purged is not null => null,
        MessageStatus.Accepted => Stage.Mapping,
        MessageStatus.Mapped when PendingRecipients.Count > 0 => Stage.Delivery,
        MessageStatus.DeadLettered when NotificationPending => Stage.Notification,
        _ => null,
    };

    /// <summary>
    /// After the last delivery: true when recipients failed and must go to quarantine
    /// (the message is Delivered or Mapped with nothing pending, but has failures).
    /// </summary>
    public bool NeedsPartialDeadLetter =>
        Status is MessageStatus.Delivered or MessageStatus.Mapped && PendingRecipients.Count == 0 && FailedRecipients.Count > 0;

    public MessageState Apply(IMessageEvent evt) => ApplyCore(evt) switch
    {
        // Progress of a stage settles its in-flight marker, crash count and retry schedule.
        var next when evt is RecipientsMapped or MessageDelivered or MessageDeadLettered
                          || (evt is DeliveryAttempted && next.InProgress?.Stage == Stage.Delivery)
            => next with { InProgress = null, Crashes = 0, PendingRetry = null, _delayedRetries = 0 },
        var next => next,
    };

    private MessageState ApplyCore(IMessageEvent evt) => evt switch
    {
        StageStarted s => this with { InProgress = s, PendingRetry = null, _delayedRetries = DelayedRetries },
        // The interruption is on record; the stage must be started again before it can be interrupted again.
        StageInterrupted i => this with { Crashes = i.Crashes, InProgress = null, CountedLedgerRow = i.LedgerRow ?? CountedLedgerRow },
        RetryScheduled r => this with { PendingRetry = r, InProgress = null },
        MessageAccepted a => this with { Status = MessageStatus.Accepted, Accepted = a },
        RecipientsMapped m => this with
        {
            Status = MessageStatus.Mapped,
            Mapping = m,
            FailedRecipients = [.. FailedRecipients, .. m.Failed ?? []],
        },
        DeliveryAttempted d => this with
        {
            DeliveredTo = [.. DeliveredTo, .. d.Delivered],
            FailedRecipients = [.. FailedRecipients, .. d.Refused],
            DeliveryAttempts = DeliveryAttempts + 1,
        },
        MessageDelivered d => this with
        {
            // An all-refused last attempt is not a delivery: the message is dead-lettered next.
            Status = (d.Delivered is { Count: 0 } && DeliveredTo.Count == 0) ? MessageStatus.Mapped : MessageStatus.Delivered,
            Delivery = d,
            DeliveredTo = [.. DeliveredTo, .. d.Delivered ?? Mapping?.Recipients.Select(r => r.Target) ?? []],
            FailedRecipients = [.. FailedRecipients, .. d.Refused ?? []],
            DeliveryAttempts = DeliveryAttempts + 1,
        },
        MessageDeadLettered x => this with { Status = MessageStatus.DeadLettered, DeadLetter = x },
        SenderNotified or SenderNotificationFailed => this with { Notification = evt },
        ReplayRequested r => this with
        {
            Status = MessageStatus.Accepted,
            PreviouslyDelivered = [.. PreviouslyDelivered, .. (Mapping?.Recipients ?? []).Where(m => DeliveredTo.Contains(m.Target, StringComparer.OrdinalIgnoreCase))],
            Mapping = null,
            Delivery = null,
            DeadLetter = null,
            FailedRecipients = [],
            DeliveryAttempts = 0,
            SenderNotifiedBefore = SenderNotifiedBefore || Notification is SenderNotified,
            Notification = null,
            InProgress = null,
            Crashes = 0,
            PendingRetry = null,
            _delayedRetries = 0,
            Replays = r.Replay,
            _lifetimeStart = r.At,
            Held = null,
        },
        MessageHeld h => this with { Held = h },
        // Time on hold is the operator's, not the message's: it does not count against the lifetime.
        HoldReleased r => this with { Held = null, _lifetimeStart = Held is { } h && r.At > h.At ? LifetimeStart + (r.At - h.At) : LifetimeStart },
        MessagePurged p => this with { Purged = p },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown message event"),
    };
}
