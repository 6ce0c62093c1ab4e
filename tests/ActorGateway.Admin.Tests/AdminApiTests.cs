using System.Net;
using ActorGateway.Admin.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests;

/// <summary>The admin API's endpoints over real Kestrel on port 0: errors as problem details, hold/release/purge, health and metrics.</summary>
public sealed class AdminApiTests
{
    private static async Task<MessageId> QuarantineAsync(AdminNode admin, int n = 1)
    {
        var id = await admin.SubmitAsync(AdminNode.Mail(n, "     ", "jdoe@contoso.com"), $"poison-{n}");
        Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));
        return id;
    }

    /// <summary>Sends a command and waits for the message's actor, started for it, to publish its outcome again.</summary>
    private static async Task<HttpResponseMessage> SettledAsync(AdminNode admin, MessageId id, Func<Task<HttpResponseMessage>> command)
    {
        var settled = admin.Outcomes.NextAsync(id);
        var response = await command();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await settled.WaitAsync(cts.Token);
        return response;
    }

    [Fact]
    public async Task Should_answer_404_for_an_unknown_message_and_400_for_a_malformed_id()
    {
        await using var admin = await AdminNode.StartAsync();

        using var unknown = await admin.Client.GetAsync($"/api/v1/messages/{MessageId.New()}");
        using var unknownEml = await admin.Client.GetAsync($"/api/v1/messages/{MessageId.New()}/eml");
        using var unknownPreview = await admin.Client.GetAsync($"/api/v1/messages/{MessageId.New()}/replay-preview");
        using var unknownReplay = await admin.PostAsync($"/api/v1/messages/{MessageId.New()}/replay", new { why = "x" });
        using var malformed = await admin.Client.GetAsync("/api/v1/messages/not%20an%20id!");
        using var noJob = await admin.Client.GetAsync("/api/v1/replay-jobs/nope");
        using var noEndpoint = await admin.Client.GetAsync("/api/v1/nothing-here");

        await ProblemAssert.IsProblemAsync(unknown, 404, ReasonCodes.MessageNotFound);
        await ProblemAssert.IsProblemAsync(unknownEml, 404, ReasonCodes.MessageNotFound);
        await ProblemAssert.IsProblemAsync(unknownPreview, 404, ReasonCodes.MessageNotFound);
        await ProblemAssert.IsProblemAsync(unknownReplay, 404, ReasonCodes.MessageNotFound);
        await ProblemAssert.IsProblemAsync(malformed, 400, ReasonCodes.AdminBadRequest);
        await ProblemAssert.IsProblemAsync(noJob, 404, ReasonCodes.AdminNotFound);
        await ProblemAssert.IsProblemAsync(noEndpoint, 404, ReasonCodes.AdminNotFound);
    }

    [Theory]
    [InlineData("/api/v1/deadletters?stage=parsing")]
    [InlineData("/api/v1/deadletters?since=yesterday")]
    [InlineData("/api/v1/deadletters?reason=blank")]
    [InlineData("/api/v1/deadletters?colour=red")]
    [InlineData("/api/v1/deadletters?limit=0")]
    [InlineData("/api/v1/deadletters/groups?by=colour")]
    [InlineData("/api/v1/deadletters/replay-preview?until=2026-13-01")]
    public async Task Should_answer_400_for_a_malformed_filter(string path)
    {
        await using var admin = await AdminNode.StartAsync();

        using var response = await admin.Client.GetAsync(path);

        await ProblemAssert.IsProblemAsync(response, 400, ReasonCodes.AdminBadRequest);
    }

    [Fact]
    public async Task Should_answer_409_for_a_replay_of_a_message_not_in_quarantine()
    {
        await using var admin = await AdminNode.StartAsync();
        var id = await admin.SubmitAsync(AdminNode.Mail(1, "Alice Smith", "alice@contoso.com"), "ok");
        Assert.Equal(Outcomes.Delivered, await admin.WaitOutcomeAsync(id));

        using var replay = await admin.PostAsync($"/api/v1/messages/{id}/replay", new { why = "x" });
        using var preview = await admin.Client.GetAsync($"/api/v1/messages/{id}/replay-preview");
        using var entry = await admin.Client.GetAsync($"/api/v1/deadletters/{id}");

        var problem = await ProblemAssert.IsProblemAsync(replay, 409, ReasonCodes.NotInQuarantine);
        Assert.Equal(id.Value, (string?)problem["messageId"]);
        await ProblemAssert.IsProblemAsync(preview, 409, ReasonCodes.NotInQuarantine);
        await ProblemAssert.IsProblemAsync(entry, 404, ReasonCodes.NotInQuarantine);
    }

    [Fact]
    public async Task Should_hold_a_quarantined_message_against_replays_until_released()
    {
        await using var admin = await AdminNode.StartAsync();
        var id = await QuarantineAsync(admin);

        // Each command on a message at rest starts its actor, which stops again afterwards; like an operator,
        // the test lets it settle before the next command.
        using var hold = await SettledAsync(admin, id, () => admin.PostAsync($"/api/v1/messages/{id}/hold", new { why = "waiting for HR" }, by: "bob"));
        Assert.True(hold.StatusCode == HttpStatusCode.OK, await hold.Content.ReadAsStringAsync());
        var held = await admin.GetJsonAsync($"/api/v1/messages/{id}");
        Assert.Equal("held", (string?)held["status"]);
        Assert.Equal("bob", (string?)held["held"]!["by"]);

        using var replay = await SettledAsync(admin, id, () => admin.PostAsync($"/api/v1/messages/{id}/replay", new { why = "x" }));
        await ProblemAssert.IsProblemAsync(replay, 409, ReasonCodes.MessageIsHeld);

        using var release = await SettledAsync(admin, id, () => admin.PostAsync($"/api/v1/messages/{id}/release", new { why = "HR answered" }, by: "bob"));
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        using var releaseAgain = await admin.PostAsync($"/api/v1/messages/{id}/release", null);
        await ProblemAssert.IsProblemAsync(releaseAgain, 409, ReasonCodes.InvalidState);

        var timeline = (await admin.GetJsonAsync($"/api/v1/messages/{id}"))["timeline"]!.AsArray();
        var released = timeline.Single(t => (string?)t!["type"] == "hold-released.v1")!;
        Assert.Equal("HR answered", (string?)released["event"]!["why"]);
        Assert.Contains("released by bob", (string?)released["summary"]);
    }

    [Fact]
    public async Task Should_require_a_reason_to_purge_and_keep_the_audit_record()
    {
        await using var admin = await AdminNode.StartAsync();
        var id = await QuarantineAsync(admin);

        using var noReason = await admin.PostAsync($"/api/v1/messages/{id}/purge", null);
        using var badBody = await admin.Client.PostAsync($"/api/v1/messages/{id}/purge", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(noReason, 400, ReasonCodes.AdminBadRequest);
        await ProblemAssert.IsProblemAsync(badBody, 400, ReasonCodes.AdminBadRequest);
        Assert.True(admin.Node.Operations.Content.Exists(id), "a quarantined message keeps its content");

        using var purge = await admin.PostAsync($"/api/v1/messages/{id}/purge", new { why = "spam, confirmed by the sender" }, by: "carol");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);

        var message = await admin.GetJsonAsync($"/api/v1/messages/{id}");
        Assert.Equal("purged", (string?)message["status"]);
        Assert.False((bool)message["contentAvailable"]!);
        var audit = message["timeline"]!.AsArray().Last()!;
        Assert.Equal("message-purged.v1", (string?)audit["type"]);
        Assert.Equal("carol", (string?)audit["event"]!["by"]);
        Assert.Equal("spam, confirmed by the sender", (string?)audit["event"]!["why"]);
        Assert.NotNull((string?)audit["at"]);
        Assert.Equal(0, (int)(await admin.GetJsonAsync("/api/v1/deadletters"))["count"]!);
        using var eml = await admin.Client.GetAsync($"/api/v1/messages/{id}/eml");
        await ProblemAssert.IsProblemAsync(eml, 404, ReasonCodes.ContentMissing);
    }

    [Fact]
    public async Task Should_report_ready_status_and_metrics()
    {
        await using var admin = await AdminNode.StartAsync();
        await QuarantineAsync(admin);
        var ok = await admin.SubmitAsync(AdminNode.Mail(2, "Alice Smith", "alice@contoso.com"), "ok");
        Assert.Equal(Outcomes.Delivered, await admin.WaitOutcomeAsync(ok));

        var ready = await admin.GetJsonAsync("/readyz");
        Assert.Equal("ready", (string?)ready["status"]);
        Assert.True((bool)ready["checks"]!["journal"]!["ok"]!);
        Assert.True((bool)ready["checks"]!["gateway"]!["ok"]!);

        var status = await admin.GetJsonAsync("/api/v1/status");
        Assert.Equal(1, (int)status["deadLetters"]!["count"]!);
        Assert.Equal(1, (int)status["deadLetters"]!["byReason"]![ReasonCodes.MapBlankDisplayName]!);

        using var metrics = await admin.Client.GetAsync("/metrics");
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", metrics.Content.Headers.ContentType?.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("\ngateway_messages_received_total 2\n", text);
        Assert.Contains("gateway_messages_dead_lettered_total{reason=\"GW-MAP-BLANK-DISPLAY-NAME\"} 1\n", text);
        Assert.Contains("gateway_messages_delivered_total{transport=\"spool\"} 1\n", text);
        Assert.Contains("# TYPE gateway_journal_write_duration_seconds histogram", text);
        Assert.Contains("gateway_messages_in_flight 0\n", text);
    }

    [Fact]
    public async Task Should_answer_503_from_readyz_naming_a_listener_that_is_down()
    {
        var smtp = new SwitchableListener();
        await using var admin = await AdminNode.StartAsync(listeners: [smtp]);

        using (var up = await admin.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        }
        smtp.IsListening = false;
        using var down = await admin.Client.GetAsync("/readyz");
        using var health = await admin.Client.GetAsync("/healthz");

        var problem = await ProblemAssert.IsProblemAsync(down, 503, ReasonCodes.AdminNotReady);
        Assert.Contains("smtp: not listening", (string?)problem["detail"]);
        Assert.False((bool)problem["checks"]!["smtp"]!["ok"]!);
        Assert.True((bool)problem["checks"]!["journal"]!["ok"]!);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // alive, just not ready
    }

    private sealed class SwitchableListener : IListenerCheck
    {
        public string Name => "smtp";
        public bool IsListening { get; set; } = true;
    }
}
