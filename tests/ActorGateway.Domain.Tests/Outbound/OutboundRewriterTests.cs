using System.Text;
using ActorGateway.Domain.Messages;
using ActorGateway.Domain.Outbound;
using MimeKit;

namespace ActorGateway.Domain.Tests.Outbound;

public class OutboundRewriterTests
{
    private const string OriginalTo = "\"John Smith\" <john@contoso.com>, \"     \" <jdoe@contoso.com>";
    private const string OriginalCc = "\"Ada Lovelace\" <ada@contoso.com>";
    private const string Body = "Line one\r\n\r\nLine three, after a blank line.\r\nTo: not a header\r\n";

    private const string Original =
        "From: \"Jane Doe\" <jane@fabrikam.com>\r\n" +
        "To: " + OriginalTo + "\r\n" +
        "Cc: " + OriginalCc + "\r\n" +
        "Bcc: \"Grace Hopper\" <grace@contoso.com>\r\n" +
        "Subject: Quarterly figures\r\n" +
        "Message-Id: <m1@fabrikam.com>\r\n" +
        "\r\n" +
        Body;

    private static readonly MessageId Id = MessageId.Parse("0196f0c2e4c97a3b8d2f4e6a8c0b1d2e");
    private static readonly MappedAddress Sender = new(AddressRole.Sender, "jane@fabrikam.com", "jane@fabrikam.com", "passthrough");

    private static readonly MappedAddress[] Recipients =
    [
        new(AddressRole.To, "john@contoso.com", "JSMITH@VMNODE1", "template"),
        new(AddressRole.To, "jdoe@contoso.com", "JDOE@VMNODE1", "directory"),
        new(AddressRole.Cc, "ada@contoso.com", "ALOVELAC@VMNODE1", "template"),
        new(AddressRole.Bcc, "grace@contoso.com", "GHOPPER@VMNODE2", "template"),
    ];

    private static string Rewrite(string original, IReadOnlyList<MappedAddress>? recipients = null) =>
        Encoding.UTF8.GetString(RewriteBytes(Encoding.UTF8.GetBytes(original), recipients ?? Recipients));

    private static byte[] RewriteBytes(byte[] original, IReadOnlyList<MappedAddress> recipients) =>
        OutboundRewriter.WithPickupEnvelope(OutboundRewriter.Rewrite(original, Id, recipients), Sender.Target, recipients.Select(r => r.Target));

    private static MimeMessage Load(string text) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    private static string[] Lines(string text) => text.Split("\r\n");

    [Fact]
    public void Should_write_the_mapped_envelope_as_x_sender_and_x_receiver_lines_at_the_top()
    {
        var lines = Lines(Rewrite(Original));

        Assert.Equal(
            ["X-Sender: jane@fabrikam.com", "X-Receiver: JSMITH@VMNODE1", "X-Receiver: JDOE@VMNODE1", "X-Receiver: ALOVELAC@VMNODE1", "X-Receiver: GHOPPER@VMNODE2"],
            lines[..5]);
        Assert.DoesNotContain(lines[5..], l => l.StartsWith("X-Sender:", StringComparison.Ordinal) || l.StartsWith("X-Receiver:", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_replace_to_and_cc_with_the_mapped_targets()
    {
        var message = Load(Rewrite(Original));

        Assert.Equal(["JSMITH@VMNODE1", "JDOE@VMNODE1"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["ALOVELAC@VMNODE1"], message.Cc.Mailboxes.Select(m => m.Address));
        Assert.All(message.To.Mailboxes.Concat(message.Cc.Mailboxes), m => Assert.Equal(string.Empty, m.Name));
    }

    [Fact]
    public void Should_remove_bcc()
    {
        var text = Rewrite(Original);

        Assert.Empty(Load(text).Bcc);
        Assert.DoesNotContain("Bcc:", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("grace@contoso.com", text);
    }

    [Fact]
    public void Should_keep_the_original_to_and_cc_header_values()
    {
        var message = Load(Rewrite(Original));

        Assert.Equal(OriginalTo, message.Headers[OutboundRewriter.OriginalToHeader]);
        Assert.Equal(OriginalCc, message.Headers[OutboundRewriter.OriginalCcHeader]);
        Assert.Equal("X-Gateway-Original-To", OutboundRewriter.OriginalToHeader);
        Assert.Equal("X-Gateway-Original-Cc", OutboundRewriter.OriginalCcHeader);
    }

    [Fact]
    public void Should_add_the_gateway_message_id()
    {
        var message = Load(Rewrite(Original));

        Assert.Equal(Id.Value, message.Headers["X-Gateway-Message-Id"]);
    }

    [Fact]
    public void Should_leave_the_body_byte_for_byte_unchanged()
    {
        var text = Rewrite(Original);

        Assert.EndsWith("\r\n\r\n" + Body, text);
        Assert.Equal(Body, text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Fact]
    public void Should_end_every_line_with_crlf_whatever_the_host_platform()
    {
        var bytes = RewriteBytes(Encoding.UTF8.GetBytes(Original), Recipients);

        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n') Assert.True(i > 0 && bytes[i - 1] == (byte)'\r', $"bare LF at byte {i}");
        }
        Assert.Contains("\r\nX-Gateway-Message-Id: " + Id.Value + "\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Should_keep_from_subject_and_message_id()
    {
        var message = Load(Rewrite(Original));

        Assert.Equal("jane@fabrikam.com", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal("Quarterly figures", message.Subject);
        Assert.Equal("m1@fabrikam.com", message.MessageId);
    }

    [Fact]
    public void Should_replace_gateway_headers_already_present_instead_of_adding_more()
    {
        var once = Rewrite(Original);
        var withoutEnvelope = string.Join("\r\n", Lines(once).SkipWhile(l => l.StartsWith("X-Sender:", StringComparison.Ordinal) || l.StartsWith("X-Receiver:", StringComparison.Ordinal)));

        var twice = Load(Rewrite(withoutEnvelope));

        Assert.Single(twice.Headers, h => h.Field == OutboundRewriter.MessageIdHeader);
        Assert.Single(twice.Headers, h => h.Field == OutboundRewriter.OriginalToHeader);
        // The second pass records what the first pass wrote.
        Assert.Equal("JSMITH@VMNODE1, JDOE@VMNODE1", twice.Headers[OutboundRewriter.OriginalToHeader]);
    }

    [Fact]
    public void Should_add_no_original_cc_header_when_there_was_no_cc()
    {
        const string original = "From: jane@fabrikam.com\r\nTo: john@contoso.com\r\nSubject: x\r\n\r\nbody\r\n";

        var text = Rewrite(original, [new MappedAddress(AddressRole.To, "john@contoso.com", "JSMITH@VMNODE1", "template")]);

        Assert.DoesNotContain(OutboundRewriter.OriginalCcHeader, text);
        Assert.Equal("john@contoso.com", Load(text).Headers[OutboundRewriter.OriginalToHeader]);
        Assert.Empty(Load(text).Cc);
    }

    [Fact]
    public void Should_list_bcc_only_recipients_as_receivers_but_in_no_header()
    {
        const string original = "From: jane@fabrikam.com\r\nSubject: x\r\n\r\nbody\r\n";

        var text = Rewrite(original, [new MappedAddress(AddressRole.Bcc, "grace@contoso.com", "GHOPPER@VMNODE2", "template")]);

        Assert.StartsWith("X-Sender: jane@fabrikam.com\r\nX-Receiver: GHOPPER@VMNODE2\r\n", text);
        var message = Load(text);
        Assert.Empty(message.To);
        Assert.Empty(message.Cc);
        Assert.Null(message.Headers[OutboundRewriter.OriginalToHeader]);
    }

    [Fact]
    public void Should_keep_a_non_ascii_original_to_readable()
    {
        const string original = "From: jane@fabrikam.com\r\nTo: \"Zoë Müller\" <zoe@contoso.com>\r\n\r\nbody\r\n";

        var text = Rewrite(original, [new MappedAddress(AddressRole.To, "zoe@contoso.com", "ZMULLER@VMNODE1", "template")]);

        Assert.Equal("\"Zoë Müller\" <zoe@contoso.com>", Load(text).Headers[OutboundRewriter.OriginalToHeader]);
    }

    [Fact]
    public void Should_leave_a_multipart_body_unchanged()
    {
        const string body =
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHallo Zoë\r\n" +
            "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n" +
            "--b1--\r\n";
        const string original =
            "From: jane@fabrikam.com\r\nTo: john@contoso.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" + body;

        var text = Rewrite(original, [new MappedAddress(AddressRole.To, "john@contoso.com", "JSMITH@VMNODE1", "template")]);

        Assert.EndsWith("\r\n\r\n" + body, text);
    }
}
