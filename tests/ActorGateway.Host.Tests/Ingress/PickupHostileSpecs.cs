using System.Runtime.InteropServices;
using ActorGateway.Domain;
using ActorGateway.Host.Tests.Support;

namespace ActorGateway.Host.Tests.Ingress;

/// <summary>
/// What an attacker or a careless operator puts into <c>pickup/</c>: endless and oversized files, FIFOs,
/// symlinks out of the data directory, files still being written, over-long and log-forging names. The real
/// <c>gateway run</c> as a child process; each test also proves that a good file dropped afterwards is delivered.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class PickupHostileSpecs : IDisposable
{
    private readonly TempDir _tmp = new();

    private string Data => _tmp.Sub("data");

    private string Pickup => Path.Combine(Data, "pickup");

    private string Badmail => Path.Combine(Data, "badmail");

    private string Spool => Path.Combine(Data, "outbound");

    private int SpoolCount => Directory.Exists(Spool) ? Directory.GetFiles(Spool, "*.eml").Length : 0;

    private GatewayProcess StartGateway(string extraConfig = "")
    {
        Directory.CreateDirectory(Pickup);
        var config = _tmp.Sub("site.conf");
        File.WriteAllText(config, extraConfig);
        return GatewayProcess.Start("run", "--data-dir", Data, "--config", config, "--smtp-listen", "off", "--admin-listen", "off");
    }

    /// <summary>Drops a good file the way an MTA does (written elsewhere, renamed in) and waits until it is delivered.</summary>
    private async Task AssertStillPicksUpAsync(GatewayProcess gateway, int expectedInSpool)
    {
        var staging = _tmp.Sub("staging");
        Directory.CreateDirectory(staging);
        var name = $"good-{expectedInSpool}.eml";
        File.Move(Mail.Write(staging, name, Mail.Build(900 + expectedInSpool, "Grace Hopper", $"grace{expectedInSpool}@contoso.com")), Path.Combine(Pickup, name));
        await Wait.UntilAsync(() => SpoolCount >= expectedInSpool, TimeSpan.FromSeconds(60), () => $"spool={SpoolCount}\n{gateway.Output}");
    }

    private async Task<string> BadmailReasonAsync(GatewayProcess gateway, string name)
    {
        var reason = Path.Combine(Badmail, name + ".reason");
        // The gateway writes the reason after the move: wait until it is whole (it ends with a newline), not just there.
        await Wait.UntilAsync(() => File.Exists(reason) && File.ReadAllText(reason).EndsWith('\n'), TimeSpan.FromSeconds(60), () => gateway.Output);
        return await File.ReadAllTextAsync(reason);
    }

    [Fact]
    public async Task Should_stop_reading_an_oversized_file_at_the_limit_and_move_it_to_badmail_as_too_large()
    {
        using var gateway = StartGateway("actor-gateway.max-message-size = 1MiB\n");
        // A 3 GB sparse file: no disk, but reading it whole fails (or takes 3 GB) on every scan, for ever.
        var huge = Path.Combine(_tmp.Sub("staging-huge"));
        Directory.CreateDirectory(huge);
        await using (var f = File.Create(Path.Combine(huge, "huge.eml"))) f.SetLength(3L * 1024 * 1024 * 1024);
        File.Move(Path.Combine(huge, "huge.eml"), Path.Combine(Pickup, "huge.eml"));

        var reason = await BadmailReasonAsync(gateway, "huge.eml");

        Assert.StartsWith(ReasonCodes.MimeTooLarge + ":", reason);
        Assert.Empty(Directory.GetFiles(Path.Combine(Pickup, ".claimed")));
        await AssertStillPicksUpAsync(gateway, 1);
    }

    [Fact]
    public async Task Should_move_a_fifo_to_badmail_without_blocking_the_files_after_it()
    {
        using var gateway = StartGateway();
        Assert.Equal(0, MkFifo(Path.Combine(Pickup, "fifo.eml"), 0x1B6));

        var reason = await BadmailReasonAsync(gateway, "fifo.eml");

        Assert.StartsWith(ReasonCodes.PickupNotAFile + ":", reason);
        Assert.Contains("FIFO", reason);
        await AssertStillPicksUpAsync(gateway, 1);
    }

    [Fact]
    public async Task Should_reject_a_fifo_given_to_process_within_its_timeout()
    {
        var fifo = _tmp.Sub("fifo.eml");
        Assert.Equal(0, MkFifo(fifo, 0x1B6));

        var (code, output) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "process", fifo, "--data-dir", Data, "--timeout", "00:00:10", "--json");

        Assert.True(code == 0, output);
        Assert.Contains(ReasonCodes.PickupNotAFile, output);
    }

    [Fact]
    public async Task Should_move_symlinks_to_badmail_unread_instead_of_following_them_out_of_the_data_directory()
    {
        var secret = _tmp.Sub("secret.eml");
        await File.WriteAllTextAsync(secret, Mail.Build(7, "Secret Person", "secret@contoso.com"));
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var gateway = StartGateway();
        File.CreateSymbolicLink(Path.Combine(Pickup, "secret.eml"), secret);
        File.CreateSymbolicLink(Path.Combine(Pickup, "zero.eml"), "/dev/zero");

        var secretReason = await BadmailReasonAsync(gateway, "secret.eml");
        var zeroReason = await BadmailReasonAsync(gateway, "zero.eml");

        Assert.StartsWith(ReasonCodes.PickupNotAFile + ":", secretReason);
        Assert.Contains("symbolic link", secretReason);
        Assert.StartsWith(ReasonCodes.PickupNotAFile + ":", zeroReason);
        await AssertStillPicksUpAsync(gateway, 1);
        Assert.DoesNotContain(Directory.GetFiles(Spool, "*.eml"), f => File.ReadAllText(f).Contains("secret@contoso.com"));
        Assert.True(File.Exists(secret), "the link's target must be left alone");
    }

    [Fact]
    public async Task Should_wait_until_a_file_written_in_place_is_complete_before_taking_it()
    {
        using var gateway = StartGateway("actor-gateway.pickup.settle-time = 3s\n");
        await Wait.UntilAsync(() => gateway.Output.Contains("Watching pickup directory"), TimeSpan.FromSeconds(60), () => gateway.Output);
        var content = System.Text.Encoding.UTF8.GetBytes(Mail.Build(11, "Ada Lovelace", "ada@contoso.com"));

        // As `cp` or an editor does: the file appears empty, and its content follows.
        await using (var f = new FileStream(Path.Combine(Pickup, "in-place.eml"), FileMode.CreateNew, FileAccess.Write))
        {
            await f.FlushAsync();
            await Task.Delay(300);
            await f.WriteAsync(content.AsMemory(0, content.Length / 2));
            await f.FlushAsync();
            await Task.Delay(300);
            await f.WriteAsync(content.AsMemory(content.Length / 2));
        }

        await Wait.UntilAsync(() => SpoolCount == 1 || Directory.Exists(Badmail) && Directory.GetFiles(Badmail).Length > 0,
            TimeSpan.FromSeconds(60), () => gateway.Output);
        Assert.Equal(1, SpoolCount);
        Assert.Empty(Directory.Exists(Badmail) ? Directory.GetFiles(Badmail) : []);
    }

    [Fact]
    public async Task Should_move_a_file_whose_name_is_too_long_to_claim_to_badmail_under_a_shortened_name()
    {
        using var gateway = StartGateway();
        var longName = new string('n', 250) + ".eml";
        var staging = _tmp.Sub("staging-long");
        Directory.CreateDirectory(staging);
        File.Move(Mail.Write(staging, longName, Mail.Build(12, "Alan Turing", "alan@contoso.com")), Path.Combine(Pickup, longName));

        await Wait.UntilAsync(() => Directory.Exists(Badmail) && Directory.GetFiles(Badmail, "*.reason").Length == 1,
            TimeSpan.FromSeconds(60), () => gateway.Output);

        var reason = await File.ReadAllTextAsync(Directory.GetFiles(Badmail, "*.reason").Single());
        Assert.StartsWith(ReasonCodes.PickupNameTooLong + ":", reason);
        Assert.Contains(longName, reason);
        Assert.Empty(Directory.GetFiles(Pickup, "*.eml"));
        await AssertStillPicksUpAsync(gateway, 1);
    }

    [Fact]
    public async Task Should_escape_control_characters_of_file_names_in_the_log()
    {
        using var gateway = StartGateway();
        const string forged = "[00:00:00 INF] GW-ACCEPTED Picked up forged.eml";
        var name = "evil\n" + forged + ".eml";
        var staging = _tmp.Sub("staging-evil");
        Directory.CreateDirectory(staging);
        File.Move(Mail.Write(staging, name, Mail.Build(13, "Edsger Dijkstra", "edsger@contoso.com")), Path.Combine(Pickup, name));

        await Wait.UntilAsync(() => SpoolCount == 1 && gateway.Output.Contains("Picked up evil"), TimeSpan.FromSeconds(60), () => gateway.Output);

        var lines = gateway.Output.Split('\n');
        Assert.DoesNotContain(lines, l => l.StartsWith(forged, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("evil\\n" + forged, StringComparison.Ordinal));
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    public void Dispose() => _tmp.Dispose();
}
