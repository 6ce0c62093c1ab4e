using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Host.Cli;

/// <summary>
/// The CLI commands that talk to a running service through the admin API (they mirror it):
/// <c>deadletters list|show|groups|export|replay|purge</c>, <c>messages show</c>, <c>hold</c>, <c>release</c>, <c>status</c>.
/// </summary>
internal static class AdminCommands
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record Common(Option<string?> Admin, Option<string?> As, Option<bool> Json);

    private sealed record FilterOptions(Option<string?> Code, Option<string?> Stage, Option<string?> Route, Option<string?> Since, Option<string?> Until)
    {
        public IEnumerable<Option> All => [Code, Stage, Route, Since, Until];

        public string Query(ParseResult p)
        {
            var parts = new List<string>();
            void Add(string key, string? value)
            {
                if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={Uri.EscapeDataString(value)}");
            }
            Add("reason", p.GetValue(Code));
            Add("stage", p.GetValue(Stage));
            Add("route", p.GetValue(Route));
            Add("since", p.GetValue(Since));
            Add("until", p.GetValue(Until));
            return string.Join("&", parts);
        }
    }

    /// <summary>Adds the API-backed subcommands to <paramref name="deadletters"/> and returns the other top-level commands.</summary>
    public static IReadOnlyList<Command> Build(Command deadletters, TextWriter output, TextWriter errors, Func<Func<Task<int>>, Task<int>> guard)
    {
        var common = new Common(
            new Option<string?>("--admin") { Description = $"Admin API of the running service (default: ${AdminClient.UrlEnvironmentVariable}, else {AdminClient.DefaultUrl}). The token comes from $GATEWAY_ADMIN_TOKEN." },
            new Option<string?>("--as") { Description = "Who you are, recorded with the action in the journal (default: $USER)." },
            new Option<bool>("--json") { Description = "Print the API's JSON instead of a table." });
        var filter = new FilterOptions(
            new Option<string?>("--code") { Description = "Only entries with this reason code (comma-separated for several), e.g. GW-MAP-BLANK-DISPLAY-NAME." },
            new Option<string?>("--stage") { Description = "Only entries dead-lettered at this stage: mapping, delivery or notification." },
            new Option<string?>("--route") { Description = "Only entries of this route." },
            new Option<string?>("--since") { Description = "Only entries dead-lettered at or after this time (ISO 8601, e.g. 2026-11-23T10:00:00Z)." },
            new Option<string?>("--until") { Description = "Only entries dead-lettered before this time (ISO 8601)." });
        var reason = new Option<string?>("--reason") { Description = "Why: recorded with the action in the message's timeline." };
        var id = new Argument<string>("MESSAGE-ID") { Description = "The gateway's message id." };

        // deadletters list
        var limit = new Option<int?>("--limit") { Description = "list: show at most this many entries; replay --dry-run: examine at most this many (default 1000)." };
        var list = new Command("list", "List quarantined messages from the running service, optionally filtered.") { common.Admin, common.As, common.Json, limit };
        foreach (var o in filter.All) list.Add(o);
        list.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var query = filter.Query(p);
            if (p.GetValue(limit) is { } n) query = Join(query, $"limit={n}");
            var body = await client.GetAsync(Path("/api/v1/deadletters", query), ct);
            if (p.GetValue(common.Json)) Print(output, body);
            else AdminPresentation.DeadLetters(output, body);
            return ExitCodes.Ok;
        }));

        // deadletters groups
        var by = new Option<string>("--by") { Description = "Group by reason (default), stage or route.", DefaultValueFactory = _ => "reason" };
        var groups = new Command("groups", "Count quarantined messages grouped by reason code (or stage, route).") { common.Admin, common.As, common.Json, by };
        foreach (var o in filter.All) groups.Add(o);
        groups.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var body = await client.GetAsync(Path("/api/v1/deadletters/groups", Join(filter.Query(p), $"by={Uri.EscapeDataString(p.GetValue(by)!)}")), ct);
            if (p.GetValue(common.Json)) Print(output, body);
            else AdminPresentation.Groups(output, body);
            return ExitCodes.Ok;
        }));

        // deadletters show ID
        var show = new Command("show", "Show one quarantined message: its dead-letter entry and its timeline.") { id, common.Admin, common.As, common.Json };
        show.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var messageId = Id(p.GetValue(id)!);
            var entry = await client.GetAsync($"/api/v1/deadletters/{messageId}", ct);
            var message = await client.GetAsync($"/api/v1/messages/{messageId}", ct);
            if (p.GetValue(common.Json)) Print(output, new JsonObject { ["deadLetter"] = entry.DeepClone(), ["message"] = message.DeepClone() });
            else
            {
                AdminPresentation.DeadLetterEntry(output, entry);
                output.WriteLine();
                AdminPresentation.Message(output, message);
            }
            return ExitCodes.Ok;
        }));

        // deadletters export ID
        var file = new Option<string?>("--output", "-o") { Description = "Where to write the .eml (default: MESSAGE-ID.eml in the current directory; '-' for stdout)." };
        var export = new Command("export", "Export a message's original .eml, byte for byte.") { id, common.Admin, common.As, file };
        export.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var messageId = Id(p.GetValue(id)!);
            var bytes = await client.GetBytesAsync($"/api/v1/messages/{messageId}/eml", ct);
            var target = p.GetValue(file) ?? $"{messageId}.eml";
            if (target == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(bytes, ct);
            }
            else
            {
                await File.WriteAllBytesAsync(target, bytes, ct);
                await errors.WriteLineAsync($"wrote {bytes.Length} bytes to {target}");
            }
            return ExitCodes.Ok;
        }));

        // deadletters replay [ID] [filter] [--all] [--dry-run] [--wait]
        var optionalId = new Argument<string?>("MESSAGE-ID") { Description = "One message to replay; without it, every entry the filter matches.", Arity = ArgumentArity.ZeroOrOne };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show, per address, the old and the new mapping and whether the message would now map. Changes nothing." };
        var all = new Option<bool>("--all") { Description = "Replay the whole quarantine (a bulk replay needs a filter or this)." };
        var wait = new Option<bool>("--wait") { Description = "Bulk replay: wait until the job is done, printing its progress." };
        var replay = new Command("replay", "Replay quarantined messages with the current routes and directory (one by id, or all that match a filter; bulk replays are paced).")
        {
            optionalId, common.Admin, common.As, common.Json, reason, dryRun, all, wait, limit,
        };
        foreach (var o in filter.All) replay.Add(o);
        replay.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var one = p.GetValue(optionalId);
            var query = filter.Query(p);
            var json = p.GetValue(common.Json);
            if (one is not null)
            {
                if (query.Length > 0 || p.GetValue(all)) throw new CliError(ReasonCodes.CliBadArgument, "give a MESSAGE-ID or a filter (--code, --stage, --route, --since, --until, --all), not both", ExitCodes.BadArgument);
                var messageId = Id(one);
                if (p.GetValue(dryRun))
                {
                    var preview = await client.GetAsync($"/api/v1/messages/{messageId}/replay-preview", ct);
                    if (json) Print(output, preview);
                    else AdminPresentation.Preview(output, preview);
                    return ExitCodes.Ok;
                }
                var result = await client.PostAsync($"/api/v1/messages/{messageId}/replay", p.GetValue(reason), ct);
                if (json) Print(output, result);
                else output.WriteLine($"{result["code"]}: {messageId}: {result["detail"]} (by {result["by"]}; see 'gateway messages show {messageId}')");
                return ExitCodes.Ok;
            }
            if (query.Length == 0 && !p.GetValue(all)) throw new CliError(ReasonCodes.CliBadArgument, "give a MESSAGE-ID, a filter (--code, --stage, --route, --since, --until) or --all", ExitCodes.BadArgument);
            if (p.GetValue(dryRun))
            {
                var previewQuery = p.GetValue(limit) is { } n ? Join(query, $"limit={n}") : query;
                var previews = await client.GetAsync(Path("/api/v1/deadletters/replay-preview", previewQuery), ct);
                if (json) Print(output, previews);
                else AdminPresentation.BulkPreview(output, previews);
                return ExitCodes.Ok;
            }
            var job = await client.PostAsync(Path("/api/v1/deadletters/replay", p.GetValue(all) && query.Length == 0 ? "all=true" : query), p.GetValue(reason), ct);
            if (p.GetValue(wait))
            {
                while (!(bool)job["done"]!)
                {
                    await errors.WriteLineAsync($"replay job {job["id"]}: {job["replayed"]}/{job["matched"]} replayed, {job["outstanding"]} outstanding, {job["remaining"]} remaining");
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    job = await client.GetAsync($"/api/v1/replay-jobs/{job["id"]}", ct);
                }
            }
            if (json) Print(output, job);
            else AdminPresentation.Job(output, job);
            return ExitCodes.Ok;
        }));

        // deadletters purge ID --reason
        var requiredReason = new Option<string>("--reason") { Description = "Why (required): recorded in the journal as the audit record.", Required = true };
        var purge = new Command("purge", "Purge a quarantined message: delete its content; the timeline keeps who, when and why.") { id, requiredReason, common.Admin, common.As, common.Json };
        purge.SetAction((p, ct) => guard(() => ActAsync(p, common, id, "purge", p.GetValue(requiredReason), output, ct)));

        foreach (var c in new[] { list, groups, show, export, replay, purge }) deadletters.Add(c);

        // messages show ID
        var messageShow = new Command("show", "Show a message's state and its timeline from the journal.") { id, common.Admin, common.As, common.Json };
        messageShow.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var body = await client.GetAsync($"/api/v1/messages/{Id(p.GetValue(id)!)}", ct);
            if (p.GetValue(common.Json)) Print(output, body);
            else AdminPresentation.Message(output, body);
            return ExitCodes.Ok;
        }));
        var messages = new Command("messages", "Messages of the running service (through the admin API).") { messageShow };

        var hold = new Command("hold", "Hold a message: no stage runs for it (and no replay picks it up) until it is released.") { id, reason, common.Admin, common.As, common.Json };
        hold.SetAction((p, ct) => guard(() => ActAsync(p, common, id, "hold", p.GetValue(reason), output, ct)));
        var release = new Command("release", "Release a held message: it goes on from where it stopped.") { id, reason, common.Admin, common.As, common.Json };
        release.SetAction((p, ct) => guard(() => ActAsync(p, common, id, "release", p.GetValue(reason), output, ct)));

        var status = new Command("status", "The running service: messages in flight, the quarantine by reason, replay jobs.") { common.Admin, common.As, common.Json };
        status.SetAction((p, ct) => guard(async () =>
        {
            using var client = Client(p, common);
            var body = await client.GetAsync("/api/v1/status", ct);
            if (p.GetValue(common.Json)) Print(output, body);
            else AdminPresentation.Status(output, body, client.BaseAddress);
            return ExitCodes.Ok;
        }));

        return [messages, hold, release, status];
    }

    private static async Task<int> ActAsync(ParseResult p, Common common, Argument<string> id, string action, string? why, TextWriter output, CancellationToken ct)
    {
        using var client = Client(p, common);
        var messageId = Id(p.GetValue(id)!);
        var result = await client.PostAsync($"/api/v1/messages/{messageId}/{action}", why, ct);
        if (p.GetValue(common.Json)) Print(output, result);
        else output.WriteLine($"{result["code"]}: {messageId}: {result["detail"]} (by {result["by"]}: {result["why"]})");
        return ExitCodes.Ok;
    }

    private static AdminClient Client(ParseResult p, Common common) => new(p.GetValue(common.Admin), p.GetValue(common.As));

    private static MessageId Id(string text) =>
        MessageId.TryParse(text, out var id)
            ? id.Value
            : throw new CliError(ReasonCodes.CliBadArgument, $"'{text}' is not a message id (1-64 characters of A-Z, a-z, 0-9, '-' and '_')", ExitCodes.BadArgument);

    private static string Path(string path, string query) => query.Length == 0 ? path : $"{path}?{query}";

    private static string Join(string a, string b) => a.Length == 0 ? b : $"{a}&{b}";

    private static void Print(TextWriter output, JsonNode node) => output.WriteLine(node.ToJsonString(Pretty));
}
