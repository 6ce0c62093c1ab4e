using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Outbound;
using MimeKit;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>transport</c>: child of a message actor. Reads the original bytes, rewrites the addresses and
/// hands the result to the route's <see cref="IMessageTransport"/> named in the command; answers
/// <see cref="StageProtocol.DeliverySucceeded"/> with one result per recipient.
/// Failures of a whole delivery are thrown for the parent to classify.
/// </summary>
public sealed class TransportActor : ReceiveActor
{
    public const string Name = "transport";

    private readonly CancellationTokenSource _stopping = new();

    public TransportActor(IContentStore content, TransportRegistry transports)
    {
        ReceiveAsync<StageProtocol.Deliver>(async cmd =>
        {
            var replyTo = Sender;
            var original = await content.ReadAsync(cmd.MessageId, _stopping.Token);
            var outbound = OutboundRewriter.Rewrite(original, cmd.MessageId, cmd.AllRecipients);
            var transport = transports.Get(cmd.Transport);
            var envelope = new OutboundEnvelope(cmd.Sender.Target, cmd.Recipients.Select(r => r.Target).ToList());
            var receipt = await transport.DeliverAsync(cmd.DeliveryId, outbound, envelope, _stopping.Token);
            replyTo.Tell(new StageProtocol.DeliverySucceeded(cmd.MessageId, transport.Name, receipt));
        });
        ReceiveAsync<StageProtocol.NotifySender>(async cmd =>
        {
            var replyTo = Sender;
            replyTo.Tell(await NotifyAsync(cmd, content, transports, Context.System.Scheduler, _stopping.Token));
        });
    }

    private static async Task<StageProtocol.NotificationSettled> NotifyAsync(StageProtocol.NotifySender cmd, IContentStore content, TransportRegistry transports, ITimeProvider clock, CancellationToken ct)
    {
        StageProtocol.NotificationSettled NotSent(string reason, string detail) => new(cmd.MessageId, false, cmd.To, cmd.Transport, "-", reason, detail);

        var original = MimeMessage.Load(new MemoryStream(await content.ReadAsync(cmd.MessageId, ct), writable: false));
        if (!DeliveryStatusNotification.ShouldSend(cmd.To, original))
        {
            return NotSent(ReasonCodes.DsnSuppressed, "the sender is the null sender or MAILER-DAEMON, or the message is itself automatic (a DSN or Auto-Submitted)");
        }
        var failed = cmd.Failed
            .Select(f => new FailedRecipient(f.Address, f.Reason, f.Detail, f.Reply) { RemoteMta = f.Reply is null ? null : cmd.Transport })
            .ToList();
        var dsn = DeliveryStatusNotification.Build(new DsnRequest(cmd.MessageId, cmd.To, original, cmd.ArrivalDate, failed), cmd.ReportingMta, clock.Now);
        var transport = transports.Get(cmd.Transport);
        // The DSN has an id of its own, so the transport's idempotency never confuses it with the message.
        var receipt = await transport.DeliverAsync(MessageId.Parse(cmd.MessageId.Value + "-dsn"), DeliveryStatusNotification.ToBytes(dsn),
            new OutboundEnvelope(DeliveryStatusNotification.NullSender, [cmd.To]), ct);
        var result = receipt.Recipients.Single();
        return result.Disposition switch
        {
            RecipientDisposition.Delivered => new StageProtocol.NotificationSettled(cmd.MessageId, true, cmd.To, transport.Name, receipt.Location, null, null),
            RecipientDisposition.Refused => NotSent(ReasonCodes.DsnRefused, $"{transport.Name} answered: {result.Reply}"),
            _ => throw new TransientFailureException($"DSN to {cmd.To} deferred by {transport.Name}: {result.Reply}"),
        };
    }

    public static Props Props(IContentStore content, TransportRegistry transports) =>
        Akka.Actor.Props.Create<TransportActor>(content, transports);

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }
}
