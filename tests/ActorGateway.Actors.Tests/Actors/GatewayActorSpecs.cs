using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

public sealed class GatewayActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public GatewayActorSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private GatewayActorSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "gateway-specs", output) => _dir = dir;

    [Fact]
    public async Task Should_deliver_a_message_to_the_spool_with_mapped_and_original_addresses()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Build(1, "Smith, John", "john.smith@contoso.com"));

        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.Delivered, outcome.Outcome);
        var spooled = await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + ".eml"));
        Assert.Contains("To: JSMITH@VMNODE1", spooled);
        Assert.Contains("X-Gateway-Original-To: \"Smith, John\" <john.smith@contoso.com>", spooled);
        Assert.Contains("X-Receiver: JSMITH@VMNODE1", spooled);
        Assert.False(harness.Node.Parts.Content.Exists(id), "original content is removed once delivered");
    }

    [Fact]
    public async Task Should_dead_letter_only_the_seed_poison_message_among_a_thousand()
    {
        using var harness = new GatewayHarness(Sys);
        var before = await harness.StatusAsync();
        var gatewayRef = await Sys.ActorSelection("/user/gateway/gateway").ResolveOne(TimeSpan.FromSeconds(5));
        var messages = Enumerable.Range(0, 1000).Select(i => i == 500 ? TestMessages.Poison(i) : TestMessages.Build(i, $"User Number{i}", $"user{i}@contoso.com")).ToList();

        var ids = await harness.SubmitAllAsync(messages);
        var outcomes = await harness.WaitAllAsync(ids, TimeSpan.FromMinutes(3));

        var poisonId = ids[500];
        var dead = outcomes.Where(o => o.Outcome == Outcomes.DeadLettered).ToList();
        Assert.Single(dead);
        Assert.Equal(poisonId, dead[0].MessageId);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, dead[0].Reason);
        Assert.Equal(999, outcomes.Count(o => o.Outcome == Outcomes.Delivered));
        Assert.Equal(999, Directory.GetFiles(_dir.Spool, "*.eml").Length);
        Assert.False(File.Exists(Path.Combine(_dir.Spool, poisonId.Value + ".eml")));

        // The poison message's mapper was started once, and never restarted (one attempt recorded).
        Assert.Equal(1, harness.MapperStarts[poisonId]);
        var entry = await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterLookup>(
            new DeadLetterQueueProtocol.GetDeadLetter(poisonId), TimeSpan.FromSeconds(5));
        Assert.NotNull(entry.Entry);
        Assert.Equal(1, entry.Entry!.Attempts);
        Assert.Equal(Stage.Mapping, entry.Entry.Stage);
        Assert.Equal("ghost@contoso.com", entry.Entry.Recipient);

        // The supervisor is the same incarnation and the same actor: it never restarted.
        var after = await harness.StatusAsync();
        Assert.Equal(before.Incarnation, after.Incarnation);
        Assert.Equal(gatewayRef, await Sys.ActorSelection("/user/gateway/gateway").ResolveOne(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, after.Registered);
    }

    [Fact]
    public async Task Should_restart_mapper_N_times_then_retry_it_M_times_later_on_unknown_exception_then_dead_letter_unhandled()
    {
        var constructions = 0;
        using var harness = new GatewayHarness(Sys, mapperOverride: (ctx, _) =>
            ctx.ActorOf(Props.Create(() => new ThrowingMapper(() => Interlocked.Increment(ref constructions))), MapperActor.Name));

        var id = await harness.SubmitAsync(TestMessages.Build(7));
        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.DeadLettered, outcome.Outcome);
        Assert.Equal(ReasonCodes.Unhandled, outcome.Reason);
        // 1 start + max-unknown-restarts (3) immediate restarts + max-unknown-delayed-retries (3) later, never more.
        Assert.Equal(7, Volatile.Read(ref constructions));
        Assert.Equal(1, harness.MapperStarts[id]);
        var entry = await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterLookup>(
            new DeadLetterQueueProtocol.GetDeadLetter(id), TimeSpan.FromSeconds(5));
        Assert.Equal(7, entry.Entry!.Attempts);
        var retries = (await ActorGateway.Actors.Query.JournalQueries.MessageTimelineAsync(Sys, id))
            .Select(t => t.Event).OfType<ActorGateway.Domain.Events.MessageEvents.RetryScheduled>().ToList();
        Assert.Equal([1, 2, 3], retries.Select(r => r.Attempt));
        Assert.All(retries, r => Assert.Equal("unknown", r.Kind));
        Assert.Equal(typeof(InvalidOperationException).FullName, entry.Entry.ErrorType);
    }

    [Fact]
    public async Task Should_retry_transient_transport_failures_without_dead_lettering()
    {
        var spool = new ActorGateway.Actors.Transport.SpoolTransport(_dir.Spool, maxBatchFiles: 64);
        var flaky = new FlakyTransport(spool, () => new IOException("disk unavailable"), failures: 3);
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: flaky));

        var id = await harness.SubmitAsync(TestMessages.Build(3));
        var outcome = await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Outcomes.Delivered, outcome.Outcome);
        Assert.Equal(4, flaky.Calls);
        var list = await harness.Node.DeadLetterQueue.Ask<DeadLetterQueueProtocol.DeadLetterList>(new DeadLetterQueueProtocol.ListDeadLetters(), TimeSpan.FromSeconds(5));
        Assert.Empty(list.Entries);
    }

    [Fact]
    public async Task Should_hold_back_submissions_beyond_max_in_flight_and_answer_busy_when_the_wait_queue_is_full()
    {
        // A separate system with tight bounds.
        var config = _dir.Config("actor-gateway { max-in-flight = 3, max-waiting-submissions = 2 }");
        var system = ActorSystem.Create("bounded", config);
        try
        {
            var blocking = new BlockingTransport();
            using var harness = new GatewayHarness(system, new GatewayNodeOptions(Transport: blocking));
            for (var i = 0; i < 3; i++) await harness.SubmitAsync(TestMessages.Build(i));
            await AwaitAssertAsync(() => Assert.Equal(3, blocking.Entered), TimeSpan.FromSeconds(10));

            // Two more wait for a slot (no reply yet); a sixth is told GW-BUSY straight away.
            var probe = CreateTestProbe(system);
            var envelope = new MessageEnvelope(new SourceAddress(AddressRole.Sender, "a@fabrikam.com", null),
                [new SourceAddress(AddressRole.To, "b@contoso.com", "B Person")], null, null);
            for (var i = 0; i < 3; i++)
            {
                harness.Node.Gateway.Tell(new GatewayProtocol.SubmitMessage(MessageId.New(), "probe", 10, envelope), probe.Ref);
            }
            var rejected = await probe.ExpectMsgAsync<GatewayProtocol.SubmitRejected>(TimeSpan.FromSeconds(5));
            Assert.Equal(ReasonCodes.Busy, rejected.Code);
            await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

            var status = await harness.StatusAsync();
            Assert.Equal(3, status.Registered);
            Assert.Equal(2, status.Waiting);
        }
        finally
        {
            await system.Terminate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    private sealed class ThrowingMapper : ReceiveActor
    {
        public ThrowingMapper(Action onConstructed)
        {
            onConstructed();
            Receive<StageProtocol.MapRecipients>(_ => throw new InvalidOperationException("mapper bug"));
        }
    }
}
