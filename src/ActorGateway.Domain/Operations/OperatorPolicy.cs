using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Operations;

/// <summary>An operator action on one message.</summary>
public enum OperatorAction
{
    Replay,
    Hold,
    Release,
    Purge,
}

/// <summary>What an operator action does to a message in a given state.</summary>
public enum OperatorVerdict
{
    /// <summary>Record the action and carry it out.</summary>
    Proceed,
    /// <summary>Already so (held twice, purged twice): nothing is written; the action succeeded.</summary>
    AlreadyDone,
    /// <summary>No such message.</summary>
    NotFound,
    /// <summary>Not possible in this state (e.g. replaying a message that is not in quarantine).</summary>
    Conflict,
    /// <summary>Not now: a stage that cannot be interrupted is running; try again.</summary>
    Busy,
}

public sealed record OperatorDecision(OperatorVerdict Verdict, string Code, string Detail);

/// <summary>
/// The one place that says which operator action is allowed in which state. The message actor
/// asks it before writing anything; the admin API maps the verdict to an HTTP status.
/// </summary>
public static class OperatorPolicy
{
    /// <param name="runningStage">The stage the message actor is running right now, if any.</param>
    public static OperatorDecision Decide(MessageState state, OperatorAction action, Stage? runningStage = null)
    {
        if (state.Status == MessageStatus.New) return new(OperatorVerdict.NotFound, ReasonCodes.MessageNotFound, "no message with this id has been accepted");
        if (state.Purged is { } purged)
        {
            return action == OperatorAction.Purge
                ? new(OperatorVerdict.AlreadyDone, ReasonCodes.Purged, $"already purged by {purged.By} at {purged.At:O}")
                : new(OperatorVerdict.Conflict, ReasonCodes.InvalidState, $"the message was purged by {purged.By} at {purged.At:O}; nothing is left to {Verb(action)}");
        }
        return action switch
        {
            OperatorAction.Replay when state.Held is { } held =>
                new(OperatorVerdict.Conflict, ReasonCodes.MessageIsHeld, $"the message is held (by {held.By}: {held.Why}); release it first"),
            OperatorAction.Replay or OperatorAction.Purge when !state.IsQuarantined =>
                new(OperatorVerdict.Conflict, ReasonCodes.NotInQuarantine, $"the message is not in quarantine (it is {Describe(state)})"),
            // Its DSN is being sent right now: replaying or purging under it would race the transport.
            OperatorAction.Replay or OperatorAction.Purge when runningStage == Stage.Notification =>
                new(OperatorVerdict.Busy, ReasonCodes.Busy, "the sender's DSN is being sent right now; try again in a moment"),
            OperatorAction.Replay => new(OperatorVerdict.Proceed, ReasonCodes.ReplayRequested, $"replay {state.Replays + 1}: mapping runs again with the current routes"),
            OperatorAction.Purge => new(OperatorVerdict.Proceed, ReasonCodes.Purged, "content deleted; the message leaves the quarantine for good"),
            OperatorAction.Hold when state.Held is { } held =>
                new(OperatorVerdict.AlreadyDone, ReasonCodes.Held, $"already held by {held.By} at {held.At:O}"),
            OperatorAction.Hold when state.Status == MessageStatus.Delivered && state.IsFinished =>
                new(OperatorVerdict.Conflict, ReasonCodes.InvalidState, "the message is delivered; there is nothing to hold"),
            OperatorAction.Hold => new(OperatorVerdict.Proceed, ReasonCodes.Held, "no stage runs for the message until it is released"),
            OperatorAction.Release when state.Held is null =>
                new(OperatorVerdict.Conflict, ReasonCodes.InvalidState, $"the message is not held (it is {Describe(state)})"),
            OperatorAction.Release => new(OperatorVerdict.Proceed, ReasonCodes.HoldReleased, "the message goes on from where it stopped"),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        };
    }

    /// <summary>A short description of where a message is, for operators.</summary>
    public static string Describe(MessageState state) => state switch
    {
        { Purged: not null } => "purged",
        { Held: not null } => "held",
        { Status: MessageStatus.DeadLettered, DeadLetter: { Partial: true } } => "partially delivered, the rest in quarantine",
        { Status: MessageStatus.DeadLettered } => "in quarantine",
        { Status: MessageStatus.Delivered } => "delivered",
        { Status: MessageStatus.Accepted or MessageStatus.Mapped, PendingRetry: not null } => "in flight, waiting to retry",
        { Status: MessageStatus.Accepted or MessageStatus.Mapped } => "in flight",
        _ => "unknown",
    };

    private static string Verb(OperatorAction action) => action.ToString().ToLowerInvariant();
}
