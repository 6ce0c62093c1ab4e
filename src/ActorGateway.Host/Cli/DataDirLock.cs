using ActorGateway.Domain;

namespace ActorGateway.Host.Cli;

/// <summary>
/// One writer per data directory: <c>run</c>, <c>process</c> and <c>demo</c> hold
/// <c>{data-dir}/gateway.lock</c> exclusively for their lifetime. A second writer fails at once
/// with GW-CLI-DATA-DIR-LOCKED instead of corrupting the journal. Read-only commands do not take it.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirLock(FileStream stream) => _stream = stream;

    public static DataDirLock Acquire(string dataDir)
    {
        var path = Path.Combine(dataDir, "gateway.lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
            stream.Write(pid);
            stream.Flush();
            return new DataDirLock(stream);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw CliError.DataDirReadOnly(dataDir, ex.Message);
        }
        catch (IOException)
        {
            // A read-only data directory never gets here: the CLI proves it writable first (GW-CLI-DATA-DIR-READ-ONLY).
            throw new CliError(ReasonCodes.CliDataDirLocked,
                $"data directory '{dataDir}' is in use by another gateway process (lock file {path})", ExitCodes.Locked);
        }
    }

    public void Dispose() => _stream.Dispose();
}
