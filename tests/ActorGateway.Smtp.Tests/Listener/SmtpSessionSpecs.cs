using System.Text;
using ActorGateway.Domain;
using ActorGateway.Smtp.Listener;
using ActorGateway.Smtp.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>The protocol state machine on its own: command lines in, replies out, no sockets.</summary>
public sealed class SmtpSessionSpecs
{
    private readonly FakeMessageSink _sink = new();

    private SmtpSession NewSession(SmtpListenerOptions? options = null, bool tls = false) =>
        new(options ?? TestSmtpServer.DefaultOptions, _sink, NullLogger.Instance, "0123456789ab", "192.0.2.7", tls);

    private static string Run(SmtpSession session, string line) => Reply(session.Execute(Encoding.UTF8.GetBytes(line)));

    private static string Reply(SmtpStep step) => $"{step.Reply.Code} {step.Reply.EnhancedCode}".TrimEnd();

    private static SmtpSession Greeted(SmtpSession session)
    {
        Assert.Equal("250", Run(session, "EHLO client.test"));
        return session;
    }

    [Theory]
    [InlineData("MAIL FROM:<a@client.test>", "250 2.1.0")]
    [InlineData("mail from:<a@client.test>", "250 2.1.0")]
    [InlineData("MAIL FROM: <a@client.test>", "250 2.1.0")]
    [InlineData("MAIL FROM:<>", "250 2.1.0")]
    [InlineData("MAIL FROM:<@relay.test:a@client.test>", "250 2.1.0")]
    [InlineData("MAIL FROM:<\"odd name\"@client.test>", "250 2.1.0")]
    [InlineData("MAIL FROM:<a@client.test> BODY=8BITMIME", "250 2.1.0")]
    [InlineData("MAIL FROM:<a@client.test> body=7bit SIZE=100", "250 2.1.0")]
    [InlineData("MAIL FROM:a@client.test", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test", "501 5.5.4")]
    [InlineData("MAIL TO:<a@client.test>", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test>SIZE=1", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> SIZE=big", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> SIZE=99999999999999999999", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> BODY=BINARYMIME", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> SMTPUTF8=yes", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> AUTH=<>", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@client.test> SIZE=65537", "552 5.3.4")]
    [InlineData("MAIL FROM:<a>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@@client.test>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a..b@client.test>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@-client.test>", "501 5.1.7")]
    public void Should_parse_MAIL_FROM_and_its_parameters(string command, string expected)
    {
        var session = Greeted(NewSession());

        Assert.Equal(expected, Run(session, command));
    }

    [Fact]
    public void Should_strip_a_source_route_from_the_sender()
    {
        var session = Greeted(NewSession());

        Run(session, "MAIL FROM:<@a.test,@b.test:a@client.test>");

        Assert.Equal("a@client.test", session.MailFrom);
    }

    [Fact]
    public void Should_refuse_a_second_MAIL_in_one_transaction()
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");

        Assert.Equal("503 5.5.1", Run(session, "MAIL FROM:<a@client.test>"));
    }

    [Fact]
    public void Should_keep_each_recipient_once_and_cap_them_with_452_4_5_3()
    {
        var session = Greeted(NewSession(TestSmtpServer.DefaultOptions with { MaxRecipients = 2 }));
        Run(session, "MAIL FROM:<a@client.test>");

        var replies = new[] { "RCPT TO:<x@example.com>", "RCPT TO:<X@Example.com>", "RCPT TO:<y@example.com>", "RCPT TO:<z@example.com>", "RCPT TO:<x@example.com>" }
            .Select(c => Run(session, c)).ToArray();

        Assert.Equal(["250 2.1.5", "250 2.1.5", "250 2.1.5", "452 4.5.3", "250 2.1.5"], replies);
        Assert.Equal(["x@example.com", "y@example.com"], session.Recipients);
        Assert.Equal(0, session.Errors);
    }

    [Theory]
    [InlineData("RCPT TO:<x@example.com> NOTIFY=NEVER", "555 5.5.4")]
    [InlineData("RCPT TO:x@example.com", "501 5.5.4")]
    [InlineData("RCPT TO:<x y@example.com>", "501 5.1.3")]
    [InlineData("RCPT TO:<>", "501 5.1.3")]
    [InlineData("RCPT TO:<\"quoted local\"@example.com>", "250 2.1.5")]
    public void Should_parse_RCPT_TO(string command, string expected)
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");

        Assert.Equal(expected, Run(session, command));
    }

    [Fact]
    public void Should_reply_451_4_3_0_when_the_route_check_fails()
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");
        _sink.RouteFailure = new InvalidOperationException("route table unavailable");

        Assert.Equal("451 4.3.0", Run(session, "RCPT TO:<b@example.com>"));
        Assert.Empty(session.Recipients);
    }

    [Fact]
    public void Should_refuse_a_path_over_256_octets()
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");
        var local = new string('a', 60);
        var domain = string.Join('.', Enumerable.Repeat(new string('d', 60), 4)) + ".example.com";
        _sink.Domains.Add(domain);

        Assert.Equal("501 5.1.3", Run(session, $"RCPT TO:<{local}@{domain}>"));
    }

    [Fact]
    public void Should_allow_UTF8_only_in_the_addresses_of_an_SMTPUTF8_transaction()
    {
        var session = Greeted(NewSession());

        Assert.Equal("500 5.5.2", Run(session, "MAIL FROM:<zoë@client.test>"));
        Assert.Equal("250 2.1.0", Run(session, "MAIL FROM:<zoë@client.test> SMTPUTF8"));
        Assert.Equal("250 2.1.5", Run(session, "RCPT TO:<jürgen@example.com>"));
        Assert.Equal("500 5.5.2", Run(session, "NOOP ü"));
        Assert.Equal("250 2.0.0", Run(session, "RSET"));
        Assert.Equal("250 2.1.0", Run(session, "MAIL FROM:<a@client.test>"));
        Assert.Equal("500 5.5.2", Run(session, "RCPT TO:<jürgen@example.com>"));
    }

    [Fact]
    public void Should_reset_the_transaction_on_EHLO_and_HELO()
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");
        Run(session, "RCPT TO:<b@example.com>");

        Assert.Equal("250", Run(session, "HELO again.test"));
        Assert.Equal("503 5.5.1", Run(session, "DATA"));
        Assert.Null(session.MailFrom);
        Assert.Equal("again.test", session.ClientName);
    }

    [Theory]
    [InlineData("EHLO")]
    [InlineData("HELO ")]
    [InlineData("RSET now")]
    [InlineData("VRFY")]
    [InlineData("DATA now")]
    public void Should_reply_501_5_5_4_to_bad_arguments(string command)
    {
        var session = NewSession();
        if (!command.StartsWith("EHLO", StringComparison.Ordinal) && !command.StartsWith("HELO", StringComparison.Ordinal)) Greeted(session);

        Assert.Equal("501 5.5.4", Run(session, command));
    }

    [Fact]
    public void Should_offer_STARTTLS_only_with_a_certificate_and_only_before_TLS()
    {
        var plain = NewSession();
        var withTls = NewSession(tls: true);

        var plainEhlo = plain.Execute("EHLO c.test"u8);
        var tlsEhlo = withTls.Execute("EHLO c.test"u8);
        var start = withTls.Execute("STARTTLS"u8);
        withTls.TlsEstablished();
        var afterEhlo = withTls.Execute("EHLO c.test"u8);

        Assert.DoesNotContain("STARTTLS", plainEhlo.Reply.Lines);
        Assert.Contains("STARTTLS", tlsEhlo.Reply.Lines);
        Assert.Equal(SmtpAction.StartTls, start.Action);
        Assert.Equal("220 2.0.0", Reply(start));
        Assert.DoesNotContain("STARTTLS", afterEhlo.Reply.Lines);
        Assert.Equal("503 5.5.1", Run(withTls, "STARTTLS"));
        Assert.Equal("502 5.5.1", Run(plain, "STARTTLS"));
    }

    [Fact]
    public void Should_close_with_421_4_7_0_when_errors_reach_the_limit()
    {
        var session = NewSession(TestSmtpServer.DefaultOptions with { MaxErrors = 3 });

        var first = session.Execute("FOO"u8);
        var second = session.LineTooLong();
        var third = session.BadLineEnding();

        Assert.Equal(SmtpAction.Continue, first.Action);
        Assert.Equal(SmtpAction.Continue, second.Action);
        Assert.Equal("421 4.7.0", Reply(third));
        Assert.Equal(SmtpAction.Close, third.Action);
    }

    [Fact]
    public void Should_end_the_session_on_QUIT()
    {
        var quit = NewSession().Execute("QUIT"u8);

        Assert.Equal("221 2.0.0", Reply(quit));
        Assert.Equal(SmtpAction.Close, quit.Action);
    }

    [Fact]
    public async Task Should_submit_the_message_with_the_envelope_and_reply_with_the_queue_id()
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<>");
        Run(session, "RCPT TO:<b@example.com>");
        var data = session.Execute("DATA"u8);
        var receiver = Receive("Subject: hi\r\n\r\nbody\r\n.\r\n");

        var reply = await session.FinishDataAsync(receiver, CancellationToken.None);

        Assert.Equal(SmtpAction.ReceiveData, data.Action);
        Assert.Equal("250 2.0.0 Ok: queued as q1\r\n", reply.ToString());
        var submission = Assert.Single(_sink.Submissions);
        Assert.Equal("smtp:0123456789ab:192.0.2.7", submission.Source);
        Assert.Equal("", submission.MailFrom);
        Assert.Equal("Subject: hi\r\n\r\nbody\r\n", Encoding.ASCII.GetString(submission.Message));
        Assert.Equal(1, session.MessagesAccepted);
        Assert.Equal("503 5.5.1", Run(session, "DATA"));
    }

    [Theory]
    [InlineData("x\n.\r\n\r\n.\r\n", "500 5.5.2")]
    [InlineData("", "552 5.3.4")]
    public async Task Should_refuse_a_bad_message_without_asking_the_sink(string text, string expected)
    {
        var session = Greeted(NewSession());
        Run(session, "MAIL FROM:<a@client.test>");
        Run(session, "RCPT TO:<b@example.com>");
        var receiver = text.Length > 0 ? Receive(text) : Receive(new string('x', 998) + "\r\n", 70, maxBytes: 65_536);

        var reply = await session.FinishDataAsync(receiver, CancellationToken.None);

        Assert.Equal(expected, $"{reply.Code} {reply.EnhancedCode}");
        Assert.Empty(_sink.Submissions);
    }

    private static SmtpDataReceiver Receive(string text, int times = 1, long maxBytes = 65_536)
    {
        var receiver = new SmtpDataReceiver(maxBytes, 1000);
        var bytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(text, times)) + (times > 1 ? ".\r\n" : ""));
        var sequence = new System.Buffers.ReadOnlySequence<byte>(bytes);
        Assert.True(receiver.TryComplete(ref sequence));
        return receiver;
    }
}
