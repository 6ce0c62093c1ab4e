using System.Collections.Concurrent;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using ActorGateway.Actors.Protocol;

namespace ActorGateway.Actors.Serialization;

/// <summary>
/// The gateway's messages between cluster nodes (<see cref="IGatewayWireMessage"/>: submissions, operator commands,
/// status, the dead-letter queue's protocol), as UTF-8 JSON with the journal's options. The manifest is the type's full
/// name and assembly; only types that carry the marker are ever created from a manifest, so a peer cannot make this
/// node instantiate anything else.
/// </summary>
public sealed class GatewayWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerIdentifier = 4108;

    private static readonly ConcurrentDictionary<string, Type> Types = new();

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => ManifestOf(o.GetType());

    public static string ManifestOf(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    public override byte[] ToBinary(object obj) =>
        obj is IGatewayWireMessage
            ? JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), GatewayJsonSerializer.Options)
            : throw new SerializationException($"{obj.GetType()} is not a gateway wire message");

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = Types.GetOrAdd(manifest, m =>
        {
            var resolved = Type.GetType(m, throwOnError: false);
            if (resolved is null || !typeof(IGatewayWireMessage).IsAssignableFrom(resolved))
                throw new SerializationException($"'{m}' is not a gateway wire message");
            return resolved;
        });
        return JsonSerializer.Deserialize(bytes, type, GatewayJsonSerializer.Options)
            ?? throw new SerializationException($"null payload for {manifest}");
    }
}
