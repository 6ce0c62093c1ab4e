using System.Net;
using System.Text.Json.Nodes;
using ActorGateway.Admin.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Admin.Tests;

/// <summary>
/// The operator's fix-and-replay story end to end, through the HTTP API only: the seed's poison message
/// is quarantined, the operator adds a directory entry, a dry run shows it now maps, the replay delivers
/// it as one spool file, and its timeline tells the whole story.
/// </summary>
public sealed class FixAndReplayWorkflowTests
{
    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "samples", name);

    [Fact]
    public async Task Should_deliver_the_seeds_poison_message_after_a_directory_fix_and_a_replay()
    {
        await using var admin = await AdminNode.StartAsync();
        var original = await File.ReadAllBytesAsync(Sample("017-poison-blank-display-name.eml"));
        var ordinary = await admin.SubmitAsync(await File.ReadAllBytesAsync(Sample("001-ordinary.eml")), "001-ordinary.eml");
        var id = await admin.SubmitAsync(original, "017-poison-blank-display-name.eml");
        Assert.Equal(Outcomes.Delivered, await admin.WaitOutcomeAsync(ordinary));
        Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));

        // 1. It is in quarantine, grouped under its reason, and its original can be exported byte for byte.
        var list = await admin.GetJsonAsync("/api/v1/deadletters?reason=GW-MAP-BLANK-DISPLAY-NAME");
        Assert.Equal(1, (int)list["count"]!);
        Assert.Equal(id.Value, (string?)list["deadLetters"]![0]!["messageId"]);
        var groups = await admin.GetJsonAsync("/api/v1/deadletters/groups");
        Assert.Equal(ReasonCodes.MapBlankDisplayName, (string?)groups["groups"]![0]!["key"]);
        Assert.Equal(1, (int)groups["groups"]![0]!["count"]!);
        using (var eml = await admin.Client.GetAsync($"/api/v1/messages/{id}/eml"))
        {
            Assert.Equal(HttpStatusCode.OK, eml.StatusCode);
            Assert.Equal("message/rfc822", eml.Content.Headers.ContentType?.MediaType);
            Assert.Equal(original, await eml.Content.ReadAsByteArrayAsync());
        }

        // 2. A dry run before the fix: it would not map. Nothing changes.
        var before = await admin.GetJsonAsync($"/api/v1/messages/{id}/replay-preview");
        Assert.False((bool)before["wouldMap"]!);
        var blank = Recipient(before, "jdoe@contoso.com");
        Assert.Equal(ReasonCodes.MapBlankDisplayName, (string?)blank["old"]!["code"]);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, (string?)blank["new"]!["code"]);

        // 3. The fix: a directory entry. The dry run sees it at once (no waiting for the reload interval).
        await File.WriteAllTextAsync(admin.Directory, "source-address,userid,node\njdoe@contoso.com,JDOE,VMNODE1\n");
        var after = await admin.GetJsonAsync($"/api/v1/messages/{id}/replay-preview");
        Assert.True((bool)after["wouldMap"]!);
        var fixedUp = Recipient(after, "jdoe@contoso.com");
        Assert.Equal("failed", (string?)fixedUp["old"]!["kind"]);
        Assert.Equal("JDOE@VMNODE1", (string?)fixedUp["new"]!["target"]);
        Assert.True((bool)fixedUp["changed"]!);
        var stillQuarantined = await admin.GetJsonAsync($"/api/v1/messages/{id}");
        Assert.True((bool)stillQuarantined["quarantined"]!);

        // 4. The replay, with who and why.
        var delivered = admin.Outcomes.NextAsync(id);
        using (var replay = await admin.PostAsync($"/api/v1/messages/{id}/replay", new { why = "added jdoe to the PROFS directory" }, by: "alice"))
        {
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
            Assert.Equal($"/api/v1/messages/{id}", replay.Headers.Location?.ToString());
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(Outcomes.Delivered, (await delivered.WaitAsync(cts.Token)).Outcome);
        }

        // 5. Delivered as one spool file, mapped through the directory.
        var spooled = Directory.GetFiles(admin.Spool, $"{id}*");
        var file = Assert.Single(spooled);
        Assert.Contains("JDOE@VMNODE1", await File.ReadAllTextAsync(file));

        // 6. The quarantine is empty, and the timeline tells the whole story.
        var empty = await admin.GetJsonAsync("/api/v1/deadletters");
        Assert.Equal(0, (int)empty["count"]!);
        var message = await admin.GetJsonAsync($"/api/v1/messages/{id}");
        Assert.Equal("delivered", (string?)message["status"]);
        Assert.False((bool)message["quarantined"]!);
        Assert.Equal(1, (int)message["replays"]!);
        var types = message["timeline"]!.AsArray().Select(t => (string?)t!["type"]).ToList();
        AssertInOrder(types, "message-accepted.v1", "message-dead-lettered.v1", "replay-requested.v1", "recipients-mapped.v1", "message-delivered.v1");
        var replayed = message["timeline"]!.AsArray().Single(t => (string?)t!["type"] == "replay-requested.v1")!["event"]!;
        Assert.Equal("alice", (string?)replayed["by"]);
        Assert.Equal("added jdoe to the PROFS directory", (string?)replayed["why"]);

        // 7. A second replay is refused: it is no longer in quarantine.
        using var again = await admin.PostAsync($"/api/v1/messages/{id}/replay", new { why = "again" });
        await ProblemAssert.IsProblemAsync(again, 409, ReasonCodes.NotInQuarantine);
    }

    private static JsonObject Recipient(JsonObject preview, string address) =>
        preview["addresses"]!.AsArray().Single(a => (string?)a!["address"] == address && (string?)a["role"] != "sender")!.AsObject();

    private static void AssertInOrder(IReadOnlyList<string?> types, params string[] expected)
    {
        var at = -1;
        foreach (var type in expected)
        {
            var next = types.Select((t, i) => (t, i)).FirstOrDefault(x => x.i > at && x.t == type, (null, -1)).Item2;
            Assert.True(next > at, $"'{type}' does not follow in order in: {string.Join(", ", types)}");
            at = next;
        }
    }
}
