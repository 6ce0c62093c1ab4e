using System.Text.Json;
using ActorGateway.Domain;
using ActorGateway.Host.Cli;
using ActorGateway.Host.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ActorGateway.Host.Tests.Cli;

/// <summary>The CLI in-process, on a temporary data directory with a real SQLite journal.</summary>
public sealed class GatewayCliSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await GatewayCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private (string Ordinary, string Poison, string Empty, string NoRecipient) WriteInputs()
    {
        var input = _tmp.Sub("input");
        Directory.CreateDirectory(input);
        return (
            Mail.Write(input, "ordinary.eml", Mail.Build(1, "Smith, John", "john.smith@contoso.com")),
            Mail.Write(input, "poison.eml", Mail.Build(2, "     ", "jdoe@contoso.com")),
            Mail.Write(input, "empty.eml", ""),
            Mail.Write(input, "norcpt.eml", "From: a@fabrikam.com\r\nSubject: nobody\r\n\r\nbody\r\n"));
    }

    [Fact]
    public async Task Should_report_each_file_outcome_as_json_from_process()
    {
        var (ordinary, poison, empty, noRecipient) = WriteInputs();
        var data = _tmp.Sub("data");

        var (code, stdout, stderr) = await Cli("process", ordinary, poison, empty, noRecipient, "--data-dir", data, "--json");

        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var messages = doc.RootElement.GetProperty("messages").EnumerateArray().ToDictionary(m => Path.GetFileName(m.GetProperty("source").GetString()!));
        Assert.Equal("delivered", messages["ordinary.eml"].GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, messages["ordinary.eml"].GetProperty("reason").ValueKind);
        Assert.Equal("dead-lettered", messages["poison.eml"].GetProperty("outcome").GetString());
        Assert.Equal(ReasonCodes.MapBlankDisplayName, messages["poison.eml"].GetProperty("reason").GetString());
        Assert.Equal("rejected", messages["empty.eml"].GetProperty("outcome").GetString());
        Assert.Equal(ReasonCodes.MimeEmpty, messages["empty.eml"].GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, messages["empty.eml"].GetProperty("id").ValueKind);
        Assert.Equal(ReasonCodes.MimeNoRecipients, messages["norcpt.eml"].GetProperty("reason").GetString());

        var deliveredId = messages["ordinary.eml"].GetProperty("id").GetString()!;
        var spooled = await File.ReadAllTextAsync(Path.Combine(data, "outbound", deliveredId + ".eml"));
        Assert.Contains("To: JSMITH@VMNODE1", spooled);
    }

    [Fact]
    public async Task Should_print_the_timeline_and_the_dead_letter_queue_from_the_journal()
    {
        var (ordinary, poison, _, _) = WriteInputs();
        var data = _tmp.Sub("data");
        var (_, processed, _) = await Cli("process", ordinary, poison, "--data-dir", data, "--json");
        using var doc = JsonDocument.Parse(processed);
        var poisonId = doc.RootElement.GetProperty("messages").EnumerateArray()
            .Single(m => m.GetProperty("outcome").GetString() == "dead-lettered").GetProperty("id").GetString()!;
        var deliveredId = doc.RootElement.GetProperty("messages").EnumerateArray()
            .Single(m => m.GetProperty("outcome").GetString() == "delivered").GetProperty("id").GetString()!;

        var (code, timeline, err) = await Cli("journal", poisonId, "--data-dir", data);
        Assert.True(code == 0, err);
        Assert.Contains("message-accepted.v1", timeline);
        Assert.Contains("message-dead-lettered.v1", timeline);
        Assert.Contains(ReasonCodes.MapBlankDisplayName, timeline);
        Assert.Contains("5 x U+0020", timeline);

        var (jcode, timelineJson, _) = await Cli("journal", deliveredId, "--data-dir", data, "--json");
        Assert.Equal(0, jcode);
        using var tl = JsonDocument.Parse(timelineJson);
        var types = tl.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["message-accepted.v1", "recipients-mapped.v1", "message-delivered.v1"], types);
        Assert.All(tl.RootElement.GetProperty("events").EnumerateArray(), e => Assert.True(DateTimeOffset.TryParse(e.GetProperty("at").GetString(), out _)));

        var (dcode, dead, _) = await Cli("deadletters", "--data-dir", data, "--json");
        Assert.Equal(0, dcode);
        using var dl = JsonDocument.Parse(dead);
        var entry = Assert.Single(dl.RootElement.GetProperty("deadLetters").EnumerateArray());
        Assert.Equal(poisonId, entry.GetProperty("messageId").GetString());
        Assert.Equal(ReasonCodes.MapBlankDisplayName, entry.GetProperty("reason").GetString());
        Assert.Equal("mapping", entry.GetProperty("stage").GetString());
        Assert.Equal("jdoe@contoso.com", entry.GetProperty("recipient").GetString());

        var (tcode, table, _) = await Cli("deadletters", "--data-dir", data);
        Assert.Equal(0, tcode);
        Assert.Contains(poisonId, table);
    }

    [Fact]
    public async Task Should_fail_with_one_line_and_a_code_when_the_data_directory_is_missing()
    {
        var (code, stdout, stderr) = await Cli("deadletters", "--data-dir", _tmp.Sub("nope"));

        Assert.Equal(ExitCodes.DataDirMissing, code);
        Assert.Empty(stdout);
        Assert.StartsWith($"error {ReasonCodes.CliDataDirMissing}:", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Should_refuse_a_second_writer_on_a_locked_data_directory()
    {
        var (ordinary, _, _, _) = WriteInputs();
        var data = _tmp.Sub("data");
        Directory.CreateDirectory(data);
        using var held = DataDirLock.Acquire(data);

        var (code, _, stderr) = await Cli("process", ordinary, "--data-dir", data);

        Assert.Equal(ExitCodes.Locked, code);
        Assert.StartsWith($"error {ReasonCodes.CliDataDirLocked}:", stderr);
    }

    [Fact]
    public async Task Should_report_a_locked_database_with_a_code_instead_of_hanging()
    {
        var (ordinary, _, _, _) = WriteInputs();
        var data = _tmp.Sub("data");
        var (processed, processOutput) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "process", ordinary, "--data-dir", data);
        Assert.True(processed == 0, processOutput);

        // Another process holds the journal file exclusively.
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "gateway.db")};Pooling=False");
        connection.Open();
        using (var cmd = connection.CreateCommand())
        {
            // In WAL mode readers are blocked only by an exclusive-mode connection that has written.
            cmd.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS hold_lock(x);";
            cmd.ExecuteNonQuery();
        }

        // The real executable, so the lock is held by another process, as it would be in production.
        var (code, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "deadletters", "--data-dir", data);

        Assert.Equal(ExitCodes.Locked, code);
        Assert.StartsWith($"error {ReasonCodes.CliDatabaseLocked}:", output);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    [Theory]
    [InlineData("journal")]
    [InlineData("process")]
    [InlineData("frobnicate")]
    public async Task Should_reject_invalid_arguments_with_exit_code_2(string command)
    {
        var (code, _, stderr) = await Cli(command);

        Assert.Equal(ExitCodes.BadArgument, code);
        Assert.StartsWith($"error {ReasonCodes.CliBadArgument}:", stderr);
    }

    [Fact]
    public async Task Should_reject_a_malformed_message_id()
    {
        var (code, _, stderr) = await Cli("journal", "../../etc/passwd", "--data-dir", _tmp.Path);

        Assert.Equal(ExitCodes.BadArgument, code);
        Assert.Contains(ReasonCodes.CliBadArgument, stderr);
    }

    [Fact]
    public async Task Should_print_the_effective_route_table_with_directory_entries()
    {
        var data = _tmp.Sub("data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "directory.csv"), "ceo@contoso.com,CEO,VMNODE1\nbad line\n");

        var (code, table, err) = await Cli("routes", "--data-dir", data);
        var (jcode, json, _) = await Cli("routes", "--data-dir", data, "--json");

        Assert.True(code == 0, err);
        Assert.Contains("contoso.com", table);
        Assert.Contains("directory 1 entry", table);
        Assert.Contains("GW-DIRECTORY-LINE-SKIPPED", table);
        Assert.Equal(0, jcode);
        using var doc = JsonDocument.Parse(json);
        var route = Assert.Single(doc.RootElement.GetProperty("routes").EnumerateArray());
        Assert.Equal("VMNODE1", route.GetProperty("node").GetString());
        Assert.Equal("spool", route.GetProperty("transport").GetString());
        Assert.Equal(1, route.GetProperty("directoryEntries").GetInt32());
    }

    public void Dispose() => _tmp.Dispose();
}
