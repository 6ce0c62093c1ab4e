using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ActorGateway.Host.Ingress;

/// <summary>What a pickup directory entry is, found without following a symlink and without blocking.</summary>
public enum PickupEntryKind
{
    RegularFile,
    SymbolicLink,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Directory,
    Gone,
}

/// <summary>
/// Opens a pickup entry only if it is a regular file. On Linux the entry is opened with
/// <c>O_NOFOLLOW | O_NONBLOCK</c> and its type is read from the open descriptor (<c>statx</c>), so a
/// symlink is never followed (out of the data directory, or to <c>/dev/zero</c>), a FIFO never blocks
/// the opener, and the file cannot be swapped between the check and the read.
/// </summary>
public static partial class PickupEntry
{
    /// <summary>Opens <paramref name="path"/> for reading when it is a regular file; otherwise returns its kind and no handle.</summary>
    /// <exception cref="IOException">Any other failure to open it (permissions, I/O).</exception>
    public static (PickupEntryKind Kind, SafeFileHandle? Handle) Open(string path) =>
        OperatingSystem.IsLinux() ? OpenLinux(path) : OpenPortable(path);

    /// <summary>How an operator reads the kind in a badmail reason.</summary>
    public static string Describe(PickupEntryKind kind) => kind switch
    {
        PickupEntryKind.SymbolicLink => "a symbolic link",
        PickupEntryKind.Fifo => "a FIFO (named pipe)",
        PickupEntryKind.Socket => "a socket",
        PickupEntryKind.CharacterDevice => "a character device",
        PickupEntryKind.BlockDevice => "a block device",
        PickupEntryKind.Directory => "a directory",
        PickupEntryKind.Gone => "gone",
        _ => "a regular file",
    };

    private const int ENOENT = 2;
    private const int ENXIO = 6;
    private const int ELOOP = 40;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;

    // O_NOFOLLOW differs between architectures (asm-generic vs x86).
    private static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    private static (PickupEntryKind, SafeFileHandle?) OpenLinux(string path)
    {
        var fd = open(path, O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ELOOP => (PickupEntryKind.SymbolicLink, null),
                ENXIO => (PickupEntryKind.Socket, null),
                ENOENT => (PickupEntryKind.Gone, null),
                _ => throw new IOException($"cannot open '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // struct statx is the same on every architecture: stx_mode is the u16 at offset 28.
            Span<byte> buffer = stackalloc byte[256];
            if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"cannot stat '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
            var kind = (BitConverter.ToUInt16(buffer[28..30]) & 0xF000) switch
            {
                0x8000 => PickupEntryKind.RegularFile,
                0x4000 => PickupEntryKind.Directory,
                0x1000 => PickupEntryKind.Fifo,
                0xC000 => PickupEntryKind.Socket,
                0x2000 => PickupEntryKind.CharacterDevice,
                0x6000 => PickupEntryKind.BlockDevice,
                _ => PickupEntryKind.SymbolicLink,
            };
            if (kind == PickupEntryKind.RegularFile) return (kind, handle);
            handle.Dispose();
            return (kind, null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a pickup file looks finished: nothing has written to it for <paramref name="settleTime"/>, or (on Linux)
    /// its inode changed after its last write (ctime after mtime), which is what renaming a finished file in does.
    /// A file written in place or copied in with cp changes both together, so it waits for the settle time.
    /// </summary>
    public static bool IsSettled(string path, TimeSpan settleTime)
    {
        if (settleTime <= TimeSpan.Zero) return true;
        DateTime written;
        if (OperatingSystem.IsLinux())
        {
            Span<byte> buffer = stackalloc byte[256];
            if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MTIME | STATX_CTIME, ref MemoryMarshal.GetReference(buffer)) != 0) return true; // the claim reports it
            var (ctime, mtime) = (Timestamp(buffer[0x50..]), Timestamp(buffer[0x70..]));
            if (ctime > mtime) return true;
            written = DateTime.UnixEpoch.AddTicks(mtime / 100);
        }
        else
        {
            try
            {
                written = File.GetLastWriteTimeUtc(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return true;
            }
        }
        var age = DateTime.UtcNow - written;
        return age < TimeSpan.Zero || age >= settleTime;
    }

    /// <summary>A struct statx_timestamp (s64 seconds, u32 nanoseconds) as nanoseconds since the epoch.</summary>
    private static long Timestamp(ReadOnlySpan<byte> at) => BitConverter.ToInt64(at[..8]) * 1_000_000_000L + BitConverter.ToUInt32(at[8..12]);

    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_MTIME = 0x40;
    private const uint STATX_CTIME = 0x80;

    /// <summary>Elsewhere: the link and directory checks .NET offers, then an ordinary open.</summary>
    private static (PickupEntryKind, SafeFileHandle?) OpenPortable(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null) return (PickupEntryKind.Gone, null);
        if (info.LinkTarget is not null) return (PickupEntryKind.SymbolicLink, null);
        if (info.Attributes.HasFlag(FileAttributes.Directory)) return (PickupEntryKind.Directory, null);
        try
        {
            return (PickupEntryKind.RegularFile, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (FileNotFoundException)
        {
            return (PickupEntryKind.Gone, null);
        }
    }

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> + 1 bytes: enough to know that a file is too large
    /// without holding more than the limit, however large (or sparse) the file claims to be.
    /// </summary>
    /// <returns>The bytes read; longer than <paramref name="maxBytes"/> means the file is too large.</returns>
    public static async Task<byte[]> ReadBoundedAsync(SafeFileHandle handle, long maxBytes, CancellationToken ct)
    {
        var cap = maxBytes + 1;
        var length = RandomAccess.GetLength(handle);
        var buffer = new byte[(int)Math.Min(cap, Math.Max(length, 0) + 1)];
        long total = 0;
        while (total < cap)
        {
            if (total == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(cap, Math.Max(buffer.Length * 2L, 4096)));
            var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory((int)total), total, ct);
            if (n == 0) break;
            total += n;
        }
        if (total < buffer.Length) Array.Resize(ref buffer, (int)total);
        return buffer;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
