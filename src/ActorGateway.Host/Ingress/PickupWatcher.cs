using ActorGateway.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Diagnostics;
using ActorGateway.Actors.Storage;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using ActorGateway.Host.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Host.Ingress;

/// <summary>
/// The pickup-directory ingress of <c>gateway run</c>, as an MTA's pickup directory works:
/// <list type="number">
/// <item>a <c>*.eml</c> file is claimed by renaming it to <c>.claimed/{messageId}~{name}</c>, which fixes its id;</item>
/// <item>it is submitted; only once it is in the journal is the claimed file deleted;</item>
/// <item>a file that cannot be parsed moves to badmail with a <c>.reason</c> file beside it.</item>
/// </list>
/// Only regular files are read (no symlink is followed, no FIFO is waited on), never more than the size
/// limit + 1 byte, and only once they look finished (renamed in, or unwritten for <c>pickup.settle-time</c>).
/// A crash at any point leaves the file claimed; the next start submits it again under the same
/// id, which the gateway treats as the same message, so nothing is lost or duplicated.
/// </summary>
public sealed class PickupWatcher(GatewayNodeHolder holder, ILogger<PickupWatcher> logger) : BackgroundService
{
    private const string ClaimedDir = ".claimed";
    private const char IdSeparator = '~';

    /// <summary>NAME_MAX of Linux file systems (bytes).</summary>
    private const int MaxFileNameBytes = 255;

    /// <summary>A claimed file's name is "{32-character id}~{original name}".</summary>
    private const int ClaimPrefixBytes = 33;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var node = await holder.Node.WaitAsync(stoppingToken);
        var settings = node.Settings;
        var claimed = Path.Combine(settings.PickupDir, ClaimedDir);
        Directory.CreateDirectory(claimed);
        Directory.CreateDirectory(settings.BadmailDir);

        using var wake = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(settings.PickupDir, "*.eml") { EnableRaisingEvents = true };
        watcher.Created += (_, _) => Release(wake);
        watcher.Renamed += (_, _) => Release(wake);

        logger.LogInformation("Watching pickup directory {PickupDir} (badmail: {BadmailDir})", settings.PickupDir, settings.BadmailDir);

        while (!stoppingToken.IsCancellationRequested)
        {
            // Claimed files first (left by a crash, or deferred), with the ids they were claimed under.
            var batch = Directory.EnumerateFiles(claimed, "*.eml").Order()
                .Concat(Directory.EnumerateFiles(settings.PickupDir, "*.eml").Order())
                .Take(10_000).ToList();
            var progressed = await ProcessAsync(node, batch, stoppingToken);
            if (progressed == 0)
            {
                // Nothing new, or everything deferred (busy, disk trouble): do not spin.
                try
                {
                    await wake.WaitAsync(settings.PickupPollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private static void Release(SemaphoreSlim s)
    {
        if (s.CurrentCount == 0) s.Release();
    }

    /// <returns>How many files were accepted or moved to badmail.</returns>
    private async Task<int> ProcessAsync(GatewayNode node, IReadOnlyList<string> files, CancellationToken ct)
    {
        var progressed = 0;
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = node.Settings.PickupConcurrency, CancellationToken = ct },
            async (file, token) =>
            {
                try
                {
                    if (await ProcessFileAsync(node, file, token)) Interlocked.Increment(ref progressed);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "{Code} Pickup of {File} failed; it stays in pickup and is tried again", ReasonCodes.IntakeUnreadable, LogText.Escape(file));
                }
            });
        return progressed;
    }

    /// <returns>True when the file was accepted or moved to badmail; false when it waits for another try.</returns>
    private async Task<bool> ProcessFileAsync(GatewayNode node, string file, CancellationToken ct)
    {
        var settings = node.Settings;
        var name = Path.GetFileName(file);
        MessageId id;
        string claimedPath;
        var newId = false;
        if (Path.GetFileName(Path.GetDirectoryName(file)) == ClaimedDir && TryParseClaimed(name, out var claimedId, out var original))
        {
            (id, claimedPath, name) = (claimedId, file, original);
        }
        else
        {
            if (!PickupEntry.IsSettled(file, settings.PickupSettleTime)) return false; // still being written (in place, or by cp)
            id = MessageId.New();
            newId = true;
            var claimedName = $"{id.Value}{IdSeparator}{name}";
            if (System.Text.Encoding.UTF8.GetByteCount(claimedName) > MaxFileNameBytes)
            {
                // The claim would exceed the file system's name limit and fail on every scan, for ever.
                await MoveToBadmailAsync(settings, file, name, ReasonCodes.PickupNameTooLong,
                    $"file name is {System.Text.Encoding.UTF8.GetByteCount(name)} bytes; pickup takes names of at most {MaxFileNameBytes - ClaimPrefixBytes} bytes. Original name: {LogText.Escape(name)}", ct);
                return true;
            }
            claimedPath = Path.Combine(settings.PickupDir, ClaimedDir, claimedName);
            try
            {
                File.Move(file, claimedPath);
            }
            catch (FileNotFoundException)
            {
                return false; // gone meanwhile
            }
            catch (IOException ex)
            {
                logger.LogWarning("{Code} Cannot claim {File} yet ({Error}); will retry", ReasonCodes.IntakeUnreadable, LogText.Escape(file), ex.Message);
                return false;
            }
        }

        // Only a regular file is read, and never more than the limit + 1 byte: a symlink (to /dev/zero, or to a
        // file outside the data directory), a FIFO, a socket or a device goes to badmail unread.
        byte[] bytes;
        var (kind, handle) = PickupEntry.Open(claimedPath);
        if (kind == PickupEntryKind.Gone) return false;
        if (handle is null)
        {
            await MoveToBadmailAsync(settings, claimedPath, name, ReasonCodes.PickupNotAFile,
                $"{PickupEntry.Describe(kind)}, not a regular file; it was not read", ct);
            return true;
        }
        using (handle)
        {
            bytes = await PickupEntry.ReadBoundedAsync(handle, settings.MaxMessageBytes, ct);
        }
        if (bytes.Length > settings.MaxMessageBytes)
        {
            await MoveToBadmailAsync(settings, claimedPath, name, ReasonCodes.MimeTooLarge,
                $"message is more than {settings.MaxMessageBytes} bytes (the limit); reading stopped there", ct);
            return true;
        }

        var result = await node.Ingress.SubmitAsync(bytes, $"pickup:{name}", id: id, ct: ct, newId: newId);
        switch (result)
        {
            case SubmitResult.Accepted accepted:
                File.Delete(claimedPath);
                try
                {
                    await DurableFile.SyncDirectoryAsync(Path.GetDirectoryName(claimedPath)!);
                }
                catch (IOException ex)
                {
                    // Harmless: should the delete not survive a power cut, the claim is submitted again under the same id.
                    logger.LogWarning("{Code} {File}: fsync of the claim directory failed ({Error}); the message is accepted", ReasonCodes.IntakeUnreadable, LogText.Escape(name), ex.Message);
                }
                logger.LogInformation("{Code} Picked up {File} as {MessageId}", ReasonCodes.Accepted, LogText.Escape(name), accepted.MessageId);
                return true;
            case SubmitResult.Rejected rejected:
                await MoveToBadmailAsync(settings, claimedPath, name, rejected.Code, rejected.Reason, ct);
                return true;
            case SubmitResult.Deferred deferred:
                // Keep the claim: the next scan retries it under the same id.
                logger.LogWarning("{Code} {File} not accepted yet: {Reason}; it stays claimed as {MessageId}", deferred.Code, LogText.Escape(name), deferred.Reason, id);
                return false;
            default:
                return false;
        }
    }

    /// <summary>Moves a pickup entry (claimed or not) to badmail under a name that fits, with a .reason file beside it.</summary>
    private async Task MoveToBadmailAsync(GatewaySettings settings, string path, string name, string code, string reason, CancellationToken ct)
    {
        var target = UniquePath(settings.BadmailDir, BadmailName(name));
        File.Move(path, target);
        // Written beside, then renamed in: whoever reads badmail/ (an operator, a script) never sees a reason half-written.
        // The temporary name is short, as the target's may be as long as a name can be.
        var temp = Path.Combine(settings.BadmailDir, $".reason-{Guid.NewGuid():N}.tmp");
        await File.WriteAllTextAsync(temp, $"{code}: {reason}\n", ct);
        File.Move(temp, target + ".reason");
        logger.LogWarning("{Code} {File} moved to badmail: {Reason} ({ReasonCode})", ReasonCodes.BadMail, LogText.Escape(name), reason, code);
    }

    /// <summary>The name in badmail: the original when it fits (with room for ".reason" and a ".N" suffix), else shortened.</summary>
    private static string BadmailName(string name)
    {
        const int room = MaxFileNameBytes - 16;
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= room) return name;
        var extension = Path.GetExtension(name);
        if (System.Text.Encoding.UTF8.GetByteCount(extension) > 16) extension = "";
        var stem = name[..^extension.Length];
        while (System.Text.Encoding.UTF8.GetByteCount(stem) + extension.Length + 3 > room) stem = stem[..^1];
        if (stem.Length > 0 && char.IsHighSurrogate(stem[^1])) stem = stem[..^1];
        return stem + "..." + extension;
    }

    private static bool TryParseClaimed(string claimedName, out MessageId id, out string original)
    {
        id = default;
        original = claimedName;
        var sep = claimedName.IndexOf(IdSeparator);
        if (sep <= 0 || !MessageId.TryParse(claimedName[..sep], out var parsed)) return false;
        id = parsed.Value;
        original = claimedName[(sep + 1)..];
        return true;
    }

    private static string UniquePath(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        for (var i = 1; File.Exists(path); i++) path = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(name)}.{i}{Path.GetExtension(name)}");
        return path;
    }
}
