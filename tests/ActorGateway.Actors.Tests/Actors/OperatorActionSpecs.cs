using Akka.Actor;
using Akka.Configuration;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;
using static ActorGateway.Domain.Events.OperatorEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>Replay, hold, release and purge, as the operator meets them through <see cref="Operations.GatewayOperations"/>.</summary>
public sealed class OperatorActionSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TestDataDir _dir;

    public OperatorActionSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private OperatorActionSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "operator-action-specs", output) => _dir = dir;

    protected override void AfterAll()
    {
        base.AfterAll();
        _dir.Dispose();
    }

    /// <summary>The operator's fix: a directory line for the blank-named recipient, then the route table reloaded.</summary>
    private void AddDirectoryEntry(GatewayHarness harness, string address, string userId)
    {
        File.AppendAllText(Path.Combine(_dir.Path, "directory.csv"), $"{address},{userId},VMNODE1\n");
        harness.Node.Parts.Routes.Replace(RouteConfig.Load(Sys.Settings.Config, _dir.Path));
    }

    /// <summary>A message the gateway is just releasing answers Busy for a moment; operators (and the CLI) try again.</summary>
    private static async Task<OperatorProtocol.Result> RetryWhileBusyAsync(Func<Task<OperatorProtocol.Result>> operate)
    {
        for (var i = 0; ; i++)
        {
            var result = await operate();
            if (result.Status != OperationStatus.Busy || i == 100) return result;
            await Task.Delay(50);
        }
    }

    private static async Task<MessageState> StateAsync(GatewayHarness harness, MessageId id) =>
        (await harness.Node.Operations.GetMessageAsync(id))!.State;

    [Fact]
    public async Task Should_deliver_a_quarantined_poison_message_once_after_a_directory_fix_and_replay()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Poison(1));
        var first = await harness.Outcomes.WaitAsync(id).WaitAsync(Wait);
        Assert.Equal(Outcomes.DeadLettered, first.Outcome);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, first.Reason);

        // Replaying before the fix would only fail again; the fix first.
        AddDirectoryEntry(harness, "ghost@contoso.com", "GHOST");
        var outcome = harness.Outcomes.NextAsync(id);
        var result = await harness.Node.Operations.ReplayAsync(id, "ops-alice", "directory entry added for ghost");

        Assert.Equal(OperationStatus.Done, result.Status);
        Assert.Equal(ReasonCodes.ReplayRequested, result.Code);
        Assert.Equal(Outcomes.Delivered, (await outcome.WaitAsync(Wait)).Outcome);
        Assert.Equal([id.Value + ".eml"], Directory.GetFiles(_dir.Spool).Select(Path.GetFileName));
        Assert.Contains("X-Receiver: GHOST@VMNODE1", await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + ".eml")));
        Assert.Equal(2, harness.MapperStarts[id]); // once failing, once after the replay: never in a loop

        var timeline = await JournalQueries.MessageTimelineAsync(Sys, id);
        Assert.Equal(
            ["message-accepted.v1", "message-dead-lettered.v1", "replay-requested.v1", "recipients-mapped.v1", "message-delivered.v1"],
            timeline.Select(t => t.Manifest));
        var replay = timeline.Select(t => t.Event).OfType<ReplayRequested>().Single();
        Assert.Equal(("ops-alice", "directory entry added for ghost", 1), (replay.By, replay.Why, replay.Replay));

        await AwaitAssertAsync(async () => Assert.Empty(await harness.Node.Operations.DeadLettersAsync()), Wait);
        Assert.Empty(await JournalQueries.DeadLettersAsync(Sys));
    }

    [Fact]
    public async Task Should_return_a_replayed_message_that_fails_again_to_quarantine_with_its_replay_count()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Poison(2));
        await harness.Outcomes.WaitAsync(id).WaitAsync(Wait);

        var again = harness.Outcomes.NextAsync(id);
        Assert.Equal(OperationStatus.Done, (await harness.Node.Operations.ReplayAsync(id, "ops", "try again without a fix")).Status);
        Assert.Equal(Outcomes.DeadLettered, (await again.WaitAsync(Wait)).Outcome);

        await AwaitAssertAsync(async () =>
        {
            var entry = Assert.Single(await harness.Node.Operations.DeadLettersAsync());
            Assert.Equal(1, entry.Replays);
            Assert.Equal(ReasonCodes.MapBlankDisplayName, entry.Reason);
        }, Wait);
        var state = await StateAsync(harness, id);
        Assert.Equal(1, state.Replays);
        Assert.True(state.IsQuarantined);
        Assert.Equal(2, harness.MapperStarts[id]);
        Assert.Empty(Directory.Exists(_dir.Spool) ? Directory.GetFiles(_dir.Spool) : []);
        // Its history stays: both dead-letterings are in the timeline.
        Assert.Equal(2, (await JournalQueries.MessageTimelineAsync(Sys, id)).Count(t => t.Event is MessageDeadLettered));
    }

    [Fact]
    public async Task Should_deliver_only_the_failed_recipient_of_a_partially_delivered_message_after_replay_in_a_file_of_its_own()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Build(3, "Grace Hopper", "grace@contoso.com", cc: "\"   \" <ghost@contoso.com>"));
        Assert.Equal(Outcomes.PartiallyDelivered, (await harness.Outcomes.WaitAsync(id).WaitAsync(Wait)).Outcome);

        AddDirectoryEntry(harness, "ghost@contoso.com", "GHOST");
        var outcome = harness.Outcomes.NextAsync(id);
        Assert.Equal(OperationStatus.Done, (await harness.Node.Operations.ReplayAsync(id, "ops", "fixed")).Status);
        Assert.Equal(Outcomes.Delivered, (await outcome.WaitAsync(Wait)).Outcome);

        var first = await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + ".eml"));
        var second = await File.ReadAllTextAsync(Path.Combine(_dir.Spool, id.Value + "-r1.eml"));
        Assert.Contains("X-Receiver: GHOPPER@VMNODE1", first);
        Assert.DoesNotContain("X-Receiver: GHOST@VMNODE1", first);
        Assert.Contains("X-Receiver: GHOST@VMNODE1", second);
        Assert.DoesNotContain("X-Receiver: GHOPPER@VMNODE1", second); // never delivered twice to the one already served
        Assert.Equal(2, Directory.GetFiles(_dir.Spool).Length);
    }

    [Fact]
    public async Task Should_refuse_to_replay_or_purge_a_message_that_is_not_in_quarantine_and_write_nothing()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Build(4));
        Assert.Equal(Outcomes.Delivered, (await harness.Outcomes.WaitAsync(id).WaitAsync(Wait)).Outcome);
        var before = (await JournalQueries.MessageTimelineAsync(Sys, id)).Count;

        var replay = await RetryWhileBusyAsync(() => harness.Node.Operations.ReplayAsync(id, "ops", "why not"));
        var purge = await RetryWhileBusyAsync(() => harness.Node.Operations.PurgeAsync(id, "ops", "why not"));
        var hold = await RetryWhileBusyAsync(() => harness.Node.Operations.HoldAsync(id, "ops", "why not"));
        var release = await RetryWhileBusyAsync(() => harness.Node.Operations.ReleaseAsync(id, "ops", "why not"));

        Assert.Equal((OperationStatus.Conflict, ReasonCodes.NotInQuarantine), (replay.Status, replay.Code));
        Assert.Equal((OperationStatus.Conflict, ReasonCodes.NotInQuarantine), (purge.Status, purge.Code));
        Assert.Equal((OperationStatus.Conflict, ReasonCodes.InvalidState), (hold.Status, hold.Code));
        Assert.Equal((OperationStatus.Conflict, ReasonCodes.InvalidState), (release.Status, release.Code));
        Assert.Equal(before, (await JournalQueries.MessageTimelineAsync(Sys, id)).Count);
        // The actor started for the commands stops again: nothing stays in flight.
        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait);
    }

    [Fact]
    public async Task Should_answer_every_one_of_many_back_to_back_commands_even_while_the_message_stops_between_them()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Build(10));
        Assert.Equal(Outcomes.Delivered, (await harness.Outcomes.WaitAsync(id).WaitAsync(Wait)).Outcome);

        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var collector = Sys.ActorOf(Props.Create(() => new WarningCollector(warnings)));
        Sys.EventStream.Subscribe(collector, typeof(Akka.Event.Warning));

        // Each command starts the finished message's actor, which stops again right after answering: commands
        // arriving while it stops must neither be lost (an ask timeout) nor be refused as busy.
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => harness.Node.Operations.ReplayAsync(id, "ops", $"attempt {i}")));

        Assert.All(results, r => Assert.Equal((OperationStatus.Conflict, ReasonCodes.NotInQuarantine), (r.Status, r.Code)));
        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait);
        // Stopping after answering is normal: the gateway never takes it for a failed message actor.
        Assert.DoesNotContain(warnings, w => w.Contains(ReasonCodes.MessageActorFailed));
    }

    [Fact]
    public async Task Should_answer_not_found_for_an_unknown_id_and_keep_nothing_in_flight()
    {
        using var harness = new GatewayHarness(Sys);
        var unknown = MessageId.New();

        var result = await harness.Node.Operations.ReplayAsync(unknown, "ops", "typo");

        Assert.Equal((OperationStatus.NotFound, ReasonCodes.MessageNotFound), (result.Status, result.Code));
        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait);
        Assert.Null(await harness.Node.Operations.GetMessageAsync(unknown));
    }

    [Fact]
    public async Task Should_hold_a_message_waiting_on_its_target_and_deliver_it_once_released()
    {
        var target = new ScriptedTransport(deferrals: 1000); // the target says "later" until told otherwise
        using var harness = new GatewayHarness(Sys, new GatewayNodeOptions(Transport: target));
        var id = await harness.SubmitAsync(TestMessages.Build(5, "Dee Later", "d@contoso.com"));
        await AwaitAssertAsync(() => Assert.NotEmpty(target.Envelopes), Wait);

        var held = harness.Outcomes.NextAsync(id);
        var hold = await harness.Node.Operations.HoldAsync(id, "ops-bob", "target migrating this week");
        Assert.Equal((OperationStatus.Done, ReasonCodes.Held), (hold.Status, hold.Code));
        Assert.Equal(Outcomes.Held, (await held.WaitAsync(Wait)).Outcome);
        Assert.Equal(0, (await harness.StatusAsync()).Registered); // resting out of the in-flight bound
        var attemptsWhileHeld = target.Envelopes.Count;
        var replayWhileHeld = await RetryWhileBusyAsync(() => harness.Node.Operations.ReplayAsync(id, "ops", "x"));
        Assert.Equal((OperationStatus.Conflict, ReasonCodes.MessageIsHeld), (replayWhileHeld.Status, replayWhileHeld.Code));
        Assert.Equal(OperationStatus.Done, (await RetryWhileBusyAsync(() => harness.Node.Operations.HoldAsync(id, "ops", "again"))).Status); // idempotent

        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait); // the actors started for those commands are gone

        target.StopDeferring();
        var delivered = harness.Outcomes.NextAsync(id);
        var release = await RetryWhileBusyAsync(() => harness.Node.Operations.ReleaseAsync(id, "ops-bob", "migration done"));
        Assert.Equal((OperationStatus.Done, ReasonCodes.HoldReleased), (release.Status, release.Code));
        Assert.Equal(Outcomes.Delivered, (await delivered.WaitAsync(Wait)).Outcome);
        Assert.True(target.Envelopes.Count > attemptsWhileHeld);

        var events = (await JournalQueries.MessageTimelineAsync(Sys, id)).Select(t => t.Event).ToList();
        var heldEvent = Assert.Single(events.OfType<MessageHeld>());
        Assert.Equal(("ops-bob", "target migrating this week"), (heldEvent.By, heldEvent.Why));
        Assert.Single(events.OfType<HoldReleased>());
        Assert.True(events.FindIndex(e => e is MessageHeld) < events.FindIndex(e => e is HoldReleased));
        Assert.True(events.FindIndex(e => e is HoldReleased) < events.FindIndex(e => e is MessageDelivered));
    }

    [Fact]
    public async Task Should_rest_a_message_held_while_its_stage_runs_even_when_that_stage_then_fails()
    {
        // The mapper waits until the test lets it go, then throws an unknown exception (restart-now territory).
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ChildFactory failingMapper = (ctx, _) => ctx.ActorOf(Props.Create(() => new GatedFailingMapper(gate.Task, started)), "mapper");
        using var harness = new GatewayHarness(Sys, mapperOverride: failingMapper);
        var id = await harness.SubmitAsync(TestMessages.Build(11));
        await started.Task.WaitAsync(Wait);

        var held = harness.Outcomes.NextAsync(id);
        var hold = await harness.Node.Operations.HoldAsync(id, "ops", "look at it first");
        Assert.Equal(OperationStatus.Done, hold.Status);
        gate.SetResult();

        Assert.Equal(Outcomes.Held, (await held.WaitAsync(Wait)).Outcome);
        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait);
        Assert.Equal(1, harness.MapperStarts[id]); // the failure did not start the stage again while held
    }

    private sealed class WarningCollector : ReceiveActor
    {
        public WarningCollector(System.Collections.Concurrent.ConcurrentQueue<string> into) =>
            Receive<Akka.Event.Warning>(w => into.Enqueue(w.ToString()));
    }

    private sealed class GatedFailingMapper : ReceiveActor
    {
        public GatedFailingMapper(Task gate, TaskCompletionSource started) =>
            ReceiveAsync<StageProtocol.MapRecipients>(async _ =>
            {
                started.TrySetResult();
                await gate;
                throw new InvalidOperationException("mapper bug (test)");
            });
    }

    [Fact]
    public async Task Should_purge_a_quarantined_message_with_an_audit_event_and_then_refuse_to_replay_it()
    {
        using var harness = new GatewayHarness(Sys);
        var id = await harness.SubmitAsync(TestMessages.Poison(6));
        await harness.Outcomes.WaitAsync(id).WaitAsync(Wait);
        Assert.True(harness.Node.Parts.Content.Exists(id));

        var purge = await harness.Node.Operations.PurgeAsync(id, "ops-carol", "spam; sender confirmed");

        Assert.Equal((OperationStatus.Done, ReasonCodes.Purged), (purge.Status, purge.Code));
        Assert.False(harness.Node.Parts.Content.Exists(id));
        await AwaitAssertAsync(async () => Assert.Empty(await harness.Node.Operations.DeadLettersAsync()), Wait);
        var purged = Assert.IsType<MessagePurged>((await JournalQueries.MessageTimelineAsync(Sys, id)).Last().Event);
        Assert.Equal(("ops-carol", "spam; sender confirmed"), (purged.By, purged.Why));
        Assert.Equal(OperationStatus.Done, (await RetryWhileBusyAsync(() => harness.Node.Operations.PurgeAsync(id, "ops", "twice"))).Status); // idempotent, nothing written
        Assert.Single(await JournalQueries.MessageTimelineAsync(Sys, id), t => t.Event is MessagePurged);
        var replay = await RetryWhileBusyAsync(() => harness.Node.Operations.ReplayAsync(id, "ops", "x"));
        Assert.Equal((OperationStatus.Conflict, ReasonCodes.InvalidState), (replay.Status, replay.Code));
        await AwaitAssertAsync(async () => Assert.Equal(0, (await harness.StatusAsync()).Registered), Wait);
    }

    [Fact]
    public async Task Should_count_received_delivered_and_dead_lettered_messages_in_the_node_metrics()
    {
        using var harness = new GatewayHarness(Sys);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, harness.Node.Metrics.Meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var reason = string.Join(",", tags.ToArray().Where(t => t.Key == "reason").Select(t => t.Value));
            seen.AddOrUpdate(instrument.Name + (reason.Length > 0 ? "/" + reason : ""), value, (_, n) => n + value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => seen.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        listener.Start();

        var ok = await harness.SubmitAsync(TestMessages.Build(7));
        var poison = await harness.SubmitAsync(TestMessages.Poison(8));
        await harness.WaitAllAsync([ok, poison], Wait);

        Assert.Equal(2, seen.GetValueOrDefault("gateway.messages.received"));
        Assert.Equal(1, seen.GetValueOrDefault("gateway.messages.delivered"));
        Assert.Equal(1, seen.GetValueOrDefault("gateway.messages.dead_lettered/" + ReasonCodes.MapBlankDisplayName));
        Assert.True(seen.GetValueOrDefault("gateway.journal.write.duration") >= 2);
    }
}

/// <summary>An operator's replay reaches a message quarantined before a restart, on the same SQLite file.</summary>
public sealed class ReplayAfterRestartSpecs
{
    [Fact]
    public async Task Should_replay_a_message_quarantined_before_a_restart()
    {
        using var dir = new TestDataDir();
        MessageId id;
        using (var before = ActorSystem.Create("replay-before", dir.Config()))
        {
            using var harness = new GatewayHarness(before);
            id = await harness.SubmitAsync(TestMessages.Poison(9));
            Assert.Equal(Outcomes.DeadLettered, (await harness.Outcomes.WaitAsync(id).WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
            await before.Terminate();
        }

        await File.WriteAllTextAsync(Path.Combine(dir.Path, "directory.csv"), "ghost@contoso.com,GHOST,VMNODE1\n");
        using var after = ActorSystem.Create("replay-after", dir.Config());
        try
        {
            using var harness = new GatewayHarness(after);
            var delivered = harness.Outcomes.WaitAsync(id);
            var result = await harness.Node.Operations.ReplayAsync(id, "ops", "after restart");
            Assert.Equal(OperationStatus.Done, result.Status);
            Assert.Equal(Outcomes.Delivered, (await delivered.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
            Assert.Single(Directory.GetFiles(dir.Spool));
        }
        finally
        {
            await after.Terminate();
        }
    }
}
