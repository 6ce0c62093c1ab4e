using System.Text.Json;
using System.Text.Json.Serialization;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Smtp.Relay;

/// <summary>What the relay recorded for one message: where it went and each recipient's last result.</summary>
public sealed record RelaySentRecord(string MessageId, string Location, DateTimeOffset RecordedAt, IReadOnlyList<RecipientResult> Recipients);

/// <summary>
/// The relay's durable memory of what the smart host already has, one record per message id, written after the
/// server's final reply. Delivered and refused recipients are settled and never sent to again; deferred ones are
/// recorded for the operator but retried. Files under the data directory (<see cref="RelaySentMarkers"/>) for one node;
/// a PostgreSQL table (<see cref="PostgresRelaySentStore"/>) when nodes share storage, so a message that fails over to
/// another node is not relayed twice.
/// </summary>
public interface IRelaySentStore
{
    /// <returns>The record, or null when the message was never (even partly) relayed.</returns>
    /// <exception cref="InvalidOperationException">
    /// The record exists but cannot be read. Deliberately not an I/O exception: that would be retried
    /// for ever. As an unknown failure it dead-letters the message (GW-UNHANDLED) after the bounded
    /// restarts, and nothing is resent blindly.
    /// </exception>
    Task<RelaySentRecord?> ReadAsync(MessageId id, CancellationToken ct);

    /// <summary>Stores the record (replacing the message's earlier one); completes only once it is durable.</summary>
    Task WriteAsync(RelaySentRecord record, CancellationToken ct);
}

/// <summary>
/// The file-based <see cref="IRelaySentStore"/>: <c>{state-dir}/relay-sent/{messageId}.json</c>,
/// written with <see cref="DurableFile"/> (temp file, fsync, rename, directory fsync).
/// </summary>
public sealed class RelaySentMarkers : IRelaySentStore
{
    public const string DirectoryName = "relay-sent";

    public RelaySentMarkers(string stateDirectory)
    {
        Directory = Path.Combine(Path.GetFullPath(stateDirectory), DirectoryName);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(MessageId id) => Path.Combine(Directory, id.Value + ".json");

    /// <inheritdoc />
    public async Task<RelaySentRecord?> ReadAsync(MessageId id, CancellationToken ct)
    {
        var path = PathOf(id);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, ct);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        return RelaySentJson.Deserialize(bytes, $"relay marker {path}");
    }

    public Task WriteAsync(RelaySentRecord record, CancellationToken ct) =>
        DurableFile.WriteAsync(PathOf(MessageId.Parse(record.MessageId)), RelaySentJson.Serialize(record), ct);
}

/// <summary>The one JSON form of a <see cref="RelaySentRecord"/>, for every store.</summary>
internal static class RelaySentJson
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static byte[] Serialize(RelaySentRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, Json);

    /// <exception cref="InvalidOperationException">Empty or unreadable (see <see cref="IRelaySentStore.ReadAsync"/>).</exception>
    public static RelaySentRecord Deserialize(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<RelaySentRecord>(bytes, Json)
                ?? throw new InvalidOperationException($"{what} is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"{what} is unreadable: {ex.Message}", ex);
        }
    }
}
