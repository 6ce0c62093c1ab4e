using Akka.Actor;
using Akka.TestKit;
using ActorGateway.Actors.Actors;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>The one at-least-once helper: sent now, sent again each interval until confirmed; a new send under a key replaces the old.</summary>
public sealed class AtLeastOnceSendsSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public void Should_send_again_every_interval_until_confirmed()
    {
        var queue = CreateTestProbe();
        var owner = Sys.ActorOf(Props.Create(() => new Owner(queue.Ref)));

        owner.Tell(new Owner.Send("record", "entry-1"));
        queue.ExpectMsg("entry-1");
        Assert.Equal(owner, queue.LastSender);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        Scheduler.Advance(Interval);
        queue.ExpectMsg("entry-1");
        Scheduler.Advance(Interval);
        queue.ExpectMsg("entry-1");

        owner.Tell(new Owner.Confirm("record"));
        owner.Tell(Owner.AskPending.Instance);
        Assert.False(ExpectMsg<bool>());
        Scheduler.Advance(Interval * 3);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_replace_a_pending_send_under_the_same_key_and_keep_other_keys()
    {
        var queue = CreateTestProbe();
        var owner = Sys.ActorOf(Props.Create(() => new Owner(queue.Ref)));

        owner.Tell(new Owner.Send("clear", "clear-up-to-0"));
        queue.ExpectMsg("clear-up-to-0");
        owner.Tell(new Owner.Send("clear", "clear-up-to-1"));
        queue.ExpectMsg("clear-up-to-1");
        owner.Tell(new Owner.Send("record", "entry"));
        queue.ExpectMsg("entry");

        Scheduler.Advance(Interval);
        var resent = queue.ReceiveN(2).Cast<string>().Order().ToList();
        Assert.Equal(["clear-up-to-1", "entry"], resent);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A minimal owner, as a message actor uses it: sends, confirms, and routes the resend timer.</summary>
    private sealed class Owner : ReceiveActor, IWithTimers
    {
        private AtLeastOnceSends? _sends;

        public Owner(IActorRef queue)
        {
            Receive<Send>(s => Sends.Send(s.Key, queue, s.Message));
            Receive<Confirm>(c => Sends.Confirm(c.Key));
            Receive<AtLeastOnceSends.Resend>(r => Sends.OnResend(r));
            Receive<AskPending>(_ => Sender.Tell(Sends.IsPending("record")));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        private AtLeastOnceSends Sends => _sends ??= new AtLeastOnceSends(Self, Timers, Interval);

        public sealed record Send(string Key, string Message);

        public sealed record Confirm(string Key);

        public sealed record AskPending
        {
            public static readonly AskPending Instance = new();
        }
    }
}
