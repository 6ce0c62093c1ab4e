using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Testing;
using Microsoft.Playwright;

namespace ActorGateway.Console.Tests.Support;

/// <summary>
/// A real <c>gateway run</c> on a temp data directory (admin API on 127.0.0.1, port chosen by the OS) and a real
/// chromium driven by Playwright: Debian's <c>/usr/bin/chromium</c> as the executable, headless, with a new empty
/// profile. Playwright's own browser download is never used. Disposing stops the browser and the gateway.
/// </summary>
public sealed partial class ConsoleSession : IAsyncDisposable
{
    /// <summary>Debian's chromium; <c>GATEWAY_CHROMIUM</c> names another build of chromium (never Playwright's download).</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("GATEWAY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    public const string Dependency = "chromium (apt-get install chromium)";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly TempDir _tmp = new();
    private GatewayProcess? _gateway;
    private IPlaywright? _playwright;
    private IBrowserContext? _context;

    private ConsoleSession()
    {
    }

    public string Data => _tmp.Sub("data");

    public string Pickup => Path.Combine(Data, "pickup");

    public string Outbound => Path.Combine(Data, "outbound");

    public Uri Url { get; private set; } = null!;

    public string? Token { get; private set; }

    public IPage Page { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string GatewayOutput => _gateway?.Output ?? "";

    /// <summary>Why chromium cannot be used here, or null when it can.</summary>
    public static string? ChromiumMissing() =>
        File.Exists(ChromiumPath) ? null : $"{ChromiumPath} not found";

    /// <summary>Starts the gateway (with <paramref name="token"/> as its admin token, or none) and the browser.</summary>
    public static async Task<ConsoleSession> StartAsync(string? token, int width = 1280, int height = 800)
    {
        ExternalDependency.Require(Dependency, ChromiumMissing());
        var session = new ConsoleSession { Token = token };
        try
        {
            await session.StartGatewayAsync();
            await session.StartBrowserAsync(width, height);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task StartGatewayAsync()
    {
        Directory.CreateDirectory(Pickup);
        _gateway = GatewayProcess.Start(new Dictionary<string, string> { ["GATEWAY_ADMIN_TOKEN"] = Token ?? "" },
            "run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "127.0.0.1:0");
        await Wait.UntilAsync(() => Listening().IsMatch(_gateway.Output) || _gateway.HasExited, TimeSpan.FromSeconds(90), () => _gateway.Output);
        Assert.False(_gateway.HasExited, _gateway.Output);
        Url = new Uri(Listening().Match(_gateway.Output).Groups["url"].Value + "/");
        Http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        if (Token is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    private async Task StartBrowserAsync(int width, int height)
    {
        _playwright = await Playwright.CreateAsync();
        _context = await _playwright.Chromium.LaunchPersistentContextAsync(_tmp.Sub("chromium-profile"), new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "Europe/Berlin",
        });
        Page = _context.Pages.Count > 0 ? _context.Pages[0] : await _context.NewPageAsync();
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>Drops an .eml into the pickup directory the way an MTA would (written aside, then renamed in).</summary>
    public void Drop(string name, string eml)
    {
        var temp = Path.Combine(Data, name + ".tmp");
        File.WriteAllText(temp, eml.ReplaceLineEndings("\r\n"));
        File.Move(temp, Path.Combine(Pickup, name));
    }

    public void DropSample(string sample, string name) => Drop(name, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", sample)));

    /// <summary>Waits until the quarantine holds <paramref name="count"/> entries and returns them.</summary>
    public async Task<JsonArray> QuarantineAsync(int count)
    {
        JsonArray entries = [];
        await WaitAsync(async () =>
        {
            entries = (await GetJsonAsync("api/v1/deadletters"))!["deadLetters"]!.AsArray();
            return entries.Count == count;
        }, () => $"the quarantine never held {count} entries (has {entries.Count})\n{GatewayOutput}");
        return entries;
    }

    public async Task<JsonNode?> GetJsonAsync(string path) => JsonNode.Parse(await Http.GetStringAsync(path));

    /// <summary>Polls <paramref name="condition"/> (a state of the service, not a duration) for up to a minute.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(describe());
            await Task.Delay(200);
        }
    }

    /// <summary>Saves a full-page PNG into the test output, and into $GATEWAY_CONSOLE_SCREENSHOTS when set (docs/console/).</summary>
    public async Task ScreenshotAsync(string name)
    {
        var dirs = new List<string> { Path.Combine(AppContext.BaseDirectory, "screenshots") };
        if (Environment.GetEnvironmentVariable("GATEWAY_CONSOLE_SCREENSHOTS") is { Length: > 0 } extra) dirs.Add(extra);
        var bytes = await Page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true, Type = ScreenshotType.Png });
        foreach (var dir in dirs)
        {
            Directory.CreateDirectory(dir);
            await File.WriteAllBytesAsync(Path.Combine(dir, name + ".png"), bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        _playwright?.Dispose();
        Http?.Dispose();
        if (_gateway is not null)
        {
            _gateway.Terminate();
            if (!await _gateway.WaitForExitAsync(TimeSpan.FromSeconds(30))) _gateway.KillHard();
            _gateway.Dispose();
        }
        _tmp.Dispose();
    }

    [GeneratedRegex(@"GW-ADMIN-LISTENING Admin API listening on (?<url>http://127\.0\.0\.1:\d+)/")]
    private static partial Regex Listening();
}
