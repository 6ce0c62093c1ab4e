using System.Text;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Storage;

/// <summary>A route's directory file on disk: entries set in place (<see cref="AddressDirectory.Upsert"/>), written atomically.</summary>
public static class DirectoryFiles
{
    /// <summary>
    /// Sets <paramref name="entries"/> in <paramref name="file"/> (created when missing) with a temp-fsync-rename write, so a
    /// crash keeps the old file whole. Nothing is written when the file already says the same.
    /// </summary>
    /// <returns>Whether the file changed.</returns>
    /// <exception cref="IOException">The file could not be read or written; it keeps its old content.</exception>
    public static async Task<bool> UpsertAsync(string file, IEnumerable<DirectoryEntry> entries, CancellationToken ct = default)
    {
        var text = File.Exists(file) ? await File.ReadAllTextAsync(file, ct) : "";
        var updated = entries.Aggregate(text, AddressDirectory.Upsert);
        if (updated == text) return false;
        await DurableFile.WriteAsync(file, Encoding.UTF8.GetBytes(updated), ct);
        return true;
    }
}
