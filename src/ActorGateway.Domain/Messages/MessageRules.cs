using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Domain.Messages;

/// <summary>A delivery's receipt, split by what happens next to each recipient.</summary>
/// <param name="Delivered">Targets the transport took.</param>
/// <param name="Refused">Recipients refused for good: dead-lettered alone.</param>
/// <param name="Deferred">Recipients refused for now: retried alone, never blamed on the message.</param>
public sealed record ReceiptOutcome(IReadOnlyList<string> Delivered, IReadOnlyList<RecipientFailure> Refused, IReadOnlyList<RecipientFailure> Deferred);

/// <summary>
/// The rules of a message's life that are not the event fold (<see cref="MessageState.Apply"/>): what a
/// failure, a receipt or an expiry means for a message and its recipients, whether its sender is told,
/// and which failure classification applies. Pure: the message actor calls them and carries out the result.
/// </summary>
public static class MessageRules
{
    /// <summary>Splits a receipt per recipient, naming each failure with its role, route and the target's reply.</summary>
    public static ReceiptOutcome PartitionReceipt(IReadOnlyList<MappedAddress> mapped, string transport, DeliveryReceipt receipt)
    {
        var byTarget = new Dictionary<string, MappedAddress>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in mapped) byTarget.TryAdd(m.Target, m);
        RecipientFailure Failure(RecipientResult r, string reason)
        {
            var m = byTarget.GetValueOrDefault(r.Recipient);
            return new RecipientFailure(m?.Role ?? AddressRole.To, r.Recipient, reason, Stage.Delivery,
                $"{transport} answered: {r.Reply ?? "(no reply)"}", m?.Route, r.Reply);
        }
        return new ReceiptOutcome(
            receipt.Recipients.Where(r => r.Disposition == RecipientDisposition.Delivered).Select(r => r.Recipient).ToList(),
            receipt.Recipients.Where(r => r.Disposition == RecipientDisposition.Refused).Select(r => Failure(r, ReasonCodes.RecipientRefused)).ToList(),
            receipt.Recipients.Where(r => r.Disposition == RecipientDisposition.Deferred).Select(r => Failure(r, ReasonCodes.RecipientDeferred)).ToList());
    }

    /// <summary>
    /// Classification overrides for a stage: the route's (of the first recipient concerned: the first
    /// pending one for delivery, the first routed one otherwise), over the global ones.
    /// </summary>
    public static IReadOnlyDictionary<string, FailureKind>? ClassificationFor(
        MessageState state, Stage stage, RouteTable routes, IReadOnlyDictionary<Stage, IReadOnlyDictionary<string, FailureKind>> global)
    {
        var globalForStage = global.GetValueOrDefault(stage);
        var routeName = stage == Stage.Delivery
            ? state.PendingRecipients.FirstOrDefault()?.Route
            : state.Accepted?.Envelope.Recipients.Select(r => routes.Find(r.Domain)?.Name).FirstOrDefault(n => n is not null);
        var routeOverrides = routeName is null ? null : routes.Routes.FirstOrDefault(r => r.Name == routeName)?.Classification?.GetValueOrDefault(stage);
        if (routeOverrides is null || routeOverrides.Count == 0) return globalForStage;
        if (globalForStage is null || globalForStage.Count == 0) return routeOverrides;
        var merged = new Dictionary<string, FailureKind>(globalForStage);
        foreach (var kv in routeOverrides) merged[kv.Key] = kv.Value;
        return merged;
    }

    /// <summary>
    /// A DSN is owed when the sender can be told, was not told before (at most once per message, replays
    /// included), and a failed recipient's route (or, for a whole-message failure, any recipient's) says notify-sender.
    /// </summary>
    public static bool ShouldNotify(MessageState state, MessageDeadLettered dead, RouteTable routes)
    {
        var envelope = state.Accepted?.Envelope;
        if (envelope is null || string.IsNullOrWhiteSpace(envelope.NotifyAddress)) return false;
        if (state.SenderNotifiedBefore) return false;
        var routeNames = dead.Recipients is { Count: > 0 } failed
            ? failed.Select(f => f.Route)
            : state.RecipientsToMap.Select(r => routes.Find(r.Domain)?.Name);
        return routeNames.Any(name => name is not null && routes.Routes.Any(r => r.Name == name && r.NotifySender));
    }

    /// <summary>The recipients a DSN reports: the failed ones, or every recipient when the whole message failed.</summary>
    public static IReadOnlyList<RecipientFailure> FailedForNotification(MessageState state)
    {
        var dead = state.DeadLetter ?? throw new InvalidOperationException("only a dead-lettered message has failures to report");
        return dead.Recipients is { Count: > 0 } listed
            ? listed
            : state.RecipientsToMap.Select(r => new RecipientFailure(r.Role, r.Address, dead.Reason, dead.Stage, dead.ErrorMessage)).ToList();
    }

    /// <summary>The route a dead-letter entry is filed under: the first failed recipient's, or the first recipient's that has one.</summary>
    public static string? RouteOf(MessageState state, MessageDeadLettered dead, RouteTable routes) =>
        dead.Recipients?.Select(r => r.Route).FirstOrDefault(r => r is not null)
        ?? state.RecipientsToMap.Select(r => routes.Find(r.Domain)?.Name).FirstOrDefault(n => n is not null);

    /// <summary>
    /// The id the transport keys its idempotency on: the message id, or for a replay that follows
    /// deliveries, <c>{id}-r{n}</c>, so the newly mapped recipients get their own spool file instead
    /// of being taken for the earlier delivery. A replay or recovery of the same generation reuses it.
    /// </summary>
    public static MessageId DeliveryId(MessageId id, MessageState state) =>
        state.PreviouslyDelivered.Count == 0 ? id : MessageId.Parse($"{id.Value}-r{state.Replays}");

    /// <summary>After a replay or a purge the dead-letter queue still lists the old entry until it confirms the clearing.</summary>
    public static bool ClearOwed(MessageState state) => state.Purged is not null || (state.Replays > 0 && !state.IsQuarantined);

    /// <summary>The generations the queue must clear: those before the current replay, or all of them once purged.</summary>
    public static int ClearUpTo(MessageState state) => state.Purged is not null ? state.Replays : state.Replays - 1;

    /// <summary>Past its lifetime: whatever is still pending at <paramref name="stage"/> is dead-lettered GW-EXPIRED, with the failures so far.</summary>
    public static MessageDeadLettered Expired(MessageId id, MessageState state, Stage stage, TimeSpan lifetime, DateTimeOffset now)
    {
        var pending = stage == Stage.Delivery
            ? state.PendingRecipients.Select(r => new RecipientFailure(r.Role, r.Target, ReasonCodes.Expired, stage, $"not delivered within {lifetime}", r.Route)).ToList()
            : state.RecipientsToMap.Select(r => new RecipientFailure(r.Role, r.Address, ReasonCodes.Expired, stage, $"not mapped within {lifetime}")).ToList();
        return new MessageDeadLettered(
            id, ReasonCodes.Expired, stage, pending.FirstOrDefault()?.Address, "MessageExpired",
            $"the message outlived its lifetime of {lifetime} (started {state.LifetimeStart:O}) with {pending.Count} recipient(s) pending",
            null, state.DeliveryAttempts, now, [.. state.FailedRecipients, .. pending], Partial: state.DeliveredTo.Count > 0);
    }

    /// <summary>Nothing is pending and some recipients failed for good: they go to quarantine together, the first one naming the entry.</summary>
    public static MessageDeadLettered RecipientsFailed(MessageId id, MessageState state, DateTimeOffset now)
    {
        var failed = state.FailedRecipients;
        var first = failed.Count > 0 ? failed[0] : throw new InvalidOperationException("no recipient failed");
        return new MessageDeadLettered(
            id, first.Reason, first.Stage, first.Address, nameof(RecipientFailure),
            $"{failed.Count} recipient(s) failed: " + string.Join("; ", failed.Select(f => $"{f.Address} {f.Reason}")),
            null, Math.Max(1, state.DeliveryAttempts), now, failed, Partial: state.DeliveredTo.Count > 0);
    }

    /// <summary>
    /// A stage failed for good with <paramref name="exception"/> after <paramref name="attempts"/> attempts. The
    /// exception names the recipients it concerns where it can (an unmappable message, one unmappable address);
    /// only its type, message and a trimmed stack trace are kept, never the exception itself.
    /// </summary>
    public static MessageDeadLettered StageFailed(MessageId id, MessageState state, Stage stage, Exception exception, int attempts, DateTimeOffset now) =>
        new(
            id,
            FailureClassifier.ReasonCode(exception),
            stage,
            (exception as PermanentMessageException)?.Address,
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            TrimStackTrace(exception.StackTrace),
            attempts,
            now,
            RecipientsOf(exception, stage),
            Partial: state.DeliveredTo.Count > 0);

    /// <summary>The recipients an exception concerns, or null when it concerns the whole message.</summary>
    public static IReadOnlyList<RecipientFailure>? RecipientsOf(Exception exception, Stage stage) => exception switch
    {
        MessageUnmappableException u => u.Failures,
        AddressMappingException a => [new RecipientFailure(a.SourceAddress.Role, a.SourceAddress.Address, a.ReasonCode, stage, exception.Message)],
        _ => null,
    };

    /// <summary>The stage has been in flight for <paramref name="crashes"/> process crashes, the last time alone: it is what kills the process.</summary>
    public static MessageDeadLettered CrashLoop(MessageId id, MessageState state, StageStarted interrupted, int crashes, DateTimeOffset now) =>
        new(
            id, ReasonCodes.CrashLoop, interrupted.Stage, interrupted.Recipient, "ProcessCrash",
            $"the process crashed {crashes} times while this message was in its {interrupted.Stage.ToString().ToLowerInvariant()} stage"
            + (interrupted.Recipient is null ? string.Empty : $" (recipient {interrupted.Recipient})") + "; the stage is not run again",
            null, crashes, now,
            interrupted.Recipient is null ? null : [new RecipientFailure(AddressRole.To, interrupted.Recipient, ReasonCodes.CrashLoop, interrupted.Stage, "the process crashed while this recipient was mapped")],
            Partial: state.DeliveredTo.Count > 0);

    /// <summary>At most eight lines, trailing white space removed.</summary>
    public static string? TrimStackTrace(string? stackTrace)
    {
        if (stackTrace is null) return null;
        var lines = stackTrace.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(8).Select(l => l.TrimEnd());
        return string.Join('\n', lines);
    }
}
