using Akka.Actor;
using Akka.Configuration;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Query;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain;
using ActorGateway.Domain.Messages;
using ActorGateway.Testing;
using Xunit.Abstractions;
using static ActorGateway.Domain.Events.MessageEvents;

namespace ActorGateway.Actors.Tests.Actors;

/// <summary>
/// A node whose journal, snapshots and content live in PostgreSQL (a real server, tests/Shared/PostgresServer.cs):
/// messages are delivered and dead-lettered, and a new ActorSystem on the same database, even with another data
/// directory (another node), recovers what the journal knew and delivers from the shared content.
/// </summary>
public sealed class PostgresJournalSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly List<string> _dirs = [];

    [SkippableFact]
    public async Task Should_deliver_and_dead_letter_on_the_postgres_journal_and_recover_the_queue_after_a_restart()
    {
        using var db = PostgresServer.CreateDatabase();
        GatewayNode.PreparePostgres(db.ConnectionString, TimeSpan.FromSeconds(10));
        var dir = NewDataDir();
        var ordinary = Enumerable.Range(1, 5).Select(n => Sample($"{n:000}-ordinary.eml")).ToList();
        var poison = Sample("017-poison-blank-display-name.eml");
        MessageId poisonId;
        IReadOnlyList<MessageId> delivered;

        var first = ActorSystem.Create("pg-first", Config(dir, db));
        try
        {
            using var harness = new GatewayHarness(first);
            delivered = await harness.SubmitAllAsync(ordinary);
            poisonId = await harness.SubmitAsync(poison);
            var outcomes = await harness.WaitAllAsync(delivered, TimeSpan.FromSeconds(60));
            Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
            var dead = await harness.Outcomes.WaitAsync(poisonId).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Outcomes.DeadLettered, dead.Outcome);
            Assert.Equal(ReasonCodes.MapBlankDisplayName, dead.Reason);
            Assert.All(delivered, id => Assert.True(File.Exists(Path.Combine(dir, "outbound", id.Value + ".eml"))));
        }
        finally
        {
            await first.Terminate();
        }

        // Nothing of the journal or the content is in the data directory: it is all in the database.
        Assert.False(File.Exists(Path.Combine(dir, GatewayConfig.SqliteJournalFile)));
        Assert.False(File.Exists(Path.Combine(dir, "content.db")));
        Assert.True(Convert.ToInt64(db.Scalar("SELECT count(*) FROM journal")) > 0);
        // The dead-lettered message's bytes are kept; the delivered ones' are deleted.
        await Eventually.AssertAsync(() => Assert.Equal(poisonId.Value, db.Scalar("SELECT string_agg(id, ',') FROM gateway_content")));

        var second = ActorSystem.Create("pg-second", Config(dir, db));
        try
        {
            using var harness = new GatewayHarness(second);
            var queue = await harness.Node.Operations.DeadLettersAsync();
            var entry = Assert.Single(queue);
            Assert.Equal(poisonId, entry.MessageId);
            Assert.Equal(ReasonCodes.MapBlankDisplayName, entry.Reason);
            var timeline = await JournalQueries.MessageTimelineAsync(second, poisonId);
            Assert.Single(timeline, t => t.Event is MessageAccepted);
            Assert.Single(timeline, t => t.Event is MessageDeadLettered);
            Assert.Equal(poison, await harness.Node.Parts.Content.ReadAsync(poisonId));
            foreach (var id in delivered)
            {
                Assert.Single(await JournalQueries.MessageTimelineAsync(second, id), t => t.Event is MessageDelivered);
            }
            Assert.Equal(0, (await harness.StatusAsync()).Registered);
            Assert.Empty(harness.MapperStarts);
        }
        finally
        {
            await second.Terminate();
        }
    }

    [SkippableFact]
    public async Task Should_deliver_on_another_node_what_one_node_accepted_and_never_delivered()
    {
        using var db = PostgresServer.CreateDatabase();
        GatewayNode.PreparePostgres(db.ConnectionString, TimeSpan.FromSeconds(10));
        var firstDir = NewDataDir();
        var blocking = new BlockingTransport();
        IReadOnlyList<MessageId> ids;

        var first = ActorSystem.Create("pg-node-a", Config(firstDir, db));
        try
        {
            using var harness = new GatewayHarness(first, new GatewayNodeOptions(Transport: blocking));
            ids = await harness.SubmitAllAsync(Enumerable.Range(0, 10).Select(i => TestMessages.Build(i, $"Person Number{i}", $"p{i}@contoso.com")).ToList());
            await AwaitAssertAsync(() => Assert.Equal(10, blocking.Entered), TimeSpan.FromSeconds(30));
        }
        finally
        {
            await first.Terminate();
        }

        // Another node: its own data directory (spool), the same database; it never saw the bytes.
        var secondDir = NewDataDir();
        var second = ActorSystem.Create("pg-node-b", Config(secondDir, db));
        try
        {
            using var harness = new GatewayHarness(second);
            var outcomes = await harness.WaitAllAsync(ids, TimeSpan.FromSeconds(60));
            Assert.All(outcomes, o => Assert.Equal(Outcomes.Delivered, o.Outcome));
            var spooled = Directory.GetFiles(Path.Combine(secondDir, "outbound"), "*.eml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToList();
            Assert.Equal(ids.Select(i => i.Value).Order().ToList(), spooled);
            Assert.Contains("Body of message 3.", await File.ReadAllTextAsync(Path.Combine(secondDir, "outbound", ids[3].Value + ".eml")));
        }
        finally
        {
            await second.Terminate();
        }
    }

    private string NewDataDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "agw-pg-node-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        return dir;
    }

    private static Config Config(string dir, TestDatabase db) =>
        GatewayConfig.ForPostgres(dir, db.ConnectionString, ConfigurationFactory.ParseString("""
            actor-gateway.supervision {
              transient-retry-min = 50ms
              transient-retry-max = 200ms
              dead-letter-confirm-interval = 500ms
              resume-backoff-min = 100ms
              resume-backoff-max = 500ms
            }
            akka.loglevel = INFO
            """));

    /// <summary>A message of samples/ (the source tree's, found from the test binaries upwards).</summary>
    private static byte[] Sample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", name);
            if (File.Exists(path)) return File.ReadAllBytes(path);
        }
        throw new FileNotFoundException($"samples/{name} not found above {AppContext.BaseDirectory}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var dir in _dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
