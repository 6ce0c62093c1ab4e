using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Outbound;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>transport</c>: child of a message actor. Reads the original bytes, rewrites the addresses and
/// hands the result to each route's <see cref="IMessageTransport"/> (recipients grouped by
/// transport); answers <see cref="StageProtocol.DeliverySucceeded"/> with one result per recipient.
/// Failures of a whole delivery are thrown for the parent to classify.
/// </summary>
public sealed class TransportActor : ReceiveActor
{
    public const string Name = "transport";

    private readonly CancellationTokenSource _stopping = new();

    public TransportActor(ContentStore content, TransportRegistry transports)
    {
        ReceiveAsync<StageProtocol.Deliver>(async cmd =>
        {
            var replyTo = Sender;
            var original = await content.ReadAsync(cmd.MessageId, _stopping.Token);
            var outbound = OutboundRewriter.Rewrite(original, cmd.MessageId, cmd.AllRecipients);
            var receipts = new List<(string Transport, DeliveryReceipt Receipt)>();
            foreach (var group in cmd.Recipients.GroupBy(r => r.Transport ?? TransportRegistry.Spool))
            {
                var transport = transports.Get(group.Key);
                var envelope = new OutboundEnvelope(cmd.Sender.Target, group.Select(r => r.Target).ToList());
                receipts.Add((transport.Name, await transport.DeliverAsync(cmd.MessageId, outbound, envelope, _stopping.Token)));
            }
            var merged = new DeliveryReceipt(
                string.Join("; ", receipts.Select(r => r.Receipt.Location)),
                receipts.All(r => r.Receipt.AlreadyPresent),
                receipts.SelectMany(r => r.Receipt.Recipients).ToList());
            replyTo.Tell(new StageProtocol.DeliverySucceeded(cmd.MessageId, string.Join("+", receipts.Select(r => r.Transport).Distinct()), merged));
        });
    }

    public static Props Props(ContentStore content, TransportRegistry transports) =>
        Akka.Actor.Props.Create<TransportActor>(content, transports);

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }
}
