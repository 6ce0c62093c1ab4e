using Akka.Actor;
using ActorGateway.Actors.Serialization;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Serialization;

public sealed class GatewayJsonSerializerSpecs : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-specs");

    [Fact]
    public void Should_have_a_stable_manifest_for_every_journal_record_type()
    {
        var recordTypes = typeof(IGatewayEvent).Assembly.GetTypes()
            .Where(t => typeof(IGatewayEvent).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToHashSet();

        Assert.Equal(recordTypes.OrderBy(t => t.FullName), GatewayJsonSerializer.Manifests.Values.OrderBy(t => t.FullName));
        Assert.All(GatewayJsonSerializer.Manifests.Keys, m => Assert.Matches(@"^[a-z-]+\.v\d+$", m));
    }

    [Fact]
    public void Should_round_trip_a_dead_letter_event_as_readable_json()
    {
        var serializer = new GatewayJsonSerializer((ExtendedActorSystem)_system);
        var evt = new MessageEvents.MessageDeadLettered(MessageId.New(), "GW-MAP-BLANK-DISPLAY-NAME", Stage.Mapping, "ghost@contoso.com",
            "X", "blank", null, 1, DateTimeOffset.UnixEpoch,
            [new RecipientFailure(AddressRole.To, "ghost@contoso.com", "GW-MAP-BLANK-DISPLAY-NAME", Stage.Mapping, "5 x U+0020")], Partial: true);

        var bytes = serializer.ToBinary(evt);
        var json = System.Text.Encoding.UTF8.GetString(bytes);
        var back = (MessageEvents.MessageDeadLettered)serializer.FromBinary(bytes, serializer.Manifest(evt));

        Assert.Equal("message-dead-lettered.v1", serializer.Manifest(evt));
        Assert.Contains("\"reason\":\"GW-MAP-BLANK-DISPLAY-NAME\"", json);
        Assert.Contains("\"stage\":\"mapping\"", json);
        Assert.Equal(evt with { Recipients = null }, back with { Recipients = null });
        Assert.Equal(evt.Recipients, back.Recipients);
    }

    [Fact]
    public void Should_round_trip_a_directory_change_with_its_old_and_new_entry()
    {
        var serializer = new GatewayJsonSerializer((ExtendedActorSystem)_system);
        var evt = new OperatorEvents.DirectoryEntrySet("profs", "/data/directory.csv", "jdoe@contoso.com",
            new Domain.Mapping.DirectoryEntry("jdoe@contoso.com", "OLDID", "VMNODE9"), new Domain.Mapping.DirectoryEntry("jdoe@contoso.com", "JDOE", "VMNODE1"),
            "alice", "blank display name", DateTimeOffset.UnixEpoch);

        var bytes = serializer.ToBinary(evt);
        var back = serializer.FromBinary(bytes, serializer.Manifest(evt));
        var first = evt with { Old = null };
        var firstBack = serializer.FromBinary(serializer.ToBinary(first), serializer.Manifest(first));

        Assert.Equal("directory-entry-set.v1", serializer.Manifest(evt));
        Assert.Contains("\"by\":\"alice\"", System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal(evt, back);
        Assert.Equal(first, firstBack);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
