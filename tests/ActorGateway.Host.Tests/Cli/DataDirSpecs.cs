using System.Diagnostics;
using System.Text.Json;
using ActorGateway.Domain;
using ActorGateway.Host.Cli;
using ActorGateway.Host.Tests.Support;
using ActorGateway.Testing;

namespace ActorGateway.Host.Tests.Cli;

/// <summary>
/// A data directory that is not what it should be: its journal truncated or swapped while accepted messages wait,
/// read-only, or a regular file. Each gets its own code and exit code, and nothing is silently lost.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataDirSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await GatewayCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Input(string name, string content)
    {
        var input = _tmp.Sub("input");
        Directory.CreateDirectory(input);
        return Mail.Write(input, name, content);
    }

    /// <summary>A poison message: dead-lettered, so its content stays in the content store, waiting for an operator.</summary>
    private async Task ProcessPoisonAsync()
    {
        var (code, _, err) = await Cli("process", Input("poison.eml", Mail.Build(2, "     ", "jdoe@contoso.com")), "--data-dir", Data);
        Assert.True(code == 0, err);
        Assert.Equal(1, ActorGateway.Actors.Storage.SqliteContentStore.CountStored(Path.Combine(Data, "content.db"), Path.Combine(Data, "content")));
    }

    private void TruncateJournal()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "-wal", "-shm" }) File.Delete(Path.Combine(Data, "gateway.db" + suffix));
        File.WriteAllBytes(Path.Combine(Data, "gateway.db"), []);
    }

    [Fact]
    public async Task Should_refuse_to_start_on_an_emptied_journal_while_accepted_messages_wait_unless_a_new_journal_is_asked_for()
    {
        await ProcessPoisonAsync();
        TruncateJournal();
        var ordinary = Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com"));

        var (code, _, err) = await Cli("process", ordinary, "--data-dir", Data);

        Assert.Equal(ExitCodes.JournalMissing, code);
        Assert.Contains($"error {ReasonCodes.JournalMissing}:", err);
        Assert.Contains("empty (0 bytes)", err);
        Assert.Contains("--new-journal", err);
        Assert.Equal(0, new FileInfo(Path.Combine(Data, "gateway.db")).Length);

        var (again, _, againErr) = await Cli("process", ordinary, "--data-dir", Data, "--new-journal");
        Assert.True(again == 0, againErr);
        Assert.Contains($"warning {ReasonCodes.JournalMissing}:", againErr);
        var (after, _, afterErr) = await Cli("process", ordinary, "--data-dir", Data);
        Assert.True(after == 0, afterErr);
    }

    [Fact]
    public async Task Should_refuse_to_start_the_service_on_a_journal_that_is_not_the_data_directorys_own()
    {
        await ProcessPoisonAsync();
        var other = _tmp.Sub("other");
        var (otherCode, _, otherErr) = await Cli("process", Input("o.eml", Mail.Build(3, "Grace Hopper", "grace@contoso.com")), "--data-dir", other);
        Assert.True(otherCode == 0, otherErr);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "-wal", "-shm" }) File.Delete(Path.Combine(Data, "gateway.db" + suffix));
        File.Copy(Path.Combine(other, "gateway.db"), Path.Combine(Data, "gateway.db"), overwrite: true);

        var (code, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "run", "--data-dir", Data, "--smtp-listen", "off", "--admin-listen", "off");

        Assert.True(code == ExitCodes.JournalMissing, output);
        Assert.Contains(ReasonCodes.JournalMissing, output);
        Assert.Contains("a different journal", output);
    }

    [Fact]
    public async Task Should_start_a_fresh_data_directory_and_adopt_one_from_before_the_marker()
    {
        var ordinary = Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com"));
        var (code, _, err) = await Cli("process", ordinary, "--data-dir", Data);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(Data, "gateway-data.json")));

        File.Delete(Path.Combine(Data, "gateway-data.json")); // as a data directory made before the marker existed
        var (again, _, againErr) = await Cli("process", ordinary, "--data-dir", Data);
        Assert.True(again == 0, againErr);
        Assert.True(File.Exists(Path.Combine(Data, "gateway-data.json")));
    }

    [SkippableFact]
    public async Task Should_report_a_read_only_data_directory_as_read_only_not_as_locked()
    {
        Directory.CreateDirectory(Data);
        using var readOnly = MakeReadOnly(Data);

        var (code, _, err) = await Cli("process", Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com")), "--data-dir", Data);

        Assert.Equal(ExitCodes.DataDirReadOnly, code);
        Assert.Contains($"error {ReasonCodes.CliDataDirReadOnly}:", err);
        Assert.DoesNotContain(ReasonCodes.CliDataDirLocked, err);
    }

    [Fact]
    public async Task Should_report_a_data_dir_that_is_a_regular_file_with_its_own_code()
    {
        var file = _tmp.Sub("not-a-dir");
        await File.WriteAllTextAsync(file, "x");

        var (code, _, err) = await Cli("process", Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com")), "--data-dir", file);
        var (queryCode, _, queryErr) = await Cli("deadletters", "--data-dir", file);

        Assert.Equal(ExitCodes.BadArgument, code);
        Assert.Contains($"error {ReasonCodes.CliDataDirNotADirectory}:", err);
        Assert.DoesNotContain("IOException", err);
        Assert.Equal(ExitCodes.BadArgument, queryCode);
        Assert.Contains(ReasonCodes.CliDataDirNotADirectory, queryErr);
    }

    [Theory]
    [InlineData("10s")]
    [InlineData("5m")]
    [InlineData("1h")]
    [InlineData("00:00:30")]
    public async Task Should_accept_the_usual_forms_of_a_timeout(string timeout)
    {
        var (code, _, err) = await Cli("process", Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com")), "--data-dir", Data, "--timeout", timeout);

        Assert.True(code == 0, err);
    }

    [Fact]
    public async Task Should_refuse_a_malformed_timeout_with_a_clear_error()
    {
        var (code, _, err) = await Cli("process", Input("ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com")), "--data-dir", Data, "--timeout", "soon");

        Assert.Equal(ExitCodes.BadArgument, code);
        Assert.Contains(ReasonCodes.CliBadArgument, err);
        Assert.Contains("10s", err);
    }

    /// <summary>
    /// Makes <paramref name="dir"/> unwritable for this process: without write permission for an ordinary user; for
    /// root (who ignores permissions), a read-only tmpfs mounted over it.
    /// </summary>
    private static IDisposable MakeReadOnly(string dir)
    {
        if (Environment.UserName != "root" && geteuid() != 0)
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return new Undo(() => File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        }
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir);
        ExternalDependency.Require("a read-only mount (as root: mount -t tmpfs -o ro, CAP_SYS_ADMIN)", code == 0 ? null : output);
        return new Undo(() => Run("umount", dir));
    }

    private static (int, string) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    public void Dispose() => _tmp.Dispose();
}
