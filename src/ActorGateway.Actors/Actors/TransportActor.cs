using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Outbound;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>transport</c>: child of a message actor. Reads the original bytes, rewrites the addresses
/// and hands the result to the configured <see cref="IMessageTransport"/>; answers
/// <see cref="StageProtocol.DeliverySucceeded"/>. Failures are thrown for the parent to classify.
/// </summary>
public sealed class TransportActor : ReceiveActor
{
    public const string Name = "transport";

    private readonly CancellationTokenSource _stopping = new();

    public TransportActor(ContentStore content, IMessageTransport transport)
    {
        ReceiveAsync<StageProtocol.Deliver>(async cmd =>
        {
            var replyTo = Sender;
            var original = await content.ReadAsync(cmd.MessageId, _stopping.Token);
            var outbound = OutboundRewriter.Rewrite(original, cmd.MessageId, cmd.Recipients);
            var envelope = new OutboundEnvelope(cmd.Sender.Target, cmd.Recipients.Select(r => r.Target).ToList());
            var receipt = await transport.DeliverAsync(cmd.MessageId, outbound, envelope, _stopping.Token);
            replyTo.Tell(new StageProtocol.DeliverySucceeded(cmd.MessageId, transport.Name, receipt));
        });
    }

    public static Props Props(ContentStore content, IMessageTransport transport) =>
        Akka.Actor.Props.Create<TransportActor>(content, transport);

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }
}
