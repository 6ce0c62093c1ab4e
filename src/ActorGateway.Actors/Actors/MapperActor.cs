using Akka.Actor;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>mapper</c>: child of a message actor. Maps the sender and every recipient into the target's
/// address format through the route table, and answers <see cref="StageProtocol.MappingSucceeded"/>.
/// An address that cannot be mapped is thrown as <see cref="AddressMappingException"/> so the
/// parent's supervisor strategy, not this actor, decides what happens.
/// </summary>
public sealed class MapperActor : ReceiveActor
{
    public const string Name = "mapper";

    public MapperActor(RouteTableSource routes)
    {
        Receive<StageProtocol.MapRecipients>(cmd =>
        {
            var table = routes.Current;
            var sender = Require(AddressMapper.MapSender(cmd.Envelope.Sender, table));
            var recipients = new List<MappedAddress>(cmd.Envelope.Recipients.Count);
            foreach (var recipient in cmd.Envelope.Recipients)
            {
                recipients.Add(Require(AddressMapper.MapRecipient(recipient, table)));
            }
            Sender.Tell(new StageProtocol.MappingSucceeded(cmd.MessageId, sender, recipients));
        });
    }

    public static Props Props(RouteTableSource routes) => Akka.Actor.Props.Create<MapperActor>(routes);

    private static MappedAddress Require(AddressMapResult result) => result switch
    {
        AddressMapResult.Mapped m => m.Address,
        AddressMapResult.Failed f => throw new AddressMappingException(f.ReasonCode, f.Source, f.Detail),
        _ => throw new InvalidOperationException(result.GetType().Name),
    };
}
