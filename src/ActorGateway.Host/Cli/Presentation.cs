using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Serialization;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Host.Cli;

/// <summary>Renders CLI output: plain tables for people, JSON for scripts.</summary>
public static class Presentation
{
    public static readonly JsonSerializerOptions Json = new(GatewayJsonSerializer.Options) { WriteIndented = true };

    public static string ProcessJson(IReadOnlyList<FileOutcome> outcomes) =>
        new JsonObject
        {
            ["messages"] = new JsonArray(outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["id"] = o.Id,
                ["source"] = o.Source,
                ["outcome"] = o.Outcome,
                ["reason"] = o.Reason,
            }).ToArray()),
        }.ToJsonString(Json);

    public static void ProcessTable(TextWriter output, IReadOnlyList<FileOutcome> outcomes)
    {
        foreach (var o in outcomes)
        {
            output.WriteLine($"{o.Outcome,-14} {o.Id ?? "-",-32}  {Path.GetFileName(o.Source)}{(o.Reason is null ? "" : "  " + o.Reason)}");
        }
        output.WriteLine();
        output.WriteLine(string.Join(", ", outcomes.GroupBy(o => o.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}")) +
                         $" ({outcomes.Count} file(s))");
    }

    public static string TimelineJson(MessageId id, IReadOnlyList<TimelineEntry> timeline) =>
        new JsonObject
        {
            ["messageId"] = id.Value,
            ["events"] = new JsonArray(timeline.Select(t => (JsonNode)new JsonObject
            {
                ["sequenceNr"] = t.SequenceNr,
                ["type"] = t.Manifest,
                ["at"] = t.At?.ToString("O"),
                ["event"] = JsonSerializer.SerializeToNode(t.Event, t.Event.GetType(), GatewayJsonSerializer.Options),
            }).ToArray()),
        }.ToJsonString(Json);

    public static void TimelineTable(TextWriter output, MessageId id, IReadOnlyList<TimelineEntry> timeline)
    {
        output.WriteLine($"Timeline of {id} (persistence id {id.PersistenceId})");
        foreach (var t in timeline)
        {
            output.WriteLine($"{t.At?.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'") ?? "-",-24} #{t.SequenceNr,-3} {t.Manifest,-26} {Summarize(t.Event)}");
        }
    }

    public static string Summarize(object evt) => evt switch
    {
        MessageAccepted a => $"from {a.Envelope.Sender} to {a.Envelope.Recipients.Count} recipient(s): {string.Join(", ", a.Envelope.Recipients)}; {a.SizeBytes} bytes; source {a.Source}",
        RecipientsMapped m => $"sender {m.Sender.Source} -> {m.Sender.Target}; " + string.Join("; ", m.Recipients.Select(r => $"{r.Source} -> {r.Target} ({r.Method})")),
        MessageDelivered d => $"via {d.Transport} to {d.Location}{(d.AlreadyPresent ? " (already present: not written again)" : "")}; attempt {d.Attempts}",
        MessageDeadLettered x => $"{x.Reason} at {x.Stage.ToString().ToLowerInvariant()}; recipient {x.Recipient ?? "-"}; {x.ErrorType}: {x.ErrorMessage}; attempts {x.Attempts}",
        OperatorEvents.ReplayRequested r => $"replay {r.Replay} by {r.By}: {r.Why}",
        OperatorEvents.MessageHeld h => $"held by {h.By}: {h.Why}",
        OperatorEvents.HoldReleased h => $"released by {h.By}: {h.Why}",
        OperatorEvents.MessagePurged p => $"purged by {p.By}: {p.Why} (content deleted)",
        IGatewayEvent other => JsonSerializer.Serialize(other, other.GetType(), GatewayJsonSerializer.Options),
        _ => evt.ToString() ?? "",
    };

    public static string DeadLettersJson(IReadOnlyList<DeadLetterEntry> entries) =>
        new JsonObject { ["deadLetters"] = JsonSerializer.SerializeToNode(entries, GatewayJsonSerializer.Options) }.ToJsonString(Json);

    public static void DeadLettersTable(TextWriter output, IReadOnlyList<DeadLetterEntry> entries)
    {
        if (entries.Count == 0)
        {
            output.WriteLine("The dead-letter queue is empty.");
            return;
        }
        output.WriteLine($"{"MESSAGE ID",-32}  {"REASON",-30} {"STAGE",-9} {"ATTEMPTS",-8} {"AT (UTC)",-20} {"RECIPIENT",-30} SOURCE");
        foreach (var e in entries)
        {
            output.WriteLine($"{e.MessageId.Value,-32}  {e.Reason,-30} {e.Stage.ToString().ToLowerInvariant(),-9} {e.Attempts,-8} {e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {e.Recipient ?? "-",-30} {e.Source ?? "-"}");
        }
        output.WriteLine();
        output.WriteLine($"{entries.Count} dead-lettered message(s); see one with: gateway journal MESSAGE-ID");
    }
}
