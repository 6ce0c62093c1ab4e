using System.Net;
using System.Text.Json.Nodes;
using ActorGateway.Admin.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Admin.Tests;

/// <summary>Bulk replays: a group of quarantined messages replayed by a paced job.</summary>
public sealed class BulkReplayTests(ITestOutputHelper output)
{
    private const int Bound = 20;

    [Fact]
    public async Task Should_replay_a_group_of_1000_messages_paced_within_the_outstanding_bound_until_all_are_delivered()
    {
        await using var admin = await AdminNode.StartAsync(adjust: o => o with { MaxOutstanding = Bound, ReplayRate = 400 });
        const int count = 1000;
        var ids = new MessageId[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => ids[i] = await admin.SubmitAsync(AdminNode.Mail(i, "     ", "jdoe@contoso.com"), $"poison-{i}"));
        // An unrelated quarantined message that the filter must leave alone.
        var other = await admin.SubmitAsync(AdminNode.Mail(-1, "Nobody", "nobody@unrouted.example"), "unrouted");
        foreach (var id in ids) Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id, TimeSpan.FromMinutes(3)));
        Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(other));
        var groups = await admin.GetJsonAsync("/api/v1/deadletters/groups");
        Assert.Equal(count, (int)groups["groups"]!.AsArray().Single(g => (string?)g!["key"] == ReasonCodes.MapBlankDisplayName)!["count"]!);

        await File.WriteAllTextAsync(admin.Directory, "jdoe@contoso.com,JDOE,VMNODE1\n");
        var preview = await admin.GetJsonAsync("/api/v1/deadletters/replay-preview?reason=GW-MAP-BLANK-DISPLAY-NAME");
        Assert.Equal(count, (int)preview["matched"]!);
        Assert.Equal(count, (int)preview["examined"]!);
        Assert.Equal(count, (int)preview["wouldMap"]!);
        Assert.Equal(0, (int)preview["wouldNotMap"]!);
        var sample = await admin.GetJsonAsync("/api/v1/deadletters/replay-preview?reason=GW-MAP-BLANK-DISPLAY-NAME&limit=5");
        Assert.Equal(count, (int)sample["matched"]!);
        Assert.Equal(5, (int)sample["examined"]!);
        Assert.Equal(5, sample["previews"]!.AsArray().Count);

        using var started = await admin.PostAsync("/api/v1/deadletters/replay?reason=GW-MAP-BLANK-DISPLAY-NAME", new { why = "directory fixed for jdoe" }, by: "bulk-test");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        Assert.StartsWith("/api/v1/replay-jobs/", location);

        // Sample the gateway's in-flight registry while the job runs: nothing else is in flight, so it is this job's.
        var maxInFlight = 0;
        var samples = 0;
        JsonObject job;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (true)
        {
            var status = await admin.Node.Operations.StatusAsync();
            maxInFlight = Math.Max(maxInFlight, status.Registered);
            samples++;
            job = await admin.GetJsonAsync(location);
            if ((bool)job["done"]!) break;
            Assert.True(DateTime.UtcNow < deadline, $"the job did not finish: {job.ToJsonString()}");
            await Task.Delay(20);
        }
        output.WriteLine($"job: {job.ToJsonString()}; {samples} samples, in flight at most {maxInFlight}");

        Assert.Equal("done", (string?)job["state"]);
        Assert.Equal(count, (int)job["matched"]!);
        Assert.Equal(count, (int)job["replayed"]!);
        Assert.Empty(job["skipped"]!.AsArray());
        Assert.Empty(job["failed"]!.AsArray());
        Assert.Equal(count, (int)job["outcomes"]!["delivered"]!);
        // Paced: never more than the bound replayed-and-unfinished at once, by the job's count and by the gateway's.
        Assert.InRange((int)job["maxOutstanding"]!, 1, Bound);
        Assert.InRange(maxInFlight, 0, Bound);
        Assert.True(samples > 1);

        // Every one delivered exactly once, and only the unrelated message is left in quarantine.
        Assert.Equal(count, Directory.GetFiles(admin.Spool, "*.eml").Length);
        var left = await admin.GetJsonAsync("/api/v1/deadletters");
        Assert.Equal(other.Value, (string?)Assert.Single(left["deadLetters"]!.AsArray())!["messageId"]);
        var one = await admin.GetJsonAsync($"/api/v1/messages/{ids[0]}");
        var replayed = one["timeline"]!.AsArray().Single(t => (string?)t!["type"] == "replay-requested.v1")!["event"]!;
        Assert.Equal("bulk-test", (string?)replayed["by"]);
        Assert.Equal("directory fixed for jdoe", (string?)replayed["why"]);
    }

    [Fact]
    public async Task Should_refuse_a_bulk_replay_without_a_filter_unless_all_is_said()
    {
        await using var admin = await AdminNode.StartAsync();

        using var none = await admin.PostAsync("/api/v1/deadletters/replay", new { why = "x" });
        using var typo = await admin.PostAsync("/api/v1/deadletters/replay?reasn=GW-NO-ROUTE", new { why = "x" });
        using var all = await admin.PostAsync("/api/v1/deadletters/replay?all=true", new { why = "nothing to do" });

        await ProblemAssert.IsProblemAsync(none, 400, ReasonCodes.AdminBadRequest);
        await ProblemAssert.IsProblemAsync(typo, 400, ReasonCodes.AdminBadRequest);
        Assert.Equal(HttpStatusCode.Accepted, all.StatusCode);
        var job = await admin.GetJsonAsync(all.Headers.Location!.ToString());
        Assert.Equal(0, (int)job["matched"]!);
    }

    [Fact]
    public async Task Should_skip_a_held_message_with_its_code_and_replay_the_rest()
    {
        await using var admin = await AdminNode.StartAsync();
        var ids = new List<MessageId>();
        for (var i = 0; i < 5; i++) ids.Add(await admin.SubmitAsync(AdminNode.Mail(i, "     ", "jdoe@contoso.com"), $"poison-{i}"));
        foreach (var id in ids) Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));
        using (var hold = await admin.PostAsync($"/api/v1/messages/{ids[2]}/hold", new { why = "keep this one" }))
        {
            Assert.Equal(HttpStatusCode.OK, hold.StatusCode);
        }
        await File.WriteAllTextAsync(admin.Directory, "jdoe@contoso.com,JDOE,VMNODE1\n");

        using var started = await admin.PostAsync("/api/v1/deadletters/replay?stage=mapping", new { why = "fixed" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var job = await WaitDoneAsync(admin, started.Headers.Location!.ToString());

        Assert.Equal(5, (int)job["matched"]!);
        Assert.Equal(4, (int)job["replayed"]!);
        var skipped = Assert.Single(job["skipped"]!.AsArray())!;
        Assert.Equal(ids[2].Value, (string?)skipped["messageId"]);
        Assert.Equal(ReasonCodes.MessageIsHeld, (string?)skipped["code"]);
        Assert.Equal(4, (int)job["outcomes"]!["delivered"]!);
        var left = await admin.GetJsonAsync("/api/v1/deadletters");
        Assert.Equal(ids[2].Value, (string?)Assert.Single(left["deadLetters"]!.AsArray())!["messageId"]);
    }

    [Fact]
    public async Task Should_stop_starting_replays_when_a_job_is_cancelled()
    {
        // One replay per ten seconds: the job is certainly still running when it is cancelled.
        await using var admin = await AdminNode.StartAsync(adjust: o => o with { ReplayRate = 0.1 });
        var ids = new List<MessageId>();
        for (var i = 0; i < 3; i++) ids.Add(await admin.SubmitAsync(AdminNode.Mail(i, "     ", "jdoe@contoso.com"), $"poison-{i}"));
        foreach (var id in ids) Assert.Equal(Outcomes.DeadLettered, await admin.WaitOutcomeAsync(id));

        using var started = await admin.PostAsync("/api/v1/deadletters/replay?all=true", new { why = "try" });
        var location = started.Headers.Location!.ToString();
        using var cancel = await admin.Client.DeleteAsync(location);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var job = await WaitDoneAsync(admin, location);

        Assert.Equal("cancelled", (string?)job["state"]);
        Assert.InRange((int)job["replayed"]!, 0, 1);
        Assert.True((int)(await admin.GetJsonAsync("/api/v1/deadletters"))["count"]! >= 2);
    }

    private static async Task<JsonObject> WaitDoneAsync(AdminNode admin, string location)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var job = await admin.GetJsonAsync(location);
            if ((bool)job["done"]!) return job;
            Assert.True(DateTime.UtcNow < deadline, $"the job did not finish: {job.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}
