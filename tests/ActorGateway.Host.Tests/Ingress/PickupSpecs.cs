using System.Text.RegularExpressions;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Ingress;

/// <summary>The real <c>gateway run</c> as a child process, fed through its pickup directory.</summary>
public sealed partial class PickupSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private string Pickup => Path.Combine(Data, "pickup");

    private string Spool => Path.Combine(Data, "outbound");

    private int SpoolCount => Directory.Exists(Spool) ? Directory.GetFiles(Spool, "*.eml").Length : 0;

    /// <summary>Drops a file the way an MTA does: written elsewhere, then renamed into pickup.</summary>
    private void Drop(string name, string content)
    {
        var staging = _tmp.Sub("staging");
        Directory.CreateDirectory(staging);
        File.Move(Mail.Write(staging, name, content), Path.Combine(Pickup, name));
    }

    [Fact]
    public async Task Should_deliver_picked_up_files_move_bad_ones_to_badmail_and_stop_cleanly_on_sigterm()
    {
        Directory.CreateDirectory(Pickup);
        using var gateway = GatewayProcess.Start("run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "off");
        Drop("good-1.eml", Mail.Build(1, "Grace Hopper", "grace@contoso.com"));
        Drop("good-2.eml", Mail.Build(2, "Hopper, Grace", "grace2@contoso.com"));
        Drop("poison.eml", Mail.Build(3, "   ", "ghost@contoso.com"));
        Drop("broken.eml", "this is not a mail message at all");

        await Wait.UntilAsync(() => SpoolCount == 2 && File.Exists(Path.Combine(Data, "badmail", "broken.eml.reason")),
            TimeSpan.FromSeconds(60), () => $"spool={SpoolCount}\n{gateway.Output}");
        await Wait.UntilAsync(() => gateway.Output.Contains(ReasonCodes.DeadLettered), TimeSpan.FromSeconds(30), () => gateway.Output);

        var reason = await File.ReadAllTextAsync(Path.Combine(Data, "badmail", "broken.eml.reason"));
        Assert.Matches("^GW-MIME-[A-Z-]+: ", reason);
        Assert.Empty(Directory.GetFiles(Pickup, "*.eml"));
        Assert.Empty(Directory.GetFiles(Path.Combine(Pickup, ".claimed")));
        Assert.All(Directory.GetFiles(Spool, "*.eml"), f => Assert.Contains("@VMNODE1", File.ReadAllText(f)));
        Assert.Contains("GW-MAP-BLANK-DISPLAY-NAME", gateway.Output);

        gateway.Terminate();
        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)), "gateway did not stop on SIGTERM");
        Assert.True(gateway.ExitCode == 0, $"exit code {gateway.ExitCode} after SIGTERM:\n{gateway.Output}");
    }

    [Fact]
    public async Task Should_lose_and_duplicate_nothing_when_killed_with_sigkill_mid_batch()
    {
        const int total = 300;
        Directory.CreateDirectory(Pickup);
        // A small in-flight bound keeps most of the batch inside the pipeline when the kill comes.
        var config = _tmp.Sub("slow.conf");
        await File.WriteAllTextAsync(config, "actor-gateway.max-in-flight = 10\n");
        var staging = _tmp.Sub("staging");
        Directory.CreateDirectory(staging);
        for (var i = 0; i < total; i++) Mail.Write(staging, $"m{i:000}.eml", Mail.Build(i, $"Person Number{i}", $"p{i}@contoso.com"));

        using (var first = GatewayProcess.Start("run", "--data-dir", Data, "--config", config, "--smtp-listen", "off", "--admin-listen", "off"))
        {
            foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(Pickup, Path.GetFileName(f)));
            // Kill as soon as some messages are through: others are claimed, accepted or mid-delivery.
            await Wait.UntilAsync(() => SpoolCount >= 3, TimeSpan.FromSeconds(60), () => first.Output);
            first.KillHard();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        var deliveredBeforeKill = SpoolCount;

        using var second = GatewayProcess.Start("run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "off");
        await Wait.UntilAsync(() => SpoolCount >= total, TimeSpan.FromSeconds(120), () => $"spool={SpoolCount}\n{second.Output}");
        await Task.Delay(500); // nothing more may appear

        var sourceIds = Directory.GetFiles(Spool, "*.eml")
            .Select(f => SourceMessageId().Match(File.ReadAllText(f)).Groups[1].Value)
            .ToList();
        Assert.Equal(total, sourceIds.Count);
        Assert.Equal(total, sourceIds.Distinct().Count());
        Assert.Empty(Directory.GetFiles(Pickup, "*.eml"));
        Assert.True(deliveredBeforeKill < total, "the kill came too late to test anything");
        second.Terminate();
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [GeneratedRegex(@"Message-ID: <(host-\d+)@fabrikam\.com>", RegexOptions.IgnoreCase)]
    private static partial Regex SourceMessageId();

    public void Dispose() => _tmp.Dispose();
}
