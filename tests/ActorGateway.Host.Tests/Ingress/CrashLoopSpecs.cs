using System.Text.Json;
using System.Text.RegularExpressions;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Ingress;

/// <summary>
/// The seed incident, across process crashes: one message kills the whole process whenever it is
/// mapped. Under a restart loop like systemd's Restart=always, the gateway must quarantine that
/// message with GW-CRASH-LOOP after at most threshold + 1 starts, and deliver every other message
/// exactly once, without quarantining the innocent ones that were in flight when it died.
/// </summary>
public sealed partial class CrashLoopSpecs : IDisposable
{
    private const int Total = 200;
    private const int Threshold = 2;
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private string Spool => Path.Combine(Data, "outbound");

    private int SpoolCount => Directory.Exists(Spool) ? Directory.GetFiles(Spool, "*.eml").Length : 0;

    [Fact]
    public async Task Should_quarantine_the_message_that_kills_the_process_and_deliver_the_others_exactly_once()
    {
        var config = _tmp.Sub("crash.conf");
        await File.WriteAllTextAsync(config, $$"""
            actor-gateway {
              fault-injection.fail-fast-recipients = "^deadly@"
              supervision.crash-loop-threshold = {{Threshold}}
              max-in-flight = 50
            }
            """);
        var staging = _tmp.Sub("staging");
        Directory.CreateDirectory(staging);
        Directory.CreateDirectory(Path.Combine(Data, "pickup"));
        for (var i = 0; i < Total; i++)
        {
            var (name, address) = i == 25 ? ("Deadly Person", "deadly@contoso.com") : ($"Person Number{i}", $"p{i}@contoso.com");
            Mail.Write(staging, $"m{i:000}.eml", Mail.Build(i, name, address));
        }
        var environment = new Dictionary<string, string> { ["GATEWAY_FAULT_INJECTION"] = "enabled" };

        // A restart loop, like systemd's Restart=always: start again whenever the process dies.
        var starts = 0;
        var output = new System.Text.StringBuilder();
        GatewayProcess? running = null;
        try
        {
            while (starts < Threshold + 3)
            {
                running = GatewayProcess.Start(environment, "run", "--data-dir", Data, "--config", config, "--smtp-listen", "off", "--admin-listen", "off");
                starts++;
                if (starts == 1)
                {
                    foreach (var f in Directory.GetFiles(staging)) File.Move(f, Path.Combine(Data, "pickup", Path.GetFileName(f)));
                }
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
                while (!running.HasExited && SpoolCount < Total - 1 && DateTime.UtcNow < deadline) await Task.Delay(100);
                if (!running.HasExited) break; // it stays up
                output.AppendLine($"--- start {starts} exited with {running.ExitCode} ---").AppendLine(running.Output);
                running.Dispose();
                running = null;
            }
            Assert.True(running is { HasExited: false }, $"the gateway did not stay up after {starts} starts:\n{output}");
            Assert.True(starts <= Threshold + 1, $"it took {starts} starts:\n{output}");
            Assert.True(starts > 1, "the fault injection never killed the process: the test tested nothing");

            await Wait.UntilAsync(() => SpoolCount >= Total - 1 && running.Output.Contains(ReasonCodes.CrashLoop), TimeSpan.FromSeconds(60),
                () => $"spool={SpoolCount}\n{output}\n{running.Output}");
            running.Terminate();
            Assert.True(await running.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            running?.Dispose();
        }

        // Every other message exactly once.
        var sourceIds = Directory.GetFiles(Spool, "*.eml").Select(f => SourceMessageId().Match(File.ReadAllText(f)).Groups[1].Value).ToList();
        Assert.Equal(Total - 1, sourceIds.Count);
        Assert.Equal(Total - 1, sourceIds.Distinct().Count());
        Assert.DoesNotContain("host-25", sourceIds);

        // Only the deadly message is quarantined, as a crash loop, naming the stage and the recipient.
        var (code, json) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "deadletters", "--data-dir", Data, "--json");
        Assert.True(code == 0, json);
        using var doc = JsonDocument.Parse(json[json.IndexOf('{')..]);
        var entry = Assert.Single(doc.RootElement.GetProperty("deadLetters").EnumerateArray());
        Assert.Equal(ReasonCodes.CrashLoop, entry.GetProperty("reason").GetString());
        Assert.Equal("mapping", entry.GetProperty("stage").GetString());
        Assert.Equal("deadly@contoso.com", entry.GetProperty("recipient").GetString());
    }

    [Fact]
    public async Task Should_refuse_to_start_with_fault_injection_unless_it_is_enabled_on_purpose()
    {
        var config = _tmp.Sub("crash.conf");
        await File.WriteAllTextAsync(config, "actor-gateway.fault-injection.fail-fast-recipients = \"^deadly@\"\n");

        var (code, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "run", "--data-dir", Data, "--config", config, "--smtp-listen", "off", "--admin-listen", "off");

        Assert.NotEqual(0, code);
        Assert.Contains("GATEWAY_FAULT_INJECTION", output);
    }

    [GeneratedRegex(@"Message-ID: <(host-\d+)@fabrikam\.com>", RegexOptions.IgnoreCase)]
    private static partial Regex SourceMessageId();

    public void Dispose() => _tmp.Dispose();
}
