using Akka.Actor;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Actors;

/// <summary>Creates one stage child of a message actor. Injected so tests can count starts or put probes in place.</summary>
public delegate IActorRef ChildFactory(IActorContext context, MessageId messageId);

/// <summary>The two stage children every message actor creates.</summary>
public sealed record MessageChildFactories(ChildFactory Mapper, ChildFactory Transport)
{
    public static MessageChildFactories Default(RouteTableSource routes, IContentStore content, TransportRegistry transports, System.Text.RegularExpressions.Regex? failFastRecipients = null)
    {
        var mapperProps = MapperActor.Props(routes, failFastRecipients);
        var transportProps = TransportActor.Props(content, transports);
        return new MessageChildFactories(
            (ctx, _) => ctx.ActorOf(mapperProps, MapperActor.Name),
            (ctx, _) => ctx.ActorOf(transportProps, TransportActor.Name));
    }
}
