using Akka.Actor;

namespace ActorGateway.Actors.Actors;

/// <summary>
/// <c>careful-token</c>: one per clustered node. A node runs many partitions, each with its own risk gate; after a crash each
/// gate runs its suspects one at a time, but without a shared token the gates of one node would each run one, side by side.
/// Then a deadly suspect would take the other partitions' suspects down with it, and charge each of them a crash they did not
/// cause. The token makes "one suspect at a time" hold per process: a gate makes a careful grant only while it holds the
/// token, and gives it back when that stage is over. Requests are served in arrival order, so the partitions take turns. A
/// holder that dies gives the token back by dying (it is watched). Not persistent: it guards one process's concurrency only.
/// </summary>
public sealed class CarefulTokenActor : ReceiveActor
{
    public const string Name = "careful-token";

    private readonly LinkedList<IActorRef> _queue = new();
    private IActorRef? _holder;

    public CarefulTokenActor()
    {
        Receive<Acquire>(_ =>
        {
            if (Sender.Equals(_holder))
            {
                Sender.Tell(Acquired.Instance); // asked again (it restarted and forgot): it has it
                return;
            }
            if (_queue.Contains(Sender)) return;
            Context.Watch(Sender);
            _queue.AddLast(Sender);
            Next();
        });
        Receive<Release>(_ =>
        {
            if (Sender.Equals(_holder))
            {
                Context.Unwatch(_holder);
                _holder = null;
                Next();
            }
            else if (_queue.Remove(Sender))
            {
                Context.Unwatch(Sender);
            }
        });
        Receive<Terminated>(t =>
        {
            _queue.Remove(t.ActorRef);
            if (t.ActorRef.Equals(_holder))
            {
                _holder = null;
                Next();
            }
        });
        Receive<GetHolder>(_ => Sender.Tell(new Holder(_holder, _queue.Count)));
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new CarefulTokenActor());

    private void Next()
    {
        if (_holder is not null || _queue.Count == 0) return;
        _holder = _queue.First!.Value;
        _queue.RemoveFirst();
        _holder.Tell(Acquired.Instance);
    }

    /// <summary>Gate → token: may I make a careful grant? Answered with <see cref="Acquired"/> when it is this gate's turn.</summary>
    public sealed record Acquire
    {
        public static readonly Acquire Instance = new();
    }

    /// <summary>Token → gate: your turn; send <see cref="Release"/> when the stage is over.</summary>
    public sealed record Acquired
    {
        public static readonly Acquired Instance = new();
    }

    /// <summary>Gate → token: done (or no longer waiting).</summary>
    public sealed record Release
    {
        public static readonly Release Instance = new();
    }

    /// <summary>Anyone → token: who holds it (tests, diagnostics).</summary>
    public sealed record GetHolder
    {
        public static readonly GetHolder Instance = new();
    }

    public sealed record Holder(IActorRef? Current, int Waiting);
}
