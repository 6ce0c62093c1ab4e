using System.Text;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain.Messages;
using ActorGateway.Smtp.Relay;
using ActorGateway.Testing;
using Xunit.Abstractions;

namespace ActorGateway.Smtp.Tests.Relay;

/// <summary>The relay's sent markers in a PostgreSQL table, shared by every node (a real server: tests/Shared/PostgresServer.cs).</summary>
public sealed class PostgresRelaySentStoreSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Table = "gateway_relay_sent";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "agw-relay-pg-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<IDisposable> _disposables = [];

    private TestDatabase Database()
    {
        var db = PostgresServer.CreateDatabase();
        _disposables.Add(db);
        return db;
    }

    private PostgresRelaySentStore Open(TestDatabase db)
    {
        var store = new PostgresRelaySentStore(db.ConnectionString, Table);
        _disposables.Insert(0, store);
        return store;
    }

    [SkippableFact]
    public async Task Should_create_its_table_and_know_nothing_of_a_message_never_relayed()
    {
        var db = Database();
        var store = Open(db);

        Assert.Equal(Table, db.Scalar($"SELECT to_regclass('{Table}')::text"));
        Assert.Null(await store.ReadAsync(MessageId.New(), default));
    }

    [SkippableFact]
    public async Task Should_keep_one_record_per_message_the_latest_and_serve_it_to_another_node()
    {
        var db = Database();
        var store = Open(db);
        var id = MessageId.New();
        var at = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
        await store.WriteAsync(new RelaySentRecord(id.Value, "smtp://relay:25 (250 queued)", at,
            [new RecipientResult("ALICE@VMNODE1", RecipientDisposition.Delivered, "250 ok"), new RecipientResult("carol@VMNODE1", RecipientDisposition.Deferred, "450 later")]), default);
        await store.WriteAsync(new RelaySentRecord(id.Value, "smtp://relay:25 (250 queued again)", at.AddMinutes(5),
            [new RecipientResult("ALICE@VMNODE1", RecipientDisposition.Delivered, "250 ok"), new RecipientResult("carol@VMNODE1", RecipientDisposition.Refused, "550 no")]), default);

        var other = Open(db);
        var record = await other.ReadAsync(id, default);

        Assert.NotNull(record);
        Assert.Equal("smtp://relay:25 (250 queued again)", record.Location);
        Assert.Equal(at.AddMinutes(5), record.RecordedAt);
        Assert.Equal([("ALICE@VMNODE1", RecipientDisposition.Delivered), ("carol@VMNODE1", RecipientDisposition.Refused)],
            record.Recipients.Select(r => (r.Recipient, r.Disposition)));
        Assert.Equal(1L, db.Scalar($"SELECT count(*) FROM {Table}"));
        Assert.Equal("refused", db.Scalar($"SELECT record->'recipients'->1->>'disposition' FROM {Table}"));
    }

    [SkippableTheory]
    [InlineData("[1, 2]")]
    [InlineData("null")]
    [InlineData("{\"messageId\": {\"not\": \"a string\"}}")]
    public async Task Should_refuse_an_unreadable_record_with_InvalidOperationException(string json)
    {
        var db = Database();
        var store = Open(db);
        var id = MessageId.New();
        db.Scalar($"INSERT INTO {Table} (message_id, recorded_at, record) VALUES ('{id.Value}', now(), '{json}'::jsonb)");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync(id, default));
        Assert.Contains(id.Value, ex.Message);
    }

    [SkippableFact]
    public async Task Should_not_resend_to_settled_recipients_when_the_message_fails_over_to_another_node()
    {
        var db = Database();
        var server = await RelayScriptedSmtpServer.StartAsync(_work, "up", 0, null);
        _cleanup.Add(server);
        var id = MessageId.New();
        var envelope = new OutboundEnvelope("sender@example.com", ["ALICE@VMNODE1", "defer-carol@VMNODE1"]);
        var content = Encoding.UTF8.GetBytes("From: sender@example.com\r\nTo: ALICE@VMNODE1\r\nSubject: failover\r\nMessage-ID: <failover@example.com>\r\n\r\nbody\r\n");

        var first = Relay(server.Port, Open(db));
        await first.DeliverAsync(id, content, envelope, default);
        var rcptsBefore = server.ReadStats().Rcpts;

        // Another node, with its own store instance on the same database, picks the message up.
        var second = Relay(server.Port, Open(db));
        var again = await second.DeliverAsync(id, content, envelope, default);

        Assert.False(again.AlreadyPresent);
        Assert.Equal(rcptsBefore + 1, server.ReadStats().Rcpts);
        Assert.Single(server.ReadMessages());
        Assert.Equal([RecipientDisposition.Delivered, RecipientDisposition.Deferred], again.Recipients.Select(r => r.Disposition));
    }

    private SmtpRelayTransport Relay(int port, IRelaySentStore markers)
    {
        var options = new SmtpRelayOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Tls = SmtpRelayTls.None,
            Timeout = TimeSpan.FromSeconds(10),
            HeloName = "gateway.test",
        };
        var relay = new SmtpRelayTransport(options, markers, new RelayTestLogger<SmtpRelayTransport>(output));
        _cleanup.Add(relay);
        return relay;
    }

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--) await _cleanup[i].DisposeAsync();
        foreach (var item in _disposables) item.Dispose();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
