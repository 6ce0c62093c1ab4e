namespace ActorGateway.Actors.Storage;

/// <summary>
/// Crash-safe file writes into one directory, durable once per batch (group commit). Writers queue their files; one
/// drain at a time takes whatever is queued (up to a cap) and, for that batch, writes each temp file and fsyncs it,
/// renames each over its target, then fsyncs the directory ONCE, and only then completes each writer. A failure
/// anywhere before the directory fsync fails every writer of the batch (their temp files are removed).
/// </summary>
public sealed class BatchedDurableFiles
{
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly int _maxBatchFiles;
    private bool _running;

    /// <param name="maxBatchFiles">Most files made durable by one directory fsync.</param>
    public BatchedDurableFiles(string directory, int maxBatchFiles)
    {
        if (maxBatchFiles < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchFiles));
        Directory = directory;
        _maxBatchFiles = maxBatchFiles;
    }

    public string Directory { get; }

    /// <summary>TESTS ONLY: called with each batch's size before its files are written; an exception fails the batch.</summary>
    internal Action<int>? BeforeBatch { get; set; }

    /// <summary>Writes <paramref name="fileName"/> in the directory; completes once it, and its name, are durable.</summary>
    public Task WriteAsync(string fileName, byte[] content) => Enqueue(fileName, content);

    /// <summary>
    /// Completes once a directory fsync that started after this call has finished: a file found already in place
    /// (written by an attempt whose outcome was lost) is durable before it is reported as delivered.
    /// </summary>
    public Task SyncAsync() => Enqueue(null, null);

    private Task Enqueue(string? fileName, byte[]? content)
    {
        var pending = new Pending(fileName, content, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            _queue.Enqueue(pending);
            if (!_running)
            {
                _running = true;
                _ = Task.Run(Drain);
            }
        }
        return pending.Done.Task;
    }

    private void Drain()
    {
        var batch = new List<Pending>(_maxBatchFiles);
        while (true)
        {
            batch.Clear();
            lock (_gate)
            {
                while (batch.Count < _maxBatchFiles && _queue.TryDequeue(out var next)) batch.Add(next);
                if (batch.Count == 0)
                {
                    _running = false;
                    return;
                }
            }
            Commit(batch);
        }
    }

    private void Commit(List<Pending> batch)
    {
        var temps = new string?[batch.Count];
        try
        {
            BeforeBatch?.Invoke(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Content is not { } content) continue;
                var temp = Path.Combine(Directory, $".{batch[i].FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                temps[i] = temp;
                using var stream = new FileStream(temp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    PreallocationSize = content.Length,
                });
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (temps[i] is not { } temp) continue;
                File.Move(temp, Path.Combine(Directory, batch[i].FileName!), overwrite: true);
                temps[i] = null;
            }
            DurableFile.SyncDirectory(Directory);
        }
        catch (Exception ex)
        {
            foreach (var temp in temps)
            {
                if (temp is not null) DurableFile.TryDelete(temp);
            }
            var failure = ex as IOException ?? new IOException($"writing a batch of {batch.Count} file(s) into {Directory} failed: {ex.Message}", ex);
            foreach (var pending in batch) pending.Done.TrySetException(failure);
            return;
        }
        foreach (var pending in batch) pending.Done.TrySetResult();
    }

    /// <summary>A file to write, or (both null) a wait for the next directory fsync.</summary>
    private sealed record Pending(string? FileName, byte[]? Content, TaskCompletionSource Done);
}
