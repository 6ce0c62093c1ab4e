using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ActorGateway.Actors.Storage;

/// <summary>
/// Crash-safe file writes: write a temp file in the same directory, fsync it, rename it over the
/// target, then fsync the directory so the rename itself survives a power cut or kill -9.
/// Concurrent writes into one directory share directory fsyncs (group commit, <see cref="SyncDirectoryAsync"/>).
/// </summary>
public static partial class DurableFile
{
    private static readonly ConcurrentDictionary<string, DirectorySync> DirectorySyncs = new(StringComparer.Ordinal);

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                PreallocationSize = content.Length,
            }))
            {
                await stream.WriteAsync(content, ct);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            await SyncDirectoryAsync(dir);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Completes once an fsync of <paramref name="dir"/> that started after this call has finished, so every
    /// rename made into it before the call is durable. Callers that arrive while an fsync runs share the next
    /// one: under load a directory sees one fsync per batch of renames instead of one per file.
    /// </summary>
    public static Task SyncDirectoryAsync(string dir) =>
        OperatingSystem.IsWindows() ? Task.CompletedTask : DirectorySyncs.GetOrAdd(dir, d => new DirectorySync(d)).SyncAsync();

    /// <summary>fsync a directory (Linux/macOS); a no-op elsewhere, where renames are journaled by the OS.</summary>
    public static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory {dir} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {dir} failed (errno {Marshal.GetLastPInvokeError()}); renames into it may not be durable");
        }
        finally
        {
            Close(fd);
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>One directory's group commit: at most one fsync runs at a time; whoever asks meanwhile waits for the next.</summary>
    private sealed class DirectorySync(string dir)
    {
        private readonly object _gate = new();
        private TaskCompletionSource? _next;
        private bool _running;

        public Task SyncAsync()
        {
            lock (_gate)
            {
                _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var waiting = _next.Task;
                if (!_running)
                {
                    _running = true;
                    _ = Task.Run(Run);
                }
                return waiting;
            }
        }

        private void Run()
        {
            while (true)
            {
                TaskCompletionSource batch;
                lock (_gate)
                {
                    if (_next is null)
                    {
                        _running = false;
                        return;
                    }
                    // Taken before the fsync starts: it covers every rename its waiters made before asking.
                    batch = _next;
                    _next = null;
                }
                try
                {
                    SyncDirectory(dir);
                    batch.SetResult();
                }
                catch (Exception ex)
                {
                    batch.SetException(ex);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
