using System.Text.RegularExpressions;
using Akka.Actor;
using ActorGateway.Domain;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Mapping;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>mapper</c>: child of a message actor. Maps the sender and every recipient into the target's
/// address format through the route table, and answers <see cref="StageProtocol.MappingSucceeded"/>
/// listing the mapped recipients and, separately, those that cannot be mapped (they are
/// dead-lettered alone). When the sender or every recipient cannot be mapped there is nothing to
/// deliver: that is thrown (<see cref="AddressMappingException"/>, <see cref="MessageUnmappableException"/>)
/// so the parent's supervisor strategy, not this actor, decides what happens.
/// </summary>
public sealed class MapperActor : ReceiveActor
{
    public const string Name = "mapper";

    public MapperActor(RouteTableSource routes, Regex? failFastRecipients)
    {
        Receive<StageProtocol.MapRecipients>(cmd =>
        {
            if (failFastRecipients is not null && cmd.Envelope.Recipients.FirstOrDefault(r => failFastRecipients.IsMatch(r.Address)) is { } deadly)
            {
                // Fault injection (tests only; see GatewayNode): a poison message that kills the whole process.
                Environment.FailFast($"{ReasonCodes.FaultInjection} mapping {deadly.Address} of {cmd.MessageId}");
            }
            var mapping = AddressMapper.MapEnvelope(cmd.Envelope, routes.Current);
            var sender = mapping.Sender switch
            {
                AddressMapResult.Mapped m => m.Address,
                AddressMapResult.Failed f => throw new AddressMappingException(f.ReasonCode, f.Source, f.Detail),
                _ => throw new InvalidOperationException(mapping.Sender.GetType().Name),
            };
            if (mapping.Recipients.Count == 0 && !cmd.Probe) throw new MessageUnmappableException(mapping.Failed);
            Sender.Tell(new StageProtocol.MappingSucceeded(cmd.MessageId, sender, mapping.Recipients, mapping.Failed));
        });
    }

    public static Props Props(RouteTableSource routes, Regex? failFastRecipients = null) => Akka.Actor.Props.Create(() => new MapperActor(routes, failFastRecipients));
}
