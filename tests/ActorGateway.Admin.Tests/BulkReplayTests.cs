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
        var preview = await admin.GetJsonAsync("/api/v1/deadletters/replay-preview?reason=GW-MAP-BLANK-DISPLAY-NAME&limit=5");
        Assert.Equal(count, (int)preview["matched"]!);
        Assert.Equal(count, (int)preview["wouldMap"]!);
        Assert.Equal(5, preview["previews"]!.AsArray().Count);

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
}
