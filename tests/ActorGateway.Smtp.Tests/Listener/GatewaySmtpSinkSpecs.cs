using ActorGateway.Actors;
using ActorGateway.Domain.Messages;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>
/// The listener in front of a real gateway node (SQLite journal in a temporary data directory,
/// the default route contoso.com): 250 comes back only once the message is in the journal.
/// </summary>
public sealed class GatewaySmtpSinkSpecs : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "agw-smtp-test-" + Guid.NewGuid().ToString("N")[..12]);
    private ActorSystem? _system;
    private GatewayNode? _node;
    private OutcomeWatcher? _outcomes;
    private SmtpServer? _server;

    public async Task InitializeAsync()
    {
        _system = GatewayNode.CreateSqliteSystem("smtp-sink-test", _dataDir);
        _outcomes = OutcomeWatcher.Start(_system);
        _node = GatewayNode.Start(_system);
        var options = TestSmtpServer.DefaultOptions with { MaxMessageBytes = _node.Settings.MaxMessageBytes };
        _server = await SmtpServer.StartAsync(options, new GatewaySmtpSink(_node), NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task Should_reply_250_with_the_gateway_message_id_once_it_is_journaled()
    {
        using var client = new MailKit.Net.Smtp.SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(_server!.EndPoint.Address.ToString(), _server.EndPoint.Port, MailKit.Security.SecureSocketOptions.None);
        var message = TestSmtpServer.Message("Hello PROFS", "body", "Jane Doe <jane.doe@contoso.com>");

        var response = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);

        Assert.Matches("^2.0.0 Ok: queued as [0-9a-f]{32}$", response);
        var id = MessageId.Parse(response[^32..]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var outcome = await _outcomes!.WaitAsync(id, timeout.Token);
        Assert.Equal("delivered", outcome.Outcome);
        Assert.True(File.Exists(Path.Combine(_node!.Settings.SpoolDir, id + ".eml")));
    }

    [Fact]
    public async Task Should_refuse_unrouted_domains_and_unparseable_messages()
    {
        await using var client = await RawSmtpClient.ConnectGreetedAsync(_server!.EndPoint);
        await client.EhloAsync();
        await client.CommandAsync("MAIL FROM:<a@client.test>");

        var unrouted = await client.CommandAsync("RCPT TO:<someone@fabrikam.test>");
        var routed = await client.CommandAsync("RCPT TO:<jane.doe@CONTOSO.com>");
        await client.CommandAsync("DATA");
        var noSender = await client.CommandAsync("Subject: who sent this?\r\n\r\nbody\r\n.");

        Assert.True(unrouted.Is(550, "5.7.1"), unrouted.ToString());
        Assert.True(routed.Is(250, "2.1.5"), routed.ToString());
        Assert.True(noSender.Is(550, "5.6.0"), noSender.ToString());
        Assert.StartsWith("5.6.0 GW-MIME-NO-SENDER: ", noSender.Text);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _outcomes?.Dispose();
        if (_system is not null) await _system.Terminate();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
