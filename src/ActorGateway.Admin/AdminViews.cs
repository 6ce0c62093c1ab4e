using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGateway.Actors.Operations;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Serialization;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Admin;

/// <summary>The JSON the admin API answers with (camelCase, enums kebab-case, as the journal's own JSON).</summary>
public static class AdminViews
{
    public static JsonSerializerOptions Json => GatewayJsonSerializer.Options;

    public static JsonObject Message(MessageView view, bool contentAvailable)
    {
        var s = view.State;
        return new JsonObject
        {
            ["messageId"] = view.MessageId.Value,
            ["status"] = s.Purged is not null ? "purged" : s.Held is not null ? "held" : s.Status.ToString().ToLowerInvariant().Replace("deadlettered", "dead-lettered"),
            ["outcome"] = s.IsFinished ? s.Outcome : null,
            ["quarantined"] = s.IsQuarantined,
            ["replays"] = s.Replays,
            ["held"] = Node(s.Held),
            ["purged"] = Node(s.Purged),
            ["source"] = s.Accepted?.Source,
            ["subject"] = s.Accepted?.Envelope.Subject,
            ["sender"] = Node(s.Accepted?.Envelope.Sender),
            ["recipients"] = Node(s.Accepted?.Envelope.Recipients),
            ["deliveredTo"] = Node(s.DeliveredTo.Concat(s.PreviouslyDelivered.Select(p => p.Target)).Distinct(StringComparer.OrdinalIgnoreCase).ToList()),
            ["deadLetter"] = Node(s.DeadLetter),
            ["contentAvailable"] = contentAvailable,
            ["timeline"] = Timeline(view.Timeline),
        };
    }

    public static JsonArray Timeline(IReadOnlyList<TimelineEntry> timeline) =>
        new(timeline.Select(t => (JsonNode)new JsonObject
        {
            ["sequenceNr"] = t.SequenceNr,
            ["type"] = t.Manifest,
            ["at"] = t.At?.ToString("O"),
            ["summary"] = Summarize(t.Event),
            ["event"] = JsonSerializer.SerializeToNode(t.Event, t.Event.GetType(), Json),
        }).ToArray());

    public static JsonObject Result(OperatorProtocol.Result r) => new()
    {
        ["messageId"] = r.MessageId.Value,
        ["status"] = r.Status.ToString().ToLowerInvariant(),
        ["code"] = r.Code,
        ["detail"] = r.Detail,
    };

    public static JsonNode? Node<T>(T? value) => value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), Json);

    /// <summary>One line per event, for people (the CLI prints it).</summary>
    public static string Summarize(object evt) => evt switch
    {
        MessageAccepted a => $"from {a.Envelope.Sender} to {string.Join(", ", a.Envelope.Recipients)}; {a.SizeBytes} bytes; source {a.Source}",
        StageStarted s => $"{Lower(s.Stage)} started{(s.Recipient is null ? "" : " for " + s.Recipient)}",
        StageInterrupted i => $"{Lower(i.Stage)} interrupted by a crash ({i.Crashes})",
        RetryScheduled r => $"{Lower(r.Stage)} retry {r.Attempt} ({r.Kind}) due {r.DueAt:O}: {r.Error}",
        RecipientsMapped m => $"sender {m.Sender.Source} -> {m.Sender.Target}; " + string.Join("; ", m.Recipients.Select(r => $"{r.Source} -> {r.Target} ({r.Method})"))
                              + string.Concat((m.Failed ?? []).Select(f => $"; {f.Address} failed {f.Reason}")),
        DeliveryAttempted d => $"attempt {d.Attempt} via {d.Transport}: delivered {d.Delivered.Count}, refused {d.Refused.Count}, deferred {d.Deferred.Count}",
        MessageDelivered d => $"via {d.Transport} to {d.Location}{(d.AlreadyPresent ? " (already present: not written again)" : "")}; attempt {d.Attempts}",
        MessageDeadLettered x => $"{x.Reason} at {Lower(x.Stage)}{(x.Partial ? " (partial)" : "")}; recipient {x.Recipient ?? "-"}; {x.ErrorType}: {x.ErrorMessage}",
        SenderNotified n => $"DSN sent to {n.To} via {n.Transport}",
        SenderNotificationFailed f => $"DSN not sent: {f.Reason} {f.Detail}",
        ReplayRequested r => $"replay {r.Replay} requested by {r.By}: {r.Why}",
        MessageHeld h => $"held by {h.By}: {h.Why}",
        HoldReleased h => $"released by {h.By}: {h.Why}",
        MessagePurged p => $"purged by {p.By}: {p.Why}",
        DirectoryEntrySet d => $"directory of route {d.Route}: {d.Address} -> {d.New.UserId}@{d.New.Node} (was {(d.Old is null ? "no entry" : $"{d.Old.UserId}@{d.Old.Node}")}) by {d.By}: {d.Why}",
        IGatewayEvent other => JsonSerializer.Serialize(other, other.GetType(), Json),
        _ => evt.ToString() ?? "",
    };

    public static JsonObject DeadLetter(DeadLetterEntry e) => (JsonObject)Node(e)!;

    private static string Lower(ActorGateway.Domain.Failures.Stage s) => s.ToString().ToLowerInvariant();
}
