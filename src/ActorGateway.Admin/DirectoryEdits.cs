using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Cluster;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Route = ActorGateway.Domain.Mapping.Route;

namespace ActorGateway.Admin;

/// <summary>
/// Directory entries an operator adds or replaces through the admin API (the console's guided mapping fix):
/// <list type="bullet">
/// <item><c>POST /api/v1/directory/dry-run</c> (a read): what would change, and each named message's replay under the changed directory.</item>
/// <item><c>POST /api/v1/directory/entries</c> (a mutation): journals one <see cref="OperatorEvents.DirectoryEntrySet"/> per change
/// (who, why, when, old and new), then rewrites the route's directory file atomically (<see cref="DurableFile"/>) and has
/// the route reloader pick it up.</item>
/// <item><c>GET /api/v1/directory/history</c>: that journal record.</item>
/// </list>
/// An entry is checked by <see cref="AddressDirectory.Check"/>, the rule the directory file is read with.
/// </summary>
public static class DirectoryEdits
{
    public const int MaxEntries = 100;
    public const int MaxPreviews = 100;
    private static readonly string[] BodyFields = ["entries", "why", "messageIds"];

    public static void MapRead(RouteGroupBuilder read, AdminContext ctx)
    {
        read.MapPost("/directory/dry-run", (HttpRequest req, CancellationToken ct) => DryRunAsync(ctx, req, ct));
        read.MapGet("/directory/history", async (CancellationToken ct) =>
        {
            var timeline = await JournalQueries.TimelineAsync(ctx.System, DirectoryAuditActor.Name, ct);
            return Results.Json(new JsonObject { ["history"] = AdminViews.Timeline(timeline) }, AdminViews.Json);
        });
    }

    public static void MapMutate(RouteGroupBuilder mutate, AdminContext ctx) =>
        mutate.MapPost("/directory/entries", (HttpRequest req, CancellationToken ct) => SetAsync(ctx, req, ct));

    /// <summary>One requested entry, resolved to its route and file, with the entry it replaces.</summary>
    private sealed record Change(DirectoryEntry New, DirectoryEntry? Old, Route Route, ProfsAddressProfile Profile, string File)
    {
        public bool Unchanged => Old is not null && Old.UserId == New.UserId && Old.Node == New.Node;

        public JsonObject View() => new()
        {
            ["address"] = New.SourceAddress,
            ["route"] = Route.Name,
            ["file"] = File,
            ["old"] = Old is null ? null : new JsonObject { ["userId"] = Old.UserId, ["node"] = Old.Node, ["target"] = $"{Old.UserId}@{Old.Node}" },
            ["new"] = new JsonObject { ["userId"] = New.UserId, ["node"] = New.Node, ["target"] = $"{New.UserId}@{New.Node}" },
            ["unchanged"] = Unchanged,
        };
    }

    private sealed record Request(IReadOnlyList<(string Address, string UserId, string Node)> Entries, string? Why, IReadOnlyList<MessageId> MessageIds);

    private static async Task<IResult> DryRunAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        var (request, bad) = await ParseAsync(req, ct);
        if (bad is not null) return bad;
        var routes = await AdminApi.CurrentRoutesAsync(ctx, ct);
        var (changes, invalid) = Resolve(ctx, request!, routes);
        if (invalid is not null) return invalid;
        var body = new JsonObject
        {
            ["dryRun"] = true,
            ["changes"] = new JsonArray(changes!.Select(c => (JsonNode)c.View()).ToArray()),
            ["previews"] = await PreviewsAsync(ctx, request!.MessageIds, Apply(routes, changes!), ct),
        };
        return Results.Json(body, AdminViews.Json);
    }

    private static async Task<IResult> SetAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        if (AdminApi.Operator(req, out var by) is { } badOperator) return badOperator;
        var (request, bad) = await ParseAsync(req, ct);
        if (bad is not null) return bad;
        if (request!.Why is null) return Problems.BadRequest("a directory change needs a reason: send {\"why\": \"...\"}; it is kept in the journal with the old and the new entry");

        // One edit at a time: each reads the file the previous one wrote.
        await ctx.DirectoryLock.WaitAsync(ct);
        try
        {
            var routes = await AdminApi.CurrentRoutesAsync(ctx, ct);
            var (changes, invalid) = Resolve(ctx, request, routes);
            if (invalid is not null) return invalid;
            var now = DateTimeOffset.UtcNow;
            var toWrite = changes!.Where(c => !c.Unchanged).ToList();
            var events = toWrite.Select(c => new OperatorEvents.DirectoryEntrySet(c.Route.Name, c.File, c.New.SourceAddress, c.Old, c.New, by, request.Why, now)).ToList();

            // The record first: a crash after it and before the rename leaves a record of a change not on disk
            // (the file keeps its old content), never a change on disk without its record.
            var recorded = await DirectoryAuditActor.RecordAsync(ctx.System, events, ctx.Node.Settings.OperatorTimeout, ct);
            if (ClusterSettings.From(ctx.System.Settings.Config).Enabled)
            {
                // In a cluster the record is the source: every node's DirectorySyncActor writes its own files from it, this
                // node's included. Answer once this node has (the others follow within the query's refresh interval).
                if (toWrite.Count > 0)
                {
                    try
                    {
                        await DirectorySyncActor.WaitAppliedAsync(ctx.System, recorded.SequenceNr, ctx.Node.Settings.OperatorTimeout, ct);
                    }
                    catch (AskTimeoutException)
                    {
                        return Problems.Of(StatusCodes.Status500InternalServerError, ReasonCodes.DirectoryWriteFailed, "Directory not written yet",
                            $"the change is recorded as directory event {recorded.SequenceNr}, but this node has not written it to its directory file within {ctx.Node.Settings.OperatorTimeout.TotalSeconds:0} s; its log says why (GW-DIRECTORY-WRITE-FAILED), and it keeps trying");
                    }
                }
            }
            else
            {
                foreach (var file in toWrite.GroupBy(c => c.File))
                {
                    try
                    {
                        await DirectoryFiles.UpsertAsync(file.Key, file.Select(c => c.New), ct);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        return Problems.Of(StatusCodes.Status500InternalServerError, ReasonCodes.DirectoryWriteFailed, "Directory not written",
                            $"{file.Key} was not rewritten and keeps its old content: {ex.Message} (the journal records the attempted change as directory event {recorded.SequenceNr})");
                    }
                }
            }
            var reloaded = await RouteReloaderActor.ReloadNowAsync(ctx.System, ctx.Options.CheckTimeout, ct);
            var body = new JsonObject
            {
                ["dryRun"] = false,
                ["code"] = ReasonCodes.DirectoryEntrySet,
                ["changed"] = toWrite.Count,
                ["changes"] = new JsonArray(changes!.Select(c => (JsonNode)c.View()).ToArray()),
                ["by"] = by,
                ["why"] = request.Why,
                ["at"] = now.ToString("O"),
                ["journalSequenceNr"] = toWrite.Count == 0 ? null : recorded.SequenceNr,
                ["reloadError"] = reloaded.Error,
            };
            return Results.Json(body, AdminViews.Json);
        }
        finally
        {
            ctx.DirectoryLock.Release();
        }
    }

    /// <summary>Each entry's route, file and old entry; or the problem for the first entries that cannot be set.</summary>
    private static (IReadOnlyList<Change>? Changes, IResult? Problem) Resolve(AdminContext ctx, Request request, RouteTable routes)
    {
        var changes = new List<Change>();
        var invalid = new List<JsonNode>();
        var notEditable = new List<JsonNode>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (address, userId, node) in request.Entries)
        {
            var domain = address.Contains('@') ? address[(address.LastIndexOf('@') + 1)..] : "";
            var route = routes.Find(domain);
            var maxLength = (route?.Profile as ProfsAddressProfile)?.MaxLength ?? 8;
            if (AddressDirectory.Check(address, userId, node, maxLength) is { } problem)
            {
                invalid.Add(Error(address, problem));
                continue;
            }
            if (!seen.Add(address))
            {
                invalid.Add(Error(address, $"'{address}' is given more than once"));
                continue;
            }
            if (route is null)
            {
                notEditable.Add(Error(address, $"no route covers domain '{domain}', so no directory maps it"));
                continue;
            }
            if (route.Profile is not ProfsAddressProfile profs)
            {
                notEditable.Add(Error(address, $"route '{route.Name}' maps with a {route.Profile.Kind} profile, which has no directory"));
                continue;
            }
            var file = RouteConfig.DirectoryFile(ctx.System.Settings.Config, ctx.Node.Settings.DataDir, route.Name);
            if (file is null)
            {
                notEditable.Add(Error(address, $"route '{route.Name}' has no directory file (set profile.directory in its configuration)"));
                continue;
            }
            var entry = new DirectoryEntry(address, userId.ToUpperInvariant(), node.ToUpperInvariant());
            changes.Add(new Change(entry, profs.Directory.TryFind(address, out var old) ? old : null, route, profs, file));
        }
        if (invalid.Count > 0)
        {
            return (null, Problems.Of(StatusCodes.Status400BadRequest, ReasonCodes.DirectoryInvalidEntry, "Invalid directory entry",
                string.Join("; ", invalid.Select(e => (string)e["detail"]!)), new Dictionary<string, object?> { ["errors"] = new JsonArray(invalid.ToArray()) }));
        }
        if (notEditable.Count > 0)
        {
            return (null, Problems.Of(StatusCodes.Status409Conflict, ReasonCodes.DirectoryNotEditable, "No directory for this address",
                string.Join("; ", notEditable.Select(e => (string)e["detail"]!)), new Dictionary<string, object?> { ["errors"] = new JsonArray(notEditable.ToArray()) }));
        }
        return (changes, null);

        static JsonNode Error(string address, string detail) => new JsonObject { ["address"] = address, ["detail"] = detail };
    }

    /// <summary>The route table as it would be with <paramref name="changes"/> in the directories.</summary>
    private static RouteTable Apply(RouteTable routes, IReadOnlyList<Change> changes) =>
        new(routes.Routes.Select(r =>
        {
            var mine = changes.Where(c => ReferenceEquals(c.Route, r)).ToList();
            if (mine.Count == 0 || r.Profile is not ProfsAddressProfile p) return r;
            var directory = mine.Aggregate(p.Directory, (d, c) => d.With(c.New));
            return r with { Profile = new ProfsAddressProfile(p.Node, p.Template, directory, p.MaxLength) };
        }).ToList());

    private static async Task<JsonArray> PreviewsAsync(AdminContext ctx, IReadOnlyList<MessageId> ids, RouteTable routes, CancellationToken ct)
    {
        var previews = new JsonArray();
        foreach (var id in ids)
        {
            var view = await ctx.Node.Operations.GetMessageAsync(id, ct);
            if (view?.State.Accepted is null)
            {
                previews.Add(new JsonObject { ["messageId"] = id.Value, ["skipped"] = ReasonCodes.MessageNotFound, ["detail"] = $"no message {id} in the journal" });
                continue;
            }
            var decision = OperatorPolicy.Decide(view.State, Domain.Operations.OperatorAction.Replay);
            if (decision.Verdict is OperatorVerdict.Conflict or OperatorVerdict.NotFound)
            {
                previews.Add(new JsonObject { ["messageId"] = id.Value, ["skipped"] = decision.Code, ["detail"] = decision.Detail });
                continue;
            }
            previews.Add(AdminViews.Node(ReplayPreview.For(id, view.State, routes)));
        }
        return previews;
    }

    private static async Task<(Request? Request, IResult? Problem)> ParseAsync(HttpRequest req, CancellationToken ct)
    {
        using var reader = new StreamReader(req.Body);
        var text = await reader.ReadToEndAsync(ct);
        const string shape = "the body must be a JSON object like {\"entries\": [{\"address\": \"jdoe@contoso.com\", \"userId\": \"JDOE\", \"node\": \"VMNODE1\"}], \"why\": \"...\", \"messageIds\": [\"...\"]}";
        JsonObject obj;
        try
        {
            if (JsonNode.Parse(text) is not JsonObject o) return (null, Problems.BadRequest(shape));
            obj = o;
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest($"the body is not valid JSON: {ex.Message}"));
        }
        if (obj.Select(kv => kv.Key).FirstOrDefault(k => !BodyFields.Contains(k)) is { } unknown)
        {
            return (null, Problems.BadRequest($"unknown body field '{unknown}' (expected: {string.Join(", ", BodyFields)})"));
        }
        if (obj["entries"] is not JsonArray { Count: > 0 } array) return (null, Problems.BadRequest("entries must be a non-empty array; " + shape));
        if (array.Count > MaxEntries) return (null, Problems.BadRequest($"at most {MaxEntries} entries per request"));
        var entries = new List<(string, string, string)>();
        foreach (var item in array)
        {
            if (item is not JsonObject e || e.Any(kv => kv.Key is not ("address" or "userId" or "node")) || Str(e["address"]) is not { } a || Str(e["userId"]) is not { } u || Str(e["node"]) is not { } n)
            {
                return (null, Problems.BadRequest("each entry is an object with the strings address, userId and node"));
            }
            entries.Add((a.Trim(), u.Trim(), n.Trim()));
        }
        string? why = null;
        if (obj["why"] is { } w)
        {
            if (Str(w) is not { } s) return (null, Problems.BadRequest("why must be a string"));
            if (s.Trim().Length > 1000) return (null, Problems.BadRequest("why is longer than 1000 characters"));
            why = s.Trim().Length == 0 ? null : s.Trim();
        }
        var ids = new List<MessageId>();
        if (obj["messageIds"] is { } m)
        {
            if (m is not JsonArray idArray || idArray.Count > MaxPreviews) return (null, Problems.BadRequest($"messageIds must be an array of at most {MaxPreviews} message ids"));
            foreach (var idNode in idArray)
            {
                if (Str(idNode) is not { } idText || !MessageId.TryParse(idText, out var parsed)) return (null, Problems.BadRequest($"'{idNode}' is not a message id"));
                ids.Add(parsed.Value);
            }
        }
        return (new Request(entries, why, ids), null);

        static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }
}
