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

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
