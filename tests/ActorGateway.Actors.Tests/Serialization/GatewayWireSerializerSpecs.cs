using System.Runtime.Serialization;
using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Cluster;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Serialization;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Events;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Operations;

namespace ActorGateway.Actors.Tests.Serialization;

/// <summary>What crosses between cluster nodes is serialized by the gateway's wire serializer, and comes back equal.</summary>
public sealed class GatewayWireSerializerSpecs : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire-specs", GatewayConfig.LoadFile("gateway.conf"));

    private object RoundTrip(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<GatewayWireSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return _system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    public static TheoryData<string> WireTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in typeof(IGatewayWireMessage).Assembly.GetTypes().Where(t => typeof(IGatewayWireMessage).IsAssignableFrom(t) && !t.IsInterface))
            data.Add(t.FullName!);
        return data;
    }

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void Should_bind_every_wire_message_type_to_the_wire_serializer(string typeName)
    {
        var type = typeof(IGatewayWireMessage).Assembly.GetType(typeName)!;
        Assert.IsType<GatewayWireSerializer>(_system.Serialization.FindSerializerForType(type));
    }

    [Fact]
    public void Should_round_trip_a_submission_with_its_envelope()
    {
        var intake = (IntakeResult.Accepted)MessageIntake.Parse(Support.TestMessages.Build(1), 1 << 20);
        var submit = new GatewayProtocol.SubmitMessage(MessageId.New(), "smtp:127.0.0.1", 321, intake.Envelope, NewId: true);

        var back = (GatewayProtocol.SubmitMessage)RoundTrip(submit);

        Assert.Equal(submit.MessageId, back.MessageId);
        Assert.Equal(submit.Source, back.Source);
        Assert.True(back.NewId);
        Assert.Equal(submit.Envelope.Sender, back.Envelope.Sender);
        Assert.Equal(submit.Envelope.Recipients, back.Envelope.Recipients);
        Assert.Equal(submit.Envelope.Subject, back.Envelope.Subject);
    }

    [Fact]
    public void Should_round_trip_operator_commands_status_and_the_queue_protocol()
    {
        var id = MessageId.New();
        var operate = new OperatorProtocol.Operate(new OperatorProtocol.Command(id, OperatorAction.Replay, "alice", "fixed the directory"));
        Assert.Equal(operate, RoundTrip(operate));
        var result = new OperatorProtocol.Result(id, OperationStatus.Conflict, "GW-NOT-IN-QUARANTINE", "not quarantined");
        Assert.Equal(result, RoundTrip(result));
        var status = new GatewayProtocol.GatewayStatus(3, 2, 1, true, Guid.NewGuid());
        Assert.Equal(status, RoundTrip(status));
        Assert.Equal(GatewayProtocol.GetStatus.Instance, RoundTrip(GatewayProtocol.GetStatus.Instance));
        Assert.Equal(new PartitionProtocol.GetPartitionStatus("p07"), RoundTrip(new PartitionProtocol.GetPartitionStatus("p07")));

        var entry = new DeadLetterEntry(id, "GW-MAP-BLANK-DISPLAY-NAME", Stage.Mapping, "ghost@contoso.com", "X", "blank", 1, DateTimeOffset.UnixEpoch, "smtp");
        var record = (DeadLetterQueueProtocol.RecordDeadLetter)RoundTrip(new DeadLetterQueueProtocol.RecordDeadLetter(entry));
        Assert.Equal(entry.MessageId, record.Entry.MessageId);
        Assert.Equal(entry.Reason, record.Entry.Reason);
        var list = (DeadLetterQueueProtocol.DeadLetterList)RoundTrip(new DeadLetterQueueProtocol.DeadLetterList([entry]));
        Assert.Equal(entry.Stage, Assert.Single(list.Entries).Stage);
        Assert.Equal(new DeadLetterQueueProtocol.ListDeadLetters("GW-X", Stage.Delivery), RoundTrip(new DeadLetterQueueProtocol.ListDeadLetters("GW-X", Stage.Delivery)));
        Assert.Equal(new DirectoryAuditActor.Recorded(12), RoundTrip(new DirectoryAuditActor.Recorded(12)));
    }

    [Fact]
    public void Should_refuse_a_manifest_that_names_a_type_without_the_wire_marker()
    {
        var serializer = new GatewayWireSerializer((ExtendedActorSystem)_system);

        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "System.IO.FileInfo, System.IO.FileSystem"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), GatewayWireSerializer.ManifestOf(typeof(MessageEvents.MessageAccepted))));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
