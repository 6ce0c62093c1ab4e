using Akka.Actor;
using Akka.Persistence;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Protocol;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain.Messages;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.GatewayEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// The in-flight registry writes one <see cref="RegistryChanged"/> row for whatever admissions and releases queued
/// while its previous write ran, and still reads the per-message events of older journals.
/// </summary>
public sealed class RegistryBatchingSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Should_admit_and_release_many_messages_per_registry_row_under_load()
    {
        using var dir = new TestDataDir();
        var system = ActorSystem.Create("registry-load", dir.Config());
        try
        {
            using var harness = new GatewayHarness(system);
            var ids = await harness.SubmitAllAsync(Enumerable.Range(0, 300).Select(i => TestMessages.Build(i)).ToList(), parallelism: 64);
            var outcomes = await harness.WaitAllAsync(ids, TimeSpan.FromMinutes(2));
            Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
        }
        finally
        {
            await system.Terminate();
        }

        var rows = RegistryRows(dir);
        output.WriteLine($"registry rows for 300 messages: {rows} ({rows / 300.0:0.000} per message; per-message events took 2)");
        Assert.True(rows < 300, $"{rows} registry rows for 300 admissions and 300 releases");
    }

    [Fact]
    public async Task Should_resume_what_old_per_message_and_new_batched_registry_events_leave_admitted()
    {
        using var dir = new TestDataDir();
        var (a, b, c, d) = (MessageId.New(), MessageId.New(), MessageId.New(), MessageId.New());
        var writer = ActorSystem.Create("legacy-registry", dir.Config());
        try
        {
            IReadOnlyList<object> events =
            [
                new MessageAdmitted(a),
                new MessageAdmitted(b),
                new MessageReleased(a, Outcomes.Delivered),
                new RegistryChanged([c, d], [new ReleasedMessage(b, Outcomes.Delivered)]),
                new RegistryChanged([], [new ReleasedMessage(c, Outcomes.DeadLettered)]),
            ];
            var legacy = writer.ActorOf(Props.Create(() => new RegistryWriter(events)));
            await legacy.Ask<string>("written", TimeSpan.FromSeconds(20));
        }
        finally
        {
            await writer.Terminate();
        }

        var system = ActorSystem.Create("registry-resume", dir.Config());
        try
        {
            var started = new System.Collections.Concurrent.ConcurrentQueue<MessageId>();
            var gateway = system.ActorOf(GatewayActor.Props(GatewaySettings.From(system.Settings.Config),
                id => Props.Create(() => new Idle(id, started)), system.DeadLetters), "gateway");
            var status = await AwaitStatus(gateway, s => s.Recovered);
            Assert.Equal(1, status.Registered);
            await Eventually.AssertAsync(() => Assert.Equal([d], started.ToArray()));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static long RegistryRows(TestDataDir dir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "gateway.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM journal WHERE persistence_id = 'gateway'";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private static async Task<GatewayProtocol.GatewayStatus> AwaitStatus(IActorRef gateway, Func<GatewayProtocol.GatewayStatus, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var status = await gateway.Ask<GatewayProtocol.GatewayStatus>(GatewayProtocol.GetStatus.Instance, TimeSpan.FromSeconds(10));
            if (until(status) || DateTime.UtcNow > deadline) return status;
            await Task.Delay(20);
        }
    }

    /// <summary>Writes registry events under the gateway's persistence id, as an older or this build would have.</summary>
    private sealed class RegistryWriter : ReceivePersistentActor
    {
        public RegistryWriter(IReadOnlyList<object> events)
        {
            Command<string>(_ =>
            {
                var replyTo = Sender;
                PersistAll(events, e =>
                {
                    if (ReferenceEquals(e, events[^1])) replyTo.Tell("written");
                });
            });
        }

        public override string PersistenceId => GatewayActor.Name;
    }

    /// <summary>Stands in for a message actor: records that it was started, and does nothing.</summary>
    private sealed class Idle : UntypedActor
    {
        public Idle(MessageId id, System.Collections.Concurrent.ConcurrentQueue<MessageId> started) => started.Enqueue(id);

        protected override void OnReceive(object message)
        {
        }
    }
}
