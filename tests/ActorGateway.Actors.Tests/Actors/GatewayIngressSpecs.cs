using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Storage;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// The ingress tells the gateway when an id is new, so that its message actor may skip reading an empty
/// history. Only the first attempt of a generated id may say so: a repeat may follow an admission the
/// ingress never heard about.
/// </summary>
public sealed class GatewayIngressSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public GatewayIngressSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private GatewayIngressSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "ingress-specs", output) => _dir = dir;

    private readonly List<SqliteContentStore> _stores = [];

    private GatewayIngress Ingress(Akka.TestKit.TestProbe gateway, Action<int>? beforeCommit = null)
    {
        var store = new SqliteContentStore(Path.Combine(_dir.Path, "content.db"), null, maxBatchMessages: 256, maxBatchBytes: 8 << 20) { BeforeCommit = beforeCommit };
        _stores.Add(store);
        return new(gateway.Ref, store, GatewaySettings.From(Sys.Settings.Config));
    }

    [Fact]
    public async Task Should_defer_every_message_of_a_failed_content_batch_and_never_ask_the_gateway()
    {
        var gateway = CreateTestProbe();
        var release = new ManualResetEventSlim();
        var batches = new List<int>();
        // The first batch is held until all 20 are queued behind it, then every batch fails as a full disk would.
        var ingress = Ingress(gateway, size =>
        {
            lock (batches) batches.Add(size);
            release.Wait(TimeSpan.FromSeconds(10));
            throw new IOException("No space left on device");
        });

        var submissions = Enumerable.Range(0, 20).Select(i => ingress.SubmitAsync(TestMessages.Build(i), "test")).ToList();
        release.Set();
        var results = await Task.WhenAll(submissions).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.All(results, r => Assert.Equal(ReasonCodes.IntakeUnreadable, Assert.IsType<SubmitResult.Deferred>(r).Code));
        gateway.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        lock (batches) Assert.Equal(20, batches.Sum());
    }

    [Fact]
    public async Task Should_say_a_generated_id_is_new_on_the_first_attempt_only()
    {
        var gateway = CreateTestProbe();
        var submit = Ingress(gateway).SubmitAsync(TestMessages.Build(1), "test");

        var first = gateway.ExpectMsg<GatewayProtocol.SubmitMessage>(TimeSpan.FromSeconds(10));
        Assert.True(first.NewId);
        gateway.Reply(new GatewayProtocol.SubmitRejected(first.MessageId, ReasonCodes.Busy, "busy"));

        var second = gateway.ExpectMsg<GatewayProtocol.SubmitMessage>(TimeSpan.FromSeconds(10));
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.False(second.NewId);
        gateway.Reply(new GatewayProtocol.SubmitAccepted(second.MessageId));

        var result = await submit.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new SubmitResult.Accepted(first.MessageId), result);
    }

    [Fact]
    public async Task Should_not_say_a_given_id_is_new_unless_the_caller_does()
    {
        var gateway = CreateTestProbe();
        var ingress = Ingress(gateway);
        var id = MessageId.New();

        var retried = ingress.SubmitAsync(TestMessages.Build(2), "test", id: id);
        var asked = gateway.ExpectMsg<GatewayProtocol.SubmitMessage>(TimeSpan.FromSeconds(10));
        Assert.False(asked.NewId);
        gateway.Reply(new GatewayProtocol.SubmitAccepted(id));
        await retried.WaitAsync(TimeSpan.FromSeconds(10));

        var claimedId = MessageId.New();
        var claimed = ingress.SubmitAsync(TestMessages.Build(3), "test", id: claimedId, newId: true);
        Assert.True(gateway.ExpectMsg<GatewayProtocol.SubmitMessage>(TimeSpan.FromSeconds(10)).NewId);
        gateway.Reply(new GatewayProtocol.SubmitAccepted(claimedId));
        await claimed.WaitAsync(TimeSpan.FromSeconds(10));
    }

    protected override void AfterAll()
    {
        foreach (var store in _stores) store.Dispose();
        base.AfterAll();
        _dir.Dispose();
    }
}
