using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ActorGateway.Admin.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests;

/// <summary>
/// POST /api/v1/directory/dry-run, POST /api/v1/directory/entries and GET /api/v1/directory/history: the guided
/// mapping fix's endpoint. Authenticated like every change, checked by the directory file's own rule, journaled
/// with who, why, when, old and new, written atomically, and in force for the next replay at once.
/// </summary>
public sealed class DirectoryEditTests
{
    private static object Body(string address, string userId, string node, string? why = null, params string[] messageIds) =>
        why is null
            ? new { entries = new[] { new { address, userId, node } }, messageIds }
            : new { entries = new[] { new { address, userId, node } }, why, messageIds };

    [Fact]
    public async Task Should_show_the_change_and_the_replay_it_allows_without_writing_anything_in_a_dry_run()
    {
        await using var admin = await AdminNode.StartAsync();
        var id = await admin.SubmitAsync(AdminNode.Mail(1, "   ", "jdoe@contoso.com"), "blank.eml");
        Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));

        using var response = await admin.PostAsync("/api/v1/directory/dry-run", Body("jdoe@contoso.com", "jdoe", "vmnode1", null, id.Value));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        Assert.True((bool)body["dryRun"]!);
        var change = body["changes"]![0]!;
        Assert.Equal("profs", (string?)change["route"]);
        Assert.Null(change["old"]);
        Assert.Equal("JDOE@VMNODE1", (string?)change["new"]!["target"]);
        var preview = body["previews"]![0]!;
        Assert.True((bool)preview["wouldMap"]!);
        var jdoe = preview["addresses"]!.AsArray().Single(a => (string?)a!["address"] == "jdoe@contoso.com")!;
        Assert.Equal(ReasonCodes.MapBlankDisplayName, (string?)jdoe["old"]!["code"]);
        Assert.Equal("JDOE@VMNODE1", (string?)jdoe["new"]!["target"]);
        Assert.False(File.Exists(admin.Directory));
        Assert.Empty((await admin.GetJsonAsync("/api/v1/directory/history"))["history"]!.AsArray());
        // The route table in force is untouched: the message's own dry run still fails.
        Assert.False((bool)(await admin.GetJsonAsync($"/api/v1/messages/{id}/replay-preview"))["wouldMap"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // in a cluster the node's directory-sync writes the file from the record, and the endpoint waits for it
    public async Task Should_journal_write_and_reload_an_entry_so_the_replay_delivers(bool clustered)
    {
        await using var admin = await AdminNode.StartAsync(clustered: clustered);
        await File.WriteAllTextAsync(admin.Directory, "# kept\nsource-address,userid,node\njdoe@contoso.com,OLDID,VMNODE9\nceo@contoso.com,CEO,VMNODE1\n");
        var id = await admin.SubmitAsync(AdminNode.Mail(1, "   ", "asmith@contoso.com"), "blank.eml");
        Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));

        using (var response = await admin.PostAsync("/api/v1/directory/entries", new
               {
                   entries = new[] { new { address = "asmith@contoso.com", userId = "ASMITH", node = "VMNODE1" }, new { address = "JDOE@contoso.com", userId = "JDOE", node = "VMNODE1" } },
                   why = "blank display names",
               }, by: "alice"))
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
            Assert.Equal(ReasonCodes.DirectoryEntrySet, (string?)body["code"]);
            Assert.Equal(2, (int)body["changed"]!);
            Assert.Null((string?)body["reloadError"]);
        }

        Assert.Equal("# kept\nsource-address,userid,node\nJDOE@contoso.com,JDOE,VMNODE1\nceo@contoso.com,CEO,VMNODE1\nasmith@contoso.com,ASMITH,VMNODE1\n",
            await File.ReadAllTextAsync(admin.Directory));
        Assert.Empty(Directory.GetFiles(admin.DataDir, ".directory.csv.*"));
        var history = (await admin.GetJsonAsync("/api/v1/directory/history"))["history"]!.AsArray();
        Assert.Equal(2, history.Count);
        var replaced = history.Single(h => (string?)h!["event"]!["address"] == "JDOE@contoso.com")!;
        Assert.Equal("directory-entry-set.v1", (string?)replaced["type"]);
        Assert.Equal("alice", (string?)replaced["event"]!["by"]);
        Assert.Equal("blank display names", (string?)replaced["event"]!["why"]);
        Assert.Equal("OLDID", (string?)replaced["event"]!["old"]!["userId"]);
        Assert.Equal("VMNODE9", (string?)replaced["event"]!["old"]!["node"]);
        Assert.Equal("JDOE", (string?)replaced["event"]!["new"]!["userId"]);
        Assert.NotNull((string?)replaced["at"]);

        // In force at once: the replay maps with it.
        var delivered = admin.Outcomes.NextAsync(id);
        using (var replay = await admin.PostAsync($"/api/v1/messages/{id}/replay", new { why = "fixed" }))
        {
            Assert.True(replay.IsSuccessStatusCode, await replay.Content.ReadAsStringAsync());
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(Outcomes.Delivered, (await delivered.WaitAsync(cts.Token)).Outcome);
        }
        Assert.True(File.Exists(Path.Combine(admin.Spool, id + ".eml")));

        // The same entry again changes nothing and records nothing.
        using (var again = await admin.PostAsync("/api/v1/directory/entries", Body("asmith@contoso.com", "asmith", "vmnode1", "again")))
        {
            var body = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
            Assert.Equal(0, (int)body["changed"]!);
            Assert.True((bool)body["changes"]![0]!["unchanged"]!);
        }
        Assert.Equal(2, (await admin.GetJsonAsync("/api/v1/directory/history"))["history"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("jdoe@contoso.com", "J.DOE", "VMNODE1")]
    [InlineData("jdoe@contoso.com", "JOHNDOE01", "VMNODE1")]
    [InlineData("jdoe@contoso.com", "JDOE", "VM-NODE")]
    [InlineData("jdoe@contoso.com", "", "VMNODE1")]
    [InlineData("jdoe", "JDOE", "VMNODE1")]
    [InlineData("jdoe@contoso.com,evil@contoso.com", "JDOE", "VMNODE1")]
    [InlineData("jdoe@contoso.com\nx@contoso.com", "JDOE", "VMNODE1")]
    public async Task Should_refuse_an_entry_the_mapper_would_not_accept(string address, string userId, string node)
    {
        await using var admin = await AdminNode.StartAsync();

        using var response = await admin.PostAsync("/api/v1/directory/entries", Body(address, userId, node, "test"));
        using var dryRun = await admin.PostAsync("/api/v1/directory/dry-run", Body(address, userId, node));

        var problem = await ProblemAssert.IsProblemAsync(response, 400, ReasonCodes.DirectoryInvalidEntry);
        Assert.NotEmpty(problem["errors"]!.AsArray());
        await ProblemAssert.IsProblemAsync(dryRun, 400, ReasonCodes.DirectoryInvalidEntry);
        Assert.False(File.Exists(admin.Directory));
        Assert.Empty((await admin.GetJsonAsync("/api/v1/directory/history"))["history"]!.AsArray());
    }

    [Fact]
    public async Task Should_refuse_an_address_no_directory_maps()
    {
        await using var admin = await AdminNode.StartAsync();

        using var response = await admin.PostAsync("/api/v1/directory/entries", Body("someone@fabrikam.com", "SOMEONE", "VMNODE1", "test"));

        var problem = await ProblemAssert.IsProblemAsync(response, 409, ReasonCodes.DirectoryNotEditable);
        Assert.Contains("fabrikam.com", (string?)problem["detail"]);
    }

    [Fact]
    public async Task Should_need_the_token_and_a_reason_to_change_the_directory()
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = null;

        using var anonymous = await admin.PostAsync("/api/v1/directory/entries", Body("jdoe@contoso.com", "JDOE", "VMNODE1", "test"));
        await ProblemAssert.IsProblemAsync(anonymous, 401, ReasonCodes.AdminUnauthorized);
        admin.Client.DefaultRequestHeaders.Authorization = new("Bearer", AdminNode.Token);
        using var noReason = await admin.PostAsync("/api/v1/directory/entries", Body("jdoe@contoso.com", "JDOE", "VMNODE1"));
        await ProblemAssert.IsProblemAsync(noReason, 400, ReasonCodes.AdminBadRequest);
        using var unknownField = await admin.Client.PostAsJsonAsync("/api/v1/directory/entries", new { entries = Array.Empty<object>(), why = "x", force = true });
        await ProblemAssert.IsProblemAsync(unknownField, 400, ReasonCodes.AdminBadRequest);
        Assert.False(File.Exists(admin.Directory));
    }

    [Fact]
    public async Task Should_refuse_directory_changes_without_a_configured_token()
    {
        await using var admin = await AdminNode.StartAsync(token: null);

        using var response = await admin.PostAsync("/api/v1/directory/entries", Body("jdoe@contoso.com", "JDOE", "VMNODE1", "test"));
        using var dryRun = await admin.PostAsync("/api/v1/directory/dry-run", Body("jdoe@contoso.com", "JDOE", "VMNODE1"));

        await ProblemAssert.IsProblemAsync(response, 403, ReasonCodes.AdminTokenRequired);
        Assert.True(dryRun.IsSuccessStatusCode, await dryRun.Content.ReadAsStringAsync());
        Assert.False(File.Exists(admin.Directory));
    }

    [Fact]
    public async Task Should_serve_the_console_with_a_strict_content_security_policy()
    {
        await using var admin = await AdminNode.StartAsync();
        admin.Client.DefaultRequestHeaders.Authorization = null;

        foreach (var path in new[] { "/", "/console/app.js", "/console/console.css" })
        {
            using var response = await admin.Client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, path);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe", csp);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
        var html = await admin.Client.GetStringAsync("/");
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)", html);
        Assert.DoesNotMatch(@"<[^>]*\son\w+\s*=", html);
        Assert.DoesNotContain("javascript:", html);
        using var missing = await admin.Client.GetAsync("/console/nope.js");
        await ProblemAssert.IsProblemAsync(missing, 404, ReasonCodes.AdminNotFound);
    }
}
