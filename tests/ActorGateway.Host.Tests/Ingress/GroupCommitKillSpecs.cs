using System.Text.RegularExpressions;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Ingress;

/// <summary>
/// kill -9 of <c>gateway run</c> while content, registry and spool batches are in flight: a high in-flight bound
/// lets the batching writers fill up, and the process is killed twice in the middle of the stream.
/// </summary>
public sealed partial class GroupCommitKillSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private string Pickup => Path.Combine(Data, "pickup");

    private string Spool => Path.Combine(Data, "outbound");

    private int SpoolCount => Directory.Exists(Spool) ? Directory.GetFiles(Spool, "*.eml").Length : 0;

    [Fact]
    public async Task Should_lose_and_duplicate_nothing_when_killed_twice_with_batches_in_flight()
    {
        const int total = 1500;
        Directory.CreateDirectory(Pickup);
        var staging = _tmp.Sub("staging");
        Directory.CreateDirectory(staging);
        for (var i = 0; i < total; i++) Mail.Write(staging, $"m{i:0000}.eml", Mail.Build(i, $"Person Number{i}", $"p{i}@contoso.com"));
        string[] run = ["run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "off"];

        using (var first = GatewayProcess.Start(run))
        {
            foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(Pickup, Path.GetFileName(f)));
            await Wait.UntilAsync(() => SpoolCount >= 150, TimeSpan.FromSeconds(120), () => first.Output);
            first.KillHard();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        var afterFirstKill = SpoolCount;
        using (var second = GatewayProcess.Start(run))
        {
            await Wait.UntilAsync(() => SpoolCount >= afterFirstKill + 300, TimeSpan.FromSeconds(120), () => second.Output);
            second.KillHard();
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        var afterSecondKill = SpoolCount;

        using var third = GatewayProcess.Start(run);
        await Wait.UntilAsync(() => SpoolCount >= total, TimeSpan.FromSeconds(180), () => $"spool={SpoolCount}\n{third.Output}");
        await Wait.UntilAsync(() => !Directory.EnumerateFiles(Pickup, "*.eml").Any(), TimeSpan.FromSeconds(30), () => third.Output);

        var sourceIds = Directory.GetFiles(Spool, "*.eml").Select(f => SourceMessageId().Match(File.ReadAllText(f)).Groups[1].Value).ToList();
        Assert.Equal(total, sourceIds.Count);
        Assert.Equal(total, sourceIds.Distinct().Count());
        Assert.True(afterSecondKill < total, "the second kill came too late to test anything");
        third.Terminate();
        Assert.True(await third.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [GeneratedRegex(@"Message-ID: <(host-\d+)@fabrikam\.com>", RegexOptions.IgnoreCase)]
    private static partial Regex SourceMessageId();

    public void Dispose() => _tmp.Dispose();
}
