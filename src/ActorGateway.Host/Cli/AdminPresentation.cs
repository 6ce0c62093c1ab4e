using System.Text.Json.Nodes;

namespace ActorGateway.Host.Cli;

/// <summary>Tables for people from the admin API's JSON (<c>--json</c> prints the JSON itself).</summary>
internal static class AdminPresentation
{
    public static void DeadLetters(TextWriter output, JsonObject body)
    {
        var entries = body["deadLetters"]!.AsArray();
        var count = (int)body["count"]!;
        if (count == 0)
        {
            output.WriteLine(Filtered(body) ? "No quarantined message matches." : "The dead-letter queue is empty.");
            return;
        }
        output.WriteLine($"{"MESSAGE ID",-32}  {"REASON",-30} {"STAGE",-9} {"ROUTE",-10} {"REPLAYS",-7} {"AT (UTC)",-20} {"RECIPIENT",-30} SOURCE");
        foreach (var e in entries)
        {
            output.WriteLine($"{S(e!["messageId"]),-32}  {S(e["reason"]),-30} {S(e["stage"]),-9} {S(e["route"]),-10} {(int?)e["replays"] ?? 0,-7} {Time(e["at"]),-20} {S(e["recipient"]),-30} {S(e["source"])}");
        }
        output.WriteLine();
        var shown = entries.Count < count ? $" (showing {entries.Count}; use --limit)" : "";
        output.WriteLine($"{count} quarantined message(s){shown}; see one with: gateway deadletters show MESSAGE-ID");
    }

    public static void DeadLetterEntry(TextWriter output, JsonObject e)
    {
        output.WriteLine($"In quarantine:  {S(e["reason"])} at {S(e["stage"])}{((bool?)e["partial"] == true ? " (partial: the other recipients were delivered)" : "")}, {Time(e["at"])}");
        output.WriteLine($"Error:          {S(e["errorType"])}: {S(e["errorMessage"])}");
        foreach (var r in e["recipients"]?.AsArray() ?? [])
        {
            output.WriteLine($"  {S(r!["role"]),-6} {S(r["address"]),-32} {S(r["reason"]),-30} {S(r["detail"])}");
        }
    }

    public static void Groups(TextWriter output, JsonObject body)
    {
        var groups = body["groups"]!.AsArray();
        if (groups.Count == 0)
        {
            output.WriteLine("The dead-letter queue is empty.");
            return;
        }
        output.WriteLine($"{S(body["by"]).ToUpperInvariant(),-32} {"COUNT",7}  {"OLDEST (UTC)",-20} NEWEST (UTC)");
        foreach (var g in groups) output.WriteLine($"{S(g!["key"]),-32} {(int)g["count"]!,7}  {Time(g["oldest"]),-20} {Time(g["newest"])}");
        output.WriteLine();
        output.WriteLine($"{(int)body["total"]!} quarantined message(s)");
    }

    public static void Message(TextWriter output, JsonObject m)
    {
        output.WriteLine($"Message {S(m["messageId"])}: {S(m["status"])}{((bool?)m["quarantined"] == true ? " (in quarantine)" : "")}, replays {(int?)m["replays"] ?? 0}");
        if (m["sender"] is JsonObject sender) output.WriteLine($"From:     {Address(sender)}");
        foreach (var r in m["recipients"]?.AsArray() ?? []) output.WriteLine($"{S(r!["role"]) + ":",-9} {Address(r.AsObject())}");
        output.WriteLine($"Subject:  {S(m["subject"])}");
        output.WriteLine($"Source:   {S(m["source"])}; original {((bool?)m["contentAvailable"] == true ? "kept (gateway deadletters export)" : "not kept")}");
        if (m["held"] is JsonObject held) output.WriteLine($"Held:     by {S(held["by"])} at {Time(held["at"])}: {S(held["why"])}");
        output.WriteLine("Timeline:");
        foreach (var t in m["timeline"]!.AsArray())
        {
            output.WriteLine($"  {Time(t!["at"], withMilliseconds: true),-24} #{(long)t["sequenceNr"]!,-3} {S(t["type"]),-28} {S(t["summary"])}");
        }
    }

    public static void Preview(TextWriter output, JsonObject p)
    {
        var would = (bool)p["wouldMap"]!;
        output.WriteLine($"Dry run of a replay of {S(p["messageId"])}: {(would ? "it would now map" : "it would NOT map")} " +
                         $"({(int)p["wouldMapCount"]!} recipient(s) map, {(int)p["stillFailing"]!} still fail). Nothing was changed.");
        output.WriteLine($"  {"ROLE",-6} {"ADDRESS",-32} {"BEFORE",-34} {"NOW",-34} CHANGED");
        foreach (var a in p["addresses"]!.AsArray())
        {
            output.WriteLine($"  {S(a!["role"]),-6} {S(a["address"]),-32} {Outcome(a["old"]!),-34} {Outcome(a["new"]!),-34} {((bool)a["changed"]! ? "yes" : "no")}");
        }
    }

    public static void BulkPreview(TextWriter output, JsonObject body)
    {
        var examined = (int)body["examined"]! < (int)body["matched"]! ? $" (the first {(int)body["examined"]!} examined; use --limit)" : "";
        output.WriteLine($"Dry run: {(int)body["matched"]!} matched{examined}; {(int)body["wouldMap"]!} would now map, {(int)body["wouldNotMap"]!} would not" +
                         $"{((int)body["leftQuarantine"]! > 0 ? $", {(int)body["leftQuarantine"]!} left the quarantine meanwhile" : "")}. Nothing was changed.");
        foreach (var p in body["previews"]!.AsArray())
        {
            var failing = p!["addresses"]!.AsArray().Where(a => S(a!["new"]!["kind"]) == "failed").Select(a => $"{S(a!["address"])} {S(a["new"]!["code"])}");
            output.WriteLine($"  {S(p["messageId"]),-32} {((bool)p["wouldMap"]! ? "maps" : "FAILS"),-6} {string.Join("; ", failing)}");
        }
    }

    public static void Job(TextWriter output, JsonObject j)
    {
        output.WriteLine($"Replay job {S(j["id"])}: {S(j["state"])}; matched {(int)j["matched"]!}, replayed {(int)j["replayed"]!}, outstanding {(int)j["outstanding"]!}, remaining {(int)j["remaining"]!}");
        output.WriteLine($"  filter '{S(j["filter"])}', by {S(j["by"])}: {S(j["why"])}; at most {(double)j["rate"]!}/s and {(int)j["outstandingBound"]!} outstanding");
        var outcomes = j["outcomes"]!.AsObject().Select(kv => $"{(int)kv.Value!} {kv.Key}").ToList();
        if (outcomes.Count > 0) output.WriteLine($"  outcomes: {string.Join(", ", outcomes)}");
        foreach (var s in j["skipped"]!.AsArray()) output.WriteLine($"  skipped {S(s!["messageId"])}: {S(s["code"])} {S(s["detail"])}");
        foreach (var f in j["failed"]!.AsArray()) output.WriteLine($"  failed  {S(f!["messageId"])}: {S(f["code"])} {S(f["detail"])}");
        if (!(bool)j["done"]!) output.WriteLine($"  follow it with: GET /api/v1/replay-jobs/{S(j["id"])} (or run the replay with --wait)");
    }

    public static void Status(TextWriter output, JsonObject s, Uri admin)
    {
        var g = s["gateway"]!;
        output.WriteLine($"Gateway at {admin}: {(((bool?)g["recovered"]) == true ? "running" : "recovering")}; in flight {(int)g["registered"]!} of {(int)g["maxInFlight"]!} " +
                         $"({(int)g["running"]!} actors running, {(int)g["waiting"]!} submissions waiting)");
        output.WriteLine($"Quarantine: {(int)s["deadLetters"]!["count"]!} message(s)");
        foreach (var (reason, count) in s["deadLetters"]!["byReason"]!.AsObject()) output.WriteLine($"  {reason,-32} {(int)count!,7}");
        output.WriteLine($"Replay jobs running: {(int)s["replayJobs"]!}");
    }

    private static string Outcome(JsonNode o) => S(o["kind"]) switch
    {
        "mapped" => $"{S(o["target"])}{(o["route"] is null ? "" : $" ({S(o["route"])})")}",
        "delivered" => $"delivered {S(o["target"])}",
        "failed" => S(o["code"]),
        _ => "-",
    };

    private static bool Filtered(JsonObject body) => S(body["filter"]) is { Length: > 0 } f && f != "-";

    private static string Address(JsonObject a) => a["displayName"] is null ? $"<{S(a["address"])}>" : $"\"{S(a["displayName"])}\" <{S(a["address"])}>";

    private static string S(JsonNode? node) => node is null ? "-" : node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();

    private static string Time(JsonNode? node, bool withMilliseconds = false) =>
        node is not null && DateTimeOffset.TryParse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? at.UtcDateTime.ToString(withMilliseconds ? "yyyy-MM-dd HH:mm:ss.fff'Z'" : "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
            : "-";
}
