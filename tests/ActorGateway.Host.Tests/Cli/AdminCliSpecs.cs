using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Cli;

/// <summary>
/// The real <c>gateway</c> CLI against a real <c>gateway run</c> (child processes), through the admin API on
/// a port chosen by the OS: the fix-and-replay workflow as an operator types it, and the CLI's errors.
/// </summary>
public sealed partial class AdminCliSpecs : IDisposable
{
    private const string Token = "cli-test-token-0123456789abcdef";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private static Dictionary<string, string> Env(string url, string? token = Token) => new()
    {
        ["GATEWAY_ADMIN_URL"] = url,
        ["GATEWAY_ADMIN_TOKEN"] = token ?? "",
        ["USER"] = "cli-test",
    };

    [Fact]
    public async Task Should_fix_and_replay_the_poison_message_with_the_cli_against_a_running_service()
    {
        Directory.CreateDirectory(Path.Combine(Data, "pickup"));
        using var service = GatewayProcess.Start(new Dictionary<string, string> { ["GATEWAY_ADMIN_TOKEN"] = Token },
            "run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "127.0.0.1:0");
        await Wait.UntilAsync(() => Listening().IsMatch(service.Output) || service.HasExited, TimeSpan.FromSeconds(60), () => service.Output);
        var url = Listening().Match(service.Output).Groups["url"].Value;
        Assert.False(string.IsNullOrEmpty(url), service.Output);
        var env = Env(url);

        File.Copy(Path.Combine(AppContext.BaseDirectory, "samples", "017-poison-blank-display-name.eml"), Path.Combine(Data, "poison.tmp"));
        File.Move(Path.Combine(Data, "poison.tmp"), Path.Combine(Data, "pickup", "poison.eml"));
        var id = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (id.Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the poison message never showed in the quarantine\n{service.Output}");
            var (code, json) = await GatewayProcess.RunAsync(env, CliTimeout, "deadletters", "list", "--code", ReasonCodes.MapBlankDisplayName, "--json");
            Assert.True(code == 0, json);
            var entries = JsonNode.Parse(json)!["deadLetters"]!.AsArray();
            if (entries.Count == 1) id = (string)entries[0]!["messageId"]!;
            else await Task.Delay(200);
        }

        var (beforeCode, before) = await GatewayProcess.RunAsync(env, CliTimeout, "deadletters", "replay", id, "--dry-run");
        Assert.True(beforeCode == 0, before);
        Assert.Contains("would NOT map", before);

        await File.WriteAllTextAsync(Path.Combine(Data, "directory.csv"), "jdoe@contoso.com,JDOE,VMNODE1\n");
        var (afterCode, after) = await GatewayProcess.RunAsync(env, CliTimeout, "deadletters", "replay", id, "--dry-run");
        Assert.True(afterCode == 0, after);
        Assert.Contains("would now map", after);
        Assert.Contains("JDOE@VMNODE1", after);

        var (replayCode, replay) = await GatewayProcess.RunAsync(env, CliTimeout, "deadletters", "replay", id, "--reason", "added jdoe to the directory", "--as", "alice");
        Assert.True(replayCode == 0, replay);
        Assert.Contains(ReasonCodes.ReplayRequested, replay);

        var outbound = Path.Combine(Data, "outbound");
        await Wait.UntilAsync(() => Directory.Exists(outbound) && Directory.GetFiles(outbound, $"{id}*").Length == 1, TimeSpan.FromSeconds(60), () => service.Output);
        // The spool file is made durable before MessageDelivered is journaled, so the timeline may lag the file
        // by one batch: read it until it says delivered.
        var show = "";
        var showDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!show.Contains("delivered, replays 1") && DateTime.UtcNow < showDeadline)
        {
            var (showCode, text) = await GatewayProcess.RunAsync(env, CliTimeout, "messages", "show", id);
            Assert.True(showCode == 0, text);
            show = text;
            if (!show.Contains("delivered, replays 1")) await Task.Delay(200);
        }
        Assert.Contains("delivered, replays 1", show);
        Assert.Contains("replay 1 requested by alice: added jdoe to the directory", show);
        Assert.Contains("jdoe@contoso.com -> JDOE@VMNODE1 (directory)", show);

        // Errors: one line with the code, and the usual exit codes.
        var (againCode, again) = await GatewayProcess.RunAsync(env, CliTimeout, "deadletters", "replay", id);
        Assert.Equal(1, againCode);
        Assert.Contains($"error {ReasonCodes.NotInQuarantine}:", again);
        var (unknownCode, unknown) = await GatewayProcess.RunAsync(env, CliTimeout, "hold", "0123456789abcdef0123456789abcdef");
        Assert.Equal(5, unknownCode);
        Assert.Contains($"error {ReasonCodes.MessageNotFound}:", unknown);
        var (noTokenCode, noToken) = await GatewayProcess.RunAsync(Env(url, token: null), CliTimeout, "hold", id);
        Assert.Equal(2, noTokenCode);
        Assert.Contains($"error {ReasonCodes.AdminUnauthorized}:", noToken);

        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), "gateway did not stop on SIGTERM");
        Assert.Equal(0, service.ExitCode);
        var (downCode, down) = await GatewayProcess.RunAsync(env, CliTimeout, "status");
        Assert.Equal(1, downCode);
        Assert.Contains($"error {ReasonCodes.CliAdminUnreachable}:", down);
        Assert.Contains("is `gateway run` up?", down);
    }

    [Fact]
    public async Task Should_refuse_to_run_the_admin_api_on_a_non_loopback_address_without_a_token()
    {
        var (code, output) = await GatewayProcess.RunAsync(new Dictionary<string, string> { ["GATEWAY_ADMIN_TOKEN"] = "" }, CliTimeout,
            "run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "0.0.0.0:0");

        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"error {ReasonCodes.AdminTokenRequired}:", line);
    }

    public void Dispose() => _tmp.Dispose();

    [GeneratedRegex(@"GW-ADMIN-LISTENING Admin API listening on (?<url>http://127\.0\.0\.1:\d+)/")]
    private static partial Regex Listening();
}
