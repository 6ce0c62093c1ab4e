using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ActorGateway.Actors;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGateway.Admin;

/// <summary>Everything the endpoints need, built once per server.</summary>
public sealed class AdminContext(ActorSystem system, GatewayNode node, AdminOptions options, ReplayJobs jobs, Readiness readiness, PrometheusExporter metrics)
{
    public ActorSystem System { get; } = system;
    public GatewayNode Node { get; } = node;
    public AdminOptions Options { get; } = options;
    public ReplayJobs Jobs { get; } = jobs;
    public Readiness Readiness { get; } = readiness;
    public PrometheusExporter Metrics { get; } = metrics;
    public AdminAuth Auth { get; } = new(options.Token);

    /// <summary>Directory edits one at a time (<see cref="DirectoryEdits"/>).</summary>
    public SemaphoreSlim DirectoryLock { get; } = new(1, 1);

    /// <summary>Set once Kestrel is bound.</summary>
    public bool Listening { get; set; }
}

/// <summary>
/// The admin HTTP API's endpoints. Handlers stay thin: they validate, call <c>GatewayOperations</c>
/// (actions, journal reads), <see cref="ReplayPreview"/>, <see cref="DeadLetterFilter"/> or <see cref="ReplayJobs"/>,
/// and turn the answer into JSON or an RFC 7807 problem.
/// </summary>
public static class AdminApi
{
    public const string OperatorHeader = "X-Gateway-Operator";
    public const string DefaultOperator = "admin-api";
    public const string Prefix = "/api/v1";
    private const int DefaultListLimit = 1000;

    public static void Map(IEndpointRouteBuilder app, AdminContext ctx)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        app.MapGet("/readyz", (CancellationToken ct) => ReadyAsync(ctx, ct));
        app.MapGet("/metrics", () => Results.Text(ctx.Metrics.Scrape(), PrometheusExporter.ContentType));

        var read = app.MapGroup(Prefix).AddEndpointFilter(ctx.Auth.Filter(AdminAccess.Read));
        read.MapGet("/status", (CancellationToken ct) => StatusAsync(ctx, ct));
        read.MapGet("/messages/{id}", (string id, CancellationToken ct) => MessageAsync(ctx, id, ct));
        read.MapGet("/messages/{id}/eml", (string id, CancellationToken ct) => ExportAsync(ctx, id, ct));
        read.MapGet("/messages/{id}/replay-preview", (string id, CancellationToken ct) => PreviewAsync(ctx, id, ct));
        read.MapGet("/deadletters", (HttpRequest req, CancellationToken ct) => DeadLettersAsync(ctx, req, ct));
        read.MapGet("/deadletters/groups", (HttpRequest req, CancellationToken ct) => GroupsAsync(ctx, req, ct));
        read.MapGet("/deadletters/replay-preview", (HttpRequest req, CancellationToken ct) => BulkPreviewAsync(ctx, req, ct));
        read.MapGet("/deadletters/{id}", (string id, CancellationToken ct) => DeadLetterAsync(ctx, id, ct));
        read.MapGet("/replay-jobs", () => Results.Json(new { jobs = ctx.Jobs.List() }, AdminViews.Json));
        read.MapGet("/replay-jobs/{jobId}", (string jobId) =>
            ctx.Jobs.Get(jobId) is { } job ? Results.Json(job.View(), AdminViews.Json) : Problems.NotFound(ReasonCodes.AdminNotFound, $"no replay job {jobId}"));
        DirectoryEdits.MapRead(read, ctx);

        var mutate = app.MapGroup(Prefix).AddEndpointFilter(ctx.Auth.Filter(AdminAccess.Mutate));
        mutate.MapPost("/messages/{id}/replay", (string id, HttpRequest req, CancellationToken ct) => ActAsync(ctx, id, req, "replay", ct));
        mutate.MapPost("/messages/{id}/hold", (string id, HttpRequest req, CancellationToken ct) => ActAsync(ctx, id, req, "hold", ct));
        mutate.MapPost("/messages/{id}/release", (string id, HttpRequest req, CancellationToken ct) => ActAsync(ctx, id, req, "release", ct));
        mutate.MapPost("/messages/{id}/purge", (string id, HttpRequest req, CancellationToken ct) => ActAsync(ctx, id, req, "purge", ct));
        mutate.MapPost("/deadletters/replay", (HttpRequest req, CancellationToken ct) => BulkReplayAsync(ctx, req, ct));
        mutate.MapDelete("/replay-jobs/{jobId}", (string jobId) =>
        {
            if (ctx.Jobs.Get(jobId) is not { } job) return Problems.NotFound(ReasonCodes.AdminNotFound, $"no replay job {jobId}");
            job.Cancel();
            return Results.Json(job.View(), AdminViews.Json, statusCode: StatusCodes.Status202Accepted);
        });
        DirectoryEdits.MapMutate(mutate, ctx);
    }

    private static async Task<IResult> ReadyAsync(AdminContext ctx, CancellationToken ct)
    {
        var checks = await ctx.Readiness.CheckAsync(ctx.Listening, ct);
        var body = checks.ToDictionary(c => c.Name, c => (object?)new { ok = c.Ok, detail = c.Detail });
        if (checks.All(c => c.Ok)) return Results.Json(new { status = "ready", checks = body });
        var failed = checks.Where(c => !c.Ok).ToList();
        return Problems.Of(StatusCodes.Status503ServiceUnavailable, ReasonCodes.AdminNotReady, "Not ready",
            string.Join("; ", failed.Select(c => $"{c.Name}: {c.Detail}")), new Dictionary<string, object?> { ["checks"] = body });
    }

    private static async Task<IResult> StatusAsync(AdminContext ctx, CancellationToken ct)
    {
        var status = await ctx.Node.Operations.StatusAsync(ct);
        var deadLetters = await ctx.Node.Operations.DeadLettersAsync(ct);
        return Results.Json(new
        {
            gateway = new { status.Registered, status.Running, status.Waiting, status.Recovered, maxInFlight = ctx.Node.Settings.MaxInFlight, status.Partitions, status.PartitionsAnswering },
            deadLetters = new { count = deadLetters.Count, byReason = DeadLetterGrouping.Group(deadLetters, "reason").ToDictionary(g => g.Key, g => g.Count) },
            replayJobs = ctx.Jobs.List().Count(j => !j.Done),
            routes = ctx.Node.Parts.Routes.Current.Routes.Select(r => r.Name),
        }, AdminViews.Json);
    }

    private static async Task<IResult> MessageAsync(AdminContext ctx, string id, CancellationToken ct)
    {
        if (ParseId(id, out var messageId) is { } bad) return bad;
        var view = await ctx.Node.Operations.GetMessageAsync(messageId, ct);
        return view is null
            ? NoMessage(messageId)
            : Results.Json(AdminViews.Message(view, ctx.Node.Operations.Content.Exists(messageId)), AdminViews.Json);
    }

    private static async Task<IResult> ExportAsync(AdminContext ctx, string id, CancellationToken ct)
    {
        if (ParseId(id, out var messageId) is { } bad) return bad;
        var content = ctx.Node.Operations.Content;
        if (!content.Exists(messageId))
        {
            var view = await ctx.Node.Operations.GetMessageAsync(messageId, ct);
            return view is null
                ? NoMessage(messageId)
                : Problems.NotFound(ReasonCodes.ContentMissing, view.State.Purged is not null
                    ? $"message {messageId} was purged by {view.State.Purged.By} at {view.State.Purged.At:O}; its content is gone"
                    : $"the original of message {messageId} is no longer kept (it is deleted once delivered)");
        }
        byte[] bytes;
        try
        {
            bytes = await content.ReadAsync(messageId, ct);
        }
        catch (FileNotFoundException)
        {
            return Problems.NotFound(ReasonCodes.ContentMissing, $"the original of message {messageId} is gone");
        }
        return Results.File(bytes, "message/rfc822", $"{messageId}.eml");
    }

    private static async Task<IResult> PreviewAsync(AdminContext ctx, string id, CancellationToken ct)
    {
        if (ParseId(id, out var messageId) is { } bad) return bad;
        var view = await ctx.Node.Operations.GetMessageAsync(messageId, ct);
        if (view is null || view.State.Accepted is null) return NoMessage(messageId);
        // The same rule the message actor applies to a replay: a dry run answers as the replay would.
        var decision = OperatorPolicy.Decide(view.State, OperatorAction.Replay);
        if (decision.Verdict is OperatorVerdict.Conflict or OperatorVerdict.NotFound)
        {
            return Problems.From(new OperatorProtocol.Result(messageId, decision.Verdict == OperatorVerdict.NotFound ? OperationStatus.NotFound : OperationStatus.Conflict, decision.Code, decision.Detail));
        }
        var routes = await CurrentRoutesAsync(ctx, ct);
        return Results.Json(ReplayPreview.For(messageId, view.State, routes), AdminViews.Json);
    }

    private static async Task<IResult> DeadLettersAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        if (Filter(req, out var filter, "limit") is { } bad) return bad;
        if (Limit(req, out var limit) is { } badLimit) return badLimit;
        var matched = (await ctx.Node.Operations.DeadLettersAsync(ct)).Where(filter.Matches).ToList();
        return Results.Json(new { count = matched.Count, filter = filter.ToQueryString(), deadLetters = matched.Take(limit) }, AdminViews.Json);
    }

    private static async Task<IResult> GroupsAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        if (Filter(req, out var filter, "by") is { } bad) return bad;
        var by = req.Query["by"].ToString() is { Length: > 0 } b ? b.ToLowerInvariant() : "reason";
        if (!DeadLetterGrouping.By.Contains(by)) return Problems.BadRequest($"by '{by}' is not one of {string.Join(", ", DeadLetterGrouping.By)}");
        var matched = (await ctx.Node.Operations.DeadLettersAsync(ct)).Where(filter.Matches).ToList();
        return Results.Json(new { by, total = matched.Count, groups = DeadLetterGrouping.Group(matched, by) }, AdminViews.Json);
    }

    private static async Task<IResult> DeadLetterAsync(AdminContext ctx, string id, CancellationToken ct)
    {
        if (ParseId(id, out var messageId) is { } bad) return bad;
        var entry = (await ctx.Node.Operations.DeadLettersAsync(ct)).FirstOrDefault(e => e.MessageId == messageId);
        if (entry is not null) return Results.Json(entry, AdminViews.Json);
        var view = await ctx.Node.Operations.GetMessageAsync(messageId, ct);
        return view is null ? NoMessage(messageId) : Problems.NotFound(ReasonCodes.NotInQuarantine, $"message {messageId} is not in quarantine (it is {OperatorPolicy.Describe(view.State)})");
    }

    private static async Task<IResult> BulkPreviewAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        if (Filter(req, out var filter, "limit") is { } bad) return bad;
        if (Limit(req, out var limit) is { } badLimit) return badLimit;
        var matched = (await ctx.Node.Operations.DeadLettersAsync(ct)).Where(filter.Matches).ToList();
        var routes = await CurrentRoutesAsync(ctx, ct);
        // Each preview reads one message's journal: the first `limit` matches are examined, not all of a huge group.
        var previews = new List<ReplayPreview>();
        int wouldMap = 0, stillFailing = 0, gone = 0;
        foreach (var entry in matched.Take(limit))
        {
            var view = await ctx.Node.Operations.GetMessageAsync(entry.MessageId, ct);
            if (view?.State.Accepted is null || !view.State.IsQuarantined)
            {
                gone++;
                continue;
            }
            var preview = ReplayPreview.For(entry.MessageId, view.State, routes);
            if (preview.WouldMap) wouldMap++;
            else stillFailing++;
            previews.Add(preview);
        }
        return Results.Json(new
        {
            matched = matched.Count,
            examined = Math.Min(limit, matched.Count),
            wouldMap,
            wouldNotMap = stillFailing,
            leftQuarantine = gone,
            filter = filter.ToQueryString(),
            previews,
        }, AdminViews.Json);
    }

    private static async Task<IResult> ActAsync(AdminContext ctx, string id, HttpRequest req, string action, CancellationToken ct)
    {
        if (ParseId(id, out var messageId) is { } bad) return bad;
        if (Operator(req, out var by) is { } badOperator) return badOperator;
        var (why, badBody) = await WhyAsync(req, ct);
        if (badBody is not null) return badBody;
        if (action == "purge" && why is null) return Problems.BadRequest("a purge needs a reason: send {\"why\": \"...\"} (the CLI's --reason); it is kept in the journal");
        why ??= $"{action} via the admin API";
        if (action == "replay")
        {
            // The replay maps with the directory as it is on disk now, not as of the last poll.
            await CurrentRoutesAsync(ctx, ct);
        }
        var result = await OperateAsync(ctx, messageId, action, by, why, ct);
        if (result.Status != OperationStatus.Done) return Problems.From(result);
        var body = AdminViews.Result(result);
        body["by"] = by;
        body["why"] = why;
        // A replay is under way when answered: 202, and the message's view shows how it goes.
        return action == "replay"
            ? new Located(Results.Json(body, AdminViews.Json, statusCode: StatusCodes.Status202Accepted), $"{Prefix}/messages/{messageId}")
            : Results.Json(body, AdminViews.Json);
    }

    private static async Task<IResult> BulkReplayAsync(AdminContext ctx, HttpRequest req, CancellationToken ct)
    {
        if (Filter(req, out var filter, "all") is { } bad) return bad;
        var all = req.Query["all"].ToString();
        if (all.Length > 0 && all is not ("true" or "false")) return Problems.BadRequest($"all '{all}' is not true or false");
        if (filter.IsEmpty && all != "true") return Problems.BadRequest("give a filter (reason, stage, route, since, until, domain), or all=true to replay the whole quarantine");
        if (Operator(req, out var by) is { } badOperator) return badOperator;
        var (why, badBody) = await WhyAsync(req, ct);
        if (badBody is not null) return badBody;
        var matched = (await ctx.Node.Operations.DeadLettersAsync(ct)).Where(filter.Matches).ToList();
        var job = ctx.Jobs.Start(filter, matched, by, why ?? "bulk replay via the admin API");
        var location = $"{Prefix}/replay-jobs/{job.Id}";
        return new Located(Results.Json(job.View(), AdminViews.Json, statusCode: StatusCodes.Status202Accepted), location);
    }

    /// <summary>
    /// Carries out one action. A Busy answer (the message is just finishing a previous command, or the in-flight
    /// bound is reached) is asked again for up to <see cref="AdminOptions.CheckTimeout"/>, so back-to-back
    /// commands (hold, then release) do not bounce; after that the 503 goes to the client.
    /// </summary>
    private static async Task<OperatorProtocol.Result> OperateAsync(AdminContext ctx, MessageId id, string action, string by, string why, CancellationToken ct)
    {
        var ops = ctx.Node.Operations;
        var deadline = DateTime.UtcNow + ctx.Options.CheckTimeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var result = await ops.OperateAsync(id, Enum.Parse<Domain.Operations.OperatorAction>(action, ignoreCase: true), by, why, ct);
            if (result.Status != OperationStatus.Busy || DateTime.UtcNow + delay > deadline) return result;
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Has the route reloader pick up a directory edit made just now, then returns the table in force.</summary>
    internal static async Task<Domain.Mapping.RouteTable> CurrentRoutesAsync(AdminContext ctx, CancellationToken ct)
    {
        await RouteReloaderActor.ReloadNowAsync(ctx.System, ctx.Options.CheckTimeout, ct);
        return ctx.Node.Parts.Routes.Current;
    }

    private static IResult NoMessage(MessageId id) => Problems.NotFound(ReasonCodes.MessageNotFound, $"no message {id} in the journal");

    private static IResult? ParseId(string text, out MessageId id)
    {
        if (MessageId.TryParse(text, out var parsed))
        {
            id = parsed.Value;
            return null;
        }
        id = default;
        return Problems.BadRequest($"'{text}' is not a message id (1-64 characters of A-Z, a-z, 0-9, '-' and '_')");
    }

    private static IResult? Filter(HttpRequest req, out DeadLetterFilter filter, params string[] allowed)
    {
        var parsed = DeadLetterFilter.TryParse(req.Query.Select(kv => new KeyValuePair<string, string?[]>(kv.Key, kv.Value.ToArray())), out var error, allowed);
        filter = parsed ?? DeadLetterFilter.All;
        return parsed is null ? Problems.BadRequest(error!) : null;
    }

    private static IResult? Limit(HttpRequest req, out int limit)
    {
        limit = DefaultListLimit;
        var text = req.Query["limit"].ToString();
        if (text.Length == 0) return null;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= 100_000
            ? null
            : Problems.BadRequest($"limit '{text}' is not a number from 1 to 100000");
    }

    /// <summary>Who asks: the <see cref="OperatorHeader"/> header (the CLI sends $USER or --as), else <see cref="DefaultOperator"/>.</summary>
    internal static IResult? Operator(HttpRequest req, out string by)
    {
        var header = req.Headers[OperatorHeader].ToString().Trim();
        by = header.Length == 0 ? DefaultOperator : header;
        return by.Length <= 64 && by.All(c => !char.IsControl(c))
            ? null
            : Problems.BadRequest($"{OperatorHeader} must be 1-64 characters without control characters");
    }

    /// <summary>Why: the body's <c>why</c> (a JSON object; the body may be empty).</summary>
    private static async Task<(string? Why, IResult? Error)> WhyAsync(HttpRequest req, CancellationToken ct)
    {
        using var reader = new StreamReader(req.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        try
        {
            var node = JsonNode.Parse(text);
            if (node is not JsonObject obj) return (null, Problems.BadRequest("the body must be a JSON object like {\"why\": \"...\"}"));
            var unknown = obj.Select(kv => kv.Key).FirstOrDefault(k => k != "why");
            if (unknown is not null) return (null, Problems.BadRequest($"unknown body field '{unknown}' (expected: why)"));
            if (obj["why"] is null) return (null, null);
            var why = obj["why"]!.GetValueKind() == JsonValueKind.String ? obj["why"]!.GetValue<string>().Trim() : null;
            if (why is null) return (null, Problems.BadRequest("why must be a string"));
            if (why.Length > 1000) return (null, Problems.BadRequest("why is longer than 1000 characters"));
            return (why.Length == 0 ? null : why, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest($"the body is not valid JSON: {ex.Message}"));
        }
    }

    /// <summary>Adds a Location header.</summary>
    private sealed class Located(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
