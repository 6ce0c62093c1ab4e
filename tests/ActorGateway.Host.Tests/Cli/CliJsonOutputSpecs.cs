using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Cli;

/// <summary>
/// Every <c>--json</c> command of the real executable (child processes): its whole stdout must parse as one JSON
/// document, whatever else the process logs. Akka's own stdout logger is turned up to DEBUG where a command takes
/// --config, so that anything that still wrote to Console.Out would show.
/// </summary>
public sealed partial class CliJsonOutputSpecs : IDisposable
{
    private const string Token = "json-test-token-0123456789abcdef";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(90);
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private static JsonNode ParseWholeStdout(string what, int code, string stdout, string output)
    {
        Assert.True(code == 0, $"{what} exited {code}:\n{output}");
        try
        {
            return JsonNode.Parse(stdout) ?? throw new JsonException("null document");
        }
        catch (JsonException ex)
        {
            Assert.Fail($"{what}: stdout is not one JSON document ({ex.Message}):\n{stdout}");
            throw;
        }
    }

    [Fact]
    public async Task Should_print_only_json_on_stdout_for_every_json_command()
    {
        var noisy = _tmp.Sub("noisy.conf");
        await File.WriteAllTextAsync(noisy, "akka.stdout-loglevel = DEBUG\n");
        var input = _tmp.Sub("input");
        Directory.CreateDirectory(input);
        var poison = Mail.Write(input, "poison.eml", Mail.Build(2, "     ", "jdoe@contoso.com"));
        var none = new Dictionary<string, string>();

        // Offline commands on a data directory.
        var (pc, pout, pall) = await GatewayProcess.RunCapturedAsync(none, CliTimeout, "process", poison, "--data-dir", Data, "--json", "--config", noisy);
        var id = (string)ParseWholeStdout("process --json", pc, pout, pall)["messages"]![0]!["id"]!;
        var (rc, rout, rall) = await GatewayProcess.RunCapturedAsync(none, CliTimeout, "routes", "--data-dir", Data, "--json", "--config", noisy);
        ParseWholeStdout("routes --json", rc, rout, rall);
        var (jc, jout, jall) = await GatewayProcess.RunCapturedAsync(none, CliTimeout, "journal", id, "--data-dir", Data, "--json");
        ParseWholeStdout("journal --json", jc, jout, jall);
        var (dc, dout, dall) = await GatewayProcess.RunCapturedAsync(none, CliTimeout, "deadletters", "--data-dir", Data, "--json");
        Assert.Single(ParseWholeStdout("deadletters --json", dc, dout, dall)["deadLetters"]!.AsArray());
        var (mc, mout, mall) = await GatewayProcess.RunCapturedAsync(none, CliTimeout, "demo", "--json");
        ParseWholeStdout("demo --json", mc, mout, mall);

        // Online commands, through the admin API of a running service on the same data directory.
        using var service = GatewayProcess.Start(new Dictionary<string, string> { ["GATEWAY_ADMIN_TOKEN"] = Token },
            "run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "127.0.0.1:0", "--config", noisy);
        await Wait.UntilAsync(() => Listening().IsMatch(service.Output) || service.HasExited, TimeSpan.FromSeconds(60), () => service.Output);
        var env = new Dictionary<string, string>
        {
            ["GATEWAY_ADMIN_URL"] = Listening().Match(service.Output).Groups["url"].Value,
            ["GATEWAY_ADMIN_TOKEN"] = Token,
            ["USER"] = "json-test",
        };
        string[][] online =
        [
            ["deadletters", "list", "--json"],
            ["deadletters", "groups", "--json"],
            ["deadletters", "show", id, "--json"],
            ["deadletters", "replay", id, "--dry-run", "--json"],
            ["messages", "show", id, "--json"],
            ["hold", id, "--reason", "json test", "--json"],
            ["release", id, "--reason", "json test", "--json"],
            ["status", "--json"],
        ];
        foreach (var args in online)
        {
            var (code, stdout, all) = await GatewayProcess.RunCapturedAsync(env, CliTimeout, args);
            var what = string.Join(' ', args.Where(a => a != id));
            if (args[0] is "hold" or "release" && code != 0)
            {
                // A quarantined message may refuse hold/release with 409 and a code; that is still one JSON answer or one error line.
                Assert.DoesNotContain("[INFO]", stdout);
                Assert.DoesNotContain("[DEBUG]", stdout);
                continue;
            }
            ParseWholeStdout(what, code, stdout, all);
        }
        Assert.DoesNotContain("[DEBUG]", service.StandardOutput);
        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [GeneratedRegex(@"GW-ADMIN-LISTENING Admin API listening on (?<url>http://127\.0\.0\.1:\d+)/")]
    private static partial Regex Listening();

    public void Dispose() => _tmp.Dispose();
}
