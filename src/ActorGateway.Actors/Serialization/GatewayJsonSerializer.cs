using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Serialization;

/// <summary>
/// Writes every journal and snapshot record as UTF-8 JSON under a stable manifest
/// (<c>message-accepted.v1</c>, …) rather than a CLR type name, so operators can read the
/// journal with sqlite3 and types can be renamed without breaking old journals.
/// </summary>
public sealed class GatewayJsonSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerIdentifier = 4107;

    /// <summary>Manifest ↔ type. Never change a manifest; add a new version instead.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Manifests = new Dictionary<string, Type>
    {
        ["message-accepted.v1"] = typeof(MessageEvents.MessageAccepted),
        ["recipients-mapped.v1"] = typeof(MessageEvents.RecipientsMapped),
        ["delivery-attempted.v1"] = typeof(MessageEvents.DeliveryAttempted),
        ["message-delivered.v1"] = typeof(MessageEvents.MessageDelivered),
        ["message-dead-lettered.v1"] = typeof(MessageEvents.MessageDeadLettered),
        ["sender-notified.v1"] = typeof(MessageEvents.SenderNotified),
        ["sender-notification-failed.v1"] = typeof(MessageEvents.SenderNotificationFailed),
        ["message-admitted.v1"] = typeof(GatewayEvents.MessageAdmitted),
        ["message-released.v1"] = typeof(GatewayEvents.MessageReleased),
        ["registry-changed.v1"] = typeof(GatewayEvents.RegistryChanged),
        ["in-flight-snapshot.v1"] = typeof(GatewayEvents.InFlightSnapshot),
        ["clean-shutdown.v1"] = typeof(GatewayEvents.CleanShutdown),
        ["gateway-started.v1"] = typeof(GatewayEvents.GatewayStarted),
        ["stage-started.v1"] = typeof(MessageEvents.StageStarted),
        ["stage-interrupted.v1"] = typeof(MessageEvents.StageInterrupted),
        ["retry-scheduled.v1"] = typeof(MessageEvents.RetryScheduled),
        ["dead-letter-recorded.v1"] = typeof(DeadLetterQueueEvents.DeadLetterRecorded),
        ["dead-letter-cleared.v1"] = typeof(DeadLetterQueueEvents.DeadLetterCleared),
        ["replay-requested.v1"] = typeof(OperatorEvents.ReplayRequested),
        ["message-held.v1"] = typeof(OperatorEvents.MessageHeld),
        ["hold-released.v1"] = typeof(OperatorEvents.HoldReleased),
        ["message-purged.v1"] = typeof(OperatorEvents.MessagePurged),
        ["directory-entry-set.v1"] = typeof(OperatorEvents.DirectoryEntrySet),
        ["dead-letter-queue-snapshot.v1"] = typeof(DeadLetterQueueEvents.DeadLetterQueueSnapshot),
        ["stages-changed.v1"] = typeof(StageLedgerEvents.StagesChanged),
        ["stage-ledger-snapshot.v1"] = typeof(StageLedgerEvents.StageLedgerSnapshot),
    };

    private static readonly Dictionary<Type, string> ManifestByType = Manifests.ToDictionary(kv => kv.Value, kv => kv.Key);

    public static readonly JsonSerializerOptions Options = CreateOptions();

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType()} has no journal manifest; add it to {nameof(GatewayJsonSerializer)}.{nameof(Manifests)}");

    /// <summary>The manifest of a journal record, or its CLR name for anything foreign.</summary>
    public static string ManifestOf(object o) => ManifestByType.TryGetValue(o.GetType(), out var m) ? m : o.GetType().Name;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Manifests.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"null payload for {manifest}")
            : throw new SerializationException($"unknown journal manifest '{manifest}'");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.Converters.Add(new MessageIdJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>A <see cref="MessageId"/> is a plain JSON string.</summary>
public sealed class MessageIdJsonConverter : JsonConverter<MessageId>
{
    public override MessageId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        MessageId.Parse(reader.GetString() ?? throw new JsonException("message id is null"));

    public override void Write(Utf8JsonWriter writer, MessageId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);

    public override MessageId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        MessageId.Parse(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, MessageId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.Value);
}
