using System.Net;
using System.Text.Json.Nodes;
using ActorGateway.Console.Tests.Support;
using ActorGateway.Domain;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActorGateway.Console.Tests;

/// <summary>
/// The operator console in a real chromium against a real <c>gateway run</c>. Both specs live in one class so
/// they run one after the other (one browser and one gateway at a time). Waits are Playwright's auto-waiting
/// expectations or polls of the service's state; nothing asserts on how long anything takes.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleSpecs
{
    private const string Token = "console-test-token-0123456789abcdef";

    private static string Eml(string from, string to, string subject, string messageId, params string[] extraHeaders) =>
        $"From: {from}\nTo: {to}\nSubject: {subject}\nDate: Mon, 23 Nov 2026 10:05:00 +0000\nMessage-ID: {messageId}\n"
        + string.Concat(extraHeaders.Select(h => h + "\n"))
        + "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nBody.\n";

    [SkippableFact]
    public async Task Should_fix_the_blank_display_name_group_with_the_guided_fix_and_replay_it_to_delivery()
    {
        await using var s = await ConsoleSession.StartAsync(Token);
        var page = s.Page;

        // 1. The seed's poison message and two more mapping failures of the same kind.
        s.DropSample("017-poison-blank-display-name.eml", "poison.eml");
        s.Drop("blank-2.eml", Eml("\"Exchange Admin\" <admin@fabrikam.com>", "\"   \" <asmith@contoso.com>", "second blank name", "<blank-2@fabrikam.com>"));
        s.Drop("blank-3.eml", Eml("\"Exchange Admin\" <admin@fabrikam.com>", "bwong@contoso.com", "no display name at all", "<blank-3@fabrikam.com>"));
        var entries = await s.QuarantineAsync(3);
        Assert.All(entries, e => Assert.Equal(ReasonCodes.MapBlankDisplayName, (string)e!["reason"]!));
        var poisonId = (string)entries.Single(e => (string)e!["source"]! == "pickup:poison.eml")!["messageId"]!;
        var otherId = (string)entries.First(e => (string)e!["messageId"]! != poisonId)!["messageId"]!;

        // 2. The console asks for the token once (typed, Enter), then shows the group with 3.
        await page.GotoAsync(s.Url.ToString());
        var tokenDialog = page.Locator("#token-dialog");
        await Expect(tokenDialog).ToBeVisibleAsync();
        await page.Locator("#token-input").FillAsync(Token);
        await page.Locator("#operator-input").FillAsync("alice");
        await page.Locator("#token-input").PressAsync("Enter");
        await Expect(tokenDialog).ToBeHiddenAsync();
        Assert.Equal(Token, await page.EvaluateAsync<string>("() => sessionStorage.getItem('actor-gateway.admin-token')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('actor-gateway.admin-token')"));
        var groupRow = page.Locator($"tr[data-reason='{ReasonCodes.MapBlankDisplayName}']");
        await Expect(groupRow.GetByTestId("count")).ToHaveTextAsync("3");
        await Expect(page.GetByTestId("quarantined")).ToHaveTextAsync("3");
        await Expect(groupRow.Locator("time").First).ToContainTextAsync("UTC");
        await Expect(groupRow.Locator("time .local").First).ToContainTextAsync("local");
        await s.ScreenshotAsync("overview");

        // The group, opened with the keyboard; its URL is a deep link.
        await groupRow.GetByRole(AriaRole.Link, new() { Name = ReasonCodes.MapBlankDisplayName }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/group/{ReasonCodes.MapBlankDisplayName}"));
        await Expect(page.Locator("tr[data-message-id]")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("group-count")).ToContainTextAsync("3 message(s) match");
        await s.ScreenshotAsync("group");

        // 3. A message and its timeline.
        await page.Locator($"tr[data-message-id='{poisonId}'] a").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/message/{poisonId}$"));
        var timeline = page.GetByTestId("timeline");
        await Expect(timeline.Locator("li[data-type='message-accepted.v1']")).ToHaveCountAsync(1);
        await Expect(timeline.Locator("li[data-type='message-dead-lettered.v1']")).ToContainTextAsync(ReasonCodes.MapBlankDisplayName);
        await Expect(page.Locator("tr[data-recipient='jdoe@contoso.com']")).ToContainTextAsync("5 × U+0020");
        await Expect(page.Locator(".deadletter")).ToContainTextAsync("mapping");
        await s.ScreenshotAsync("message");

        // 4. The guided fix for its one recipient: the dry run shows old and new mapping, and nothing is written yet.
        await page.GetByRole(AriaRole.Link, new() { Name = "Dry-run / guided fix…" }).ClickAsync();
        var row = page.Locator("form.fix tr[data-recipient='jdoe@contoso.com']");
        await row.Locator("input[name='userId']").FillAsync("jdoe");
        await row.Locator("input[name='node']").FillAsync("vmnode1");
        await page.Locator("#fix-why").FillAsync("jdoe's display name is blank in the source directory");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        var change = page.GetByTestId("directory-changes").Locator("tr[data-address='jdoe@contoso.com']");
        await Expect(change).ToContainTextAsync("none");
        await Expect(change).ToContainTextAsync("JDOE@VMNODE1");
        var preview = page.GetByTestId("preview").Locator("tr[data-address='jdoe@contoso.com']");
        await Expect(preview.GetByTestId("old")).ToContainTextAsync(ReasonCodes.MapBlankDisplayName);
        await Expect(preview.GetByTestId("new")).ToContainTextAsync("JDOE@VMNODE1");
        await Expect(preview.GetByTestId("new")).ToContainTextAsync("changed");
        var directoryFile = Path.Combine(s.Data, "directory.csv");
        Assert.False(File.Exists(directoryFile), "the dry run wrote the directory");
        await s.ScreenshotAsync("guided-fix");

        // 5. Confirm: the entry is written and journaled, the message replayed, delivered, and in the spool.
        await page.Locator("#apply-fix").ClickAsync();
        await Expect(page.GetByTestId("fix-done")).ToContainTextAsync("1 replayed");
        Assert.Contains("jdoe@contoso.com,JDOE,VMNODE1", await File.ReadAllTextAsync(directoryFile));
        var history = (await s.GetJsonAsync("api/v1/directory/history"))!["history"]!.AsArray();
        var set = Assert.Single(history)!["event"]!;
        Assert.Equal("alice", (string)set["by"]!);
        Assert.Equal("jdoe's display name is blank in the source directory", (string)set["why"]!);
        Assert.Equal("JDOE", (string)set["new"]!["userId"]!);
        Assert.Null(set["old"]);
        await page.GetByRole(AriaRole.Link, new() { Name = "Follow the message" }).ClickAsync();
        await Expect(page.GetByTestId("message-status")).ToContainTextAsync("delivered");
        await Expect(page.Locator("tr[data-recipient='jdoe@contoso.com']")).ToContainTextAsync("JDOE@VMNODE1");
        await Expect(page.GetByTestId("timeline").Locator("li[data-type='replay-requested.v1']")).ToContainTextAsync("requested by alice");
        await ConsoleSession.WaitAsync(() => Task.FromResult(File.Exists(Path.Combine(s.Outbound, poisonId + ".eml"))), () => $"no spool file for {poisonId}\n{s.GatewayOutput}");
        await page.GotoAsync(s.Url + "#/");
        await Expect(groupRow.GetByTestId("count")).ToHaveTextAsync("2");

        // 6. Without the token a purge is refused, and the message stays.
        var refused = await page.EvaluateAsync<JsonElementPair>(
            "async (id) => { const r = await fetch('/api/v1/messages/' + id + '/purge', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ why: 'no token' }) });" +
            " const b = await r.json(); return { status: r.status, code: b.code }; }", otherId);
        Assert.Equal(401, refused.Status);
        Assert.Equal(ReasonCodes.AdminUnauthorized, refused.Code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Forget token" }).ClickAsync();
        await Expect(tokenDialog).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('actor-gateway.admin-token')"));
        var still = await s.GetJsonAsync($"api/v1/messages/{otherId}");
        Assert.True((bool)still!["quarantined"]!);

        // A purge through the console asks for confirmation and a reason; cancelling changes nothing.
        await page.Locator("#token-input").FillAsync(Token);
        await page.Locator("#token-input").PressAsync("Enter");
        await page.GotoAsync(s.Url + "#/message/" + otherId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Purge…" }).ClickAsync();
        await Expect(page.Locator("#confirm-dialog")).ToBeVisibleAsync();
        await Expect(page.Locator("#confirm-reason")).ToHaveAttributeAsync("required", "");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#confirm-dialog")).ToBeHiddenAsync();
        Assert.True((bool)(await s.GetJsonAsync($"api/v1/messages/{otherId}"))!["quarantined"]!);

        // Hold and release, with the reason typed once; the journal names the operator.
        await page.Locator("#action-reason").FillAsync("looking at it");
        await page.GetByRole(AriaRole.Button, new() { Name = "Hold" }).ClickAsync();
        await Expect(page.GetByTestId("message-status")).ToContainTextAsync("held by alice: looking at it");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Replay" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Release" }).ClickAsync();
        await Expect(page.GetByTestId("message-status")).Not.ToContainTextAsync("held by");
        await Expect(page.GetByTestId("timeline").Locator("li[data-type='hold-released.v1']")).ToContainTextAsync("released by alice");

        // 7. The rest of the group: a bulk dry run (they would fail again), then a paced bulk replay with its progress.
        await page.GotoAsync(s.Url + "#/group/" + ReasonCodes.MapBlankDisplayName);
        await Expect(page.Locator("tr[data-message-id]")).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry-run a replay" }).ClickAsync();
        await Expect(page.Locator("section.dry-run")).ToContainTextAsync("2 of 2 examined: 0 would map, 2 would fail again");
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay all 2 (paced)…" }).ClickAsync();
        await page.Locator("#confirm-reason").FillAsync("check they still fail");
        await page.Locator("#confirm-reason").PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/job/"));
        await Expect(page.Locator("section.job")).ToContainTextAsync("2 of 2 replayed");
        await Expect(page.Locator("section.job .badge").First).ToHaveTextAsync("done");
        await Expect(page.Locator("section.job")).ToContainTextAsync("dead-lettered 2");
        await Expect(page.Locator("#job-progress")).ToHaveAttributeAsync("value", "2");

        // 8. The guided fix for the whole group: both recipients, one dry run, one write, two replays.
        await page.GotoAsync(s.Url + "#/group/" + ReasonCodes.MapBlankDisplayName);
        await page.GetByRole(AriaRole.Link, new() { Name = "Guided mapping fix…" }).ClickAsync();
        await Expect(page.Locator("form.fix tbody tr")).ToHaveCountAsync(2);
        foreach (var (address, userId) in new[] { ("asmith@contoso.com", "ASMITH"), ("bwong@contoso.com", "BWONG") })
        {
            var fixRow = page.Locator($"form.fix tr[data-recipient='{address}']");
            await fixRow.Locator("input[name='userId']").FillAsync(userId);
            await fixRow.Locator("input[name='node']").FillAsync("VMNODE1");
        }
        await page.Locator("#fix-why").FillAsync("both blank in the source directory");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        await Expect(page.Locator("section.dry-run")).ToContainTextAsync("2 of 2 would map");
        await page.Locator("#apply-fix").ClickAsync();
        await Expect(page.GetByTestId("fix-done")).ToContainTextAsync("2 replayed");
        await page.GotoAsync(s.Url + "#/");
        await Expect(page.Locator("main")).ToContainTextAsync("The quarantine is empty.");
        await ConsoleSession.WaitAsync(() => Task.FromResult(Directory.GetFiles(s.Outbound, "*.eml").Length == 3), () => $"not all three in the spool\n{s.GatewayOutput}");
        await page.GotoAsync(s.Url + "#/directory");
        await Expect(page.Locator("main tbody tr")).ToHaveCountAsync(3);

        // Phone width: nothing overflows the page sideways (tables scroll inside their box).
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync(s.Url + "#/message/" + poisonId);
        await Expect(page.GetByTestId("message-status")).ToContainTextAsync("delivered");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "a message overflows a phone-width screen");
        await s.ScreenshotAsync("message-phone");
        await page.GotoAsync(s.Url + "#/");
        await Expect(page.GetByTestId("quarantined")).ToHaveTextAsync("0");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the overview overflows a phone-width screen");
        await s.ScreenshotAsync("overview-phone");
    }

    [SkippableFact]
    public async Task Should_show_html_and_script_in_a_message_as_text_and_never_run_it()
    {
        // No token: the console answers on loopback only, reads work, changes are refused with the reason.
        await using var s = await ConsoleSession.StartAsync(token: null);
        var page = s.Page;
        var dialogs = new List<string>();
        page.Dialog += async (_, d) =>
        {
            dialogs.Add(d.Message);
            await d.DismissAsync();
        };
        const string subject = "<script>window.__pwned='subject'</script><img src=x onerror=\"window.__pwned='img'\"> & <b>bold</b>";
        const string fromName = "<img src=x onerror=alert('from')>Mallory";
        const string toName = "<script>alert('to')</script>";
        s.Drop("hostile.eml", Eml(
            $"\"{fromName}\" <mallory@fabrikam.com>",
            $"\"   \" <victim@contoso.com>, \"{toName}\" <eve@contoso.com>",
            subject,
            "<x-<svg onload=alert(1)>@fabrikam.com>",
            "X-Evil: <iframe src=\"javascript:alert('header')\"></iframe>"));
        var entry = Assert.Single(await s.QuarantineAsync(1))!;
        var id = (string)entry["messageId"]!;

        await page.GotoAsync(s.Url + "#/message/" + id);
        await Expect(page.GetByTestId("subject")).ToHaveTextAsync(subject);
        await Expect(page.Locator("main")).ToContainTextAsync(fromName);
        await Expect(page.Locator("tr[data-recipient='eve@contoso.com']")).ToContainTextAsync(toName);
        await Expect(page.GetByTestId("timeline").Locator("li[data-type='message-accepted.v1']")).ToHaveCountAsync(1);
        // Every event's JSON is shown too (open one), also as text.
        await page.GetByTestId("timeline").Locator("details summary").First.ClickAsync();
        await Expect(page.GetByTestId("timeline").Locator("pre").First).ToContainTextAsync("<script>");

        Assert.Equal(0, await page.Locator("main script, main img, main iframe, main b, main svg:not(.spark)").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        Assert.Empty(dialogs);

        // The group page and the guided fix show the same strings as text.
        await page.GotoAsync(s.Url + "#/fix/message/" + id);
        await Expect(page.Locator("form.fix tr[data-recipient='victim@contoso.com']")).ToBeVisibleAsync();
        await page.GotoAsync(s.Url + "#/group/" + (string)entry["reason"]!);
        await Expect(page.Locator($"tr[data-message-id='{id}']")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("main script, main img, main iframe, main b").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        Assert.Empty(dialogs);

        // Without a token a change is refused, and the console says why.
        await page.GotoAsync(s.Url + "#/message/" + id);
        await page.GetByRole(AriaRole.Button, new() { Name = "Hold" }).ClickAsync();
        await Expect(page.Locator("#alert")).ToContainTextAsync(ReasonCodes.AdminTokenRequired);

        // The export is the original, byte for byte, headers and all.
        var export = page.GetByRole(AriaRole.Button, new() { Name = "Export .eml" });
        await Expect(export).ToBeEnabledAsync();
        var consoleLines = new List<string>();
        page.Console += (_, m) => consoleLines.Add(m.Text);
        IDownload download;
        try
        {
            download = await page.RunAndWaitForDownloadAsync(() => export.ClickAsync(), new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail("no download; alert: " + await page.Locator("#alert").TextContentAsync() + "; console: " + string.Join(" | ", consoleLines));
            throw;
        }
        Assert.Equal(id + ".eml", download.SuggestedFilename);
        var exported = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains("X-Evil: <iframe src=\"javascript:alert('header')\"></iframe>", exported);
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));

        // The console's answers carry the CSP; without a token it answers for loopback names only.
        using var index = await s.Http.GetAsync("");
        Assert.Contains("script-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("unsafe-inline", index.Headers.GetValues("Content-Security-Policy").Single());
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "") { Headers = { Host = "evil.example" } };
        using var refused = await s.Http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(ReasonCodes.AdminForbidden, (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!);
    }

    /// <summary>What the page's own fetch of a purge answered.</summary>
    public sealed class JsonElementPair
    {
        public int Status { get; set; }

        public string Code { get; set; } = "";
    }
}
