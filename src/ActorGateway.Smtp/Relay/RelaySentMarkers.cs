using System.Text.Json;
using System.Text.Json.Serialization;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Smtp.Relay;

/// <summary>What the relay recorded for one message: where it went and each recipient's last result.</summary>
public sealed record RelaySentRecord(string MessageId, string Location, DateTimeOffset RecordedAt, IReadOnlyList<RecipientResult> Recipients);

/// <summary>
/// The relay's durable memory of what the smart host already has: <c>{state-dir}/relay-sent/{messageId}.json</c>,
/// written with <see cref="DurableFile"/> (temp file, fsync, rename, directory fsync) after the
/// server's final reply. Delivered and refused recipients are settled and never sent to again;
/// deferred ones are recorded for the operator but retried.
/// </summary>
public sealed class RelaySentMarkers
{
    public const string DirectoryName = "relay-sent";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public RelaySentMarkers(string stateDirectory)
    {
        Directory = Path.Combine(Path.GetFullPath(stateDirectory), DirectoryName);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(MessageId id) => Path.Combine(Directory, id.Value + ".json");

    /// <returns>The record, or null when the message was never (even partly) relayed.</returns>
    /// <exception cref="InvalidOperationException">
    /// The marker exists but cannot be read. Deliberately not an I/O exception: that would be retried
    /// for ever. As an unknown failure it dead-letters the message (GW-UNHANDLED) after the bounded
    /// restarts, and nothing is resent blindly.
    /// </exception>
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
        try
        {
            return JsonSerializer.Deserialize<RelaySentRecord>(bytes, Json)
                ?? throw new InvalidOperationException($"relay marker {path} is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"relay marker {path} is unreadable: {ex.Message}", ex);
        }
    }

    public Task WriteAsync(RelaySentRecord record, CancellationToken ct) =>
        DurableFile.WriteAsync(PathOf(MessageId.Parse(record.MessageId)), JsonSerializer.SerializeToUtf8Bytes(record, Json), ct);
}
