using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.DeadLetters;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

public sealed class DeadLetterQueueActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public DeadLetterQueueActorSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private DeadLetterQueueActorSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "dlq-specs", output) => _dir = dir;

    private static DeadLetterEntry Entry(string reason = ReasonCodes.MapBlankDisplayName) =>
        new(MessageId.New(), reason, Stage.Mapping, "ghost@contoso.com", "X", "blank", 1, DateTimeOffset.UtcNow, "file.eml");

    [Fact]
    public async Task Should_record_each_message_once_and_confirm_every_time()
    {
        var queue = Sys.ActorOf(DeadLetterQueueActor.Props(snapshotEvery: 3));
        var entry = Entry();

        queue.Tell(new DeadLetterQueueProtocol.RecordDeadLetter(entry));
        await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(m => m.MessageId == entry.MessageId);
        queue.Tell(new DeadLetterQueueProtocol.RecordDeadLetter(entry with { ErrorMessage = "again" }));
        await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(m => m.MessageId == entry.MessageId);

        queue.Tell(new DeadLetterQueueProtocol.ListDeadLetters());
        var list = await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterList>();
        Assert.Single(list.Entries);
        Assert.Equal("blank", list.Entries[0].ErrorMessage);
    }

    [Fact]
    public async Task Should_filter_by_reason_and_answer_get_for_unknown_ids_with_null()
    {
        var queue = Sys.ActorOf(DeadLetterQueueActor.Props(snapshotEvery: 100));
        var a = Entry();
        var b = Entry(ReasonCodes.NoRoute);
        queue.Tell(new DeadLetterQueueProtocol.RecordDeadLetter(a));
        queue.Tell(new DeadLetterQueueProtocol.RecordDeadLetter(b));
        await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(TimeSpan.FromSeconds(15));
        await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(TimeSpan.FromSeconds(15));

        queue.Tell(new DeadLetterQueueProtocol.ListDeadLetters(Reason: ReasonCodes.NoRoute));
        Assert.Equal(b.MessageId, (await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterList>()).Entries.Single().MessageId);
        var unknown = MessageId.New();
        queue.Tell(new DeadLetterQueueProtocol.GetDeadLetter(unknown));
        Assert.Null((await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterLookup>()).Entry);
    }

    [Fact]
    public async Task Should_keep_entries_across_a_restart_from_snapshot_and_events()
    {
        var queue = Sys.ActorOf(DeadLetterQueueActor.Props(snapshotEvery: 3), "queue-1");
        var entries = Enumerable.Range(0, 7).Select(_ => Entry()).ToList();
        foreach (var e in entries)
        {
            queue.Tell(new DeadLetterQueueProtocol.RecordDeadLetter(e));
            await ExpectMsgAsync<DeadLetterQueueProtocol.DeadLetterRecordConfirmed>(TimeSpan.FromSeconds(15));
        }
        Watch(queue);
        Sys.Stop(queue);
        await ExpectTerminatedAsync(queue);

        var second = ActorSystem.Create("dlq-restart", _dir.Config());
        try
        {
            var again = second.ActorOf(DeadLetterQueueActor.Props(snapshotEvery: 3));
            var list = await again.Ask<DeadLetterQueueProtocol.DeadLetterList>(new DeadLetterQueueProtocol.ListDeadLetters(), TimeSpan.FromSeconds(10));
            Assert.Equal(entries.Select(e => e.MessageId), list.Entries.Select(e => e.MessageId));
        }
        finally
        {
            await second.Terminate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
