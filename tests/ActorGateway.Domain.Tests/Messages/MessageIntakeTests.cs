using System.Text;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Tests.TestData;

namespace ActorGateway.Domain.Tests.Messages;

public class MessageIntakeTests
{
    private const string Ordinary =
        "From: \"Jane Doe\" <jane@fabrikam.com>\r\n" +
        "To: \"John Smith\" <john@contoso.com>, \"Smith, Anna\" <anna@contoso.com>\r\n" +
        "Cc: \"Ada Lovelace\" <ada@contoso.com>\r\n" +
        "Bcc: \"Grace Hopper\" <grace@contoso.com>\r\n" +
        "Subject: Quarterly figures\r\n" +
        "Message-Id: <m1@fabrikam.com>\r\n" +
        "\r\n" +
        "Body text.\r\n";

    private static IntakeResult Parse(string text, IReadOnlyList<string>? envelopeRecipients = null, long maxBytes = 1_000_000) =>
        MessageIntake.Parse(Encoding.UTF8.GetBytes(text), maxBytes, envelopeRecipients);

    private static MessageEnvelope Accepted(string text, IReadOnlyList<string>? envelopeRecipients = null) =>
        Assert.IsType<IntakeResult.Accepted>(Parse(text, envelopeRecipients)).Envelope;

    private static string Rejected(IntakeResult result) => Assert.IsType<IntakeResult.Rejected>(result).Code;

    private static string Message(string toHeaderValue) =>
        $"From: jane@fabrikam.com\r\nTo: {toHeaderValue}\r\nSubject: x\r\n\r\nbody\r\n";

    [Fact]
    public void Should_accept_an_ordinary_message_with_sender_and_every_recipient_in_header_order()
    {
        var envelope = Accepted(Ordinary);

        Assert.Equal(new SourceAddress(AddressRole.Sender, "jane@fabrikam.com", "Jane Doe"), envelope.Sender);
        Assert.Equal(
            [
                new SourceAddress(AddressRole.To, "john@contoso.com", "John Smith"),
                new SourceAddress(AddressRole.To, "anna@contoso.com", "Smith, Anna"),
                new SourceAddress(AddressRole.Cc, "ada@contoso.com", "Ada Lovelace"),
                new SourceAddress(AddressRole.Bcc, "grace@contoso.com", "Grace Hopper"),
            ],
            envelope.Recipients);
        Assert.Equal("Quarterly figures", envelope.Subject);
        Assert.Equal("m1@fabrikam.com", envelope.SourceMessageId); // MimeKit strips the angle brackets
    }

    [Fact]
    public void Should_keep_a_five_space_quoted_display_name_verbatim()
    {
        var envelope = Accepted(Message("\"     \" <jdoe@contoso.com>"));

        var recipient = Assert.Single(envelope.Recipients);
        Assert.Equal("     ", recipient.DisplayName);
        Assert.Equal("jdoe@contoso.com", recipient.Address);
    }

    [Fact]
    public void Should_hand_the_mapper_a_five_space_display_name_that_it_reports_as_blank()
    {
        var recipient = Assert.Single(Accepted(Message("\"     \" <jdoe@contoso.com>")).Recipients);

        var failed = Assert.IsType<AddressMapResult.Failed>(Profile().Map(recipient));

        Assert.Equal(ReasonCodes.MapBlankDisplayName, failed.ReasonCode);
        Assert.Contains("5 x U+0020", failed.Detail);
    }

    [Theory]
    [InlineData("\"\" <jdoe@contoso.com>")]
    [InlineData("     <jdoe@contoso.com>")]
    [InlineData("<jdoe@contoso.com>")]
    [InlineData("jdoe@contoso.com")]
    public void Should_give_no_display_name_when_the_header_has_none_or_only_unquoted_spaces(string to)
    {
        var recipient = Assert.Single(Accepted(Message(to)).Recipients);

        Assert.Null(recipient.DisplayName);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, Assert.IsType<AddressMapResult.Failed>(Profile().Map(recipient)).ReasonCode);
    }

    [Theory]
    [InlineData("\"\t\" <jdoe@contoso.com>", "\t")] // as written: MimeKit's space for the tab is undone (reported as U+0009)
    [InlineData("\"\t\t \" <jdoe@contoso.com>", "\t\t ")]
    [InlineData("\"\u00A0\" <jdoe@contoso.com>", "\u00A0")]
    [InlineData("=?utf-8?Q?=20=20=20?= <jdoe@contoso.com>", "   ")]
    [InlineData("=?utf-8?B?wqA=?= <jdoe@contoso.com>", "\u00A0")]
    [InlineData("=?utf-8?B?4oCL?= <jdoe@contoso.com>", "\u200B")]
    [InlineData("=?utf-8?B?44CA?= <jdoe@contoso.com>", "\u3000")]
    public void Should_keep_invisible_and_encoded_blank_display_names_for_the_mapper_to_reject(string to, string expectedName)
    {
        var recipient = Assert.Single(Accepted(Message(to)).Recipients);

        Assert.Equal(expectedName, recipient.DisplayName);
        Assert.Equal(ReasonCodes.MapBlankDisplayName, Assert.IsType<AddressMapResult.Failed>(Profile().Map(recipient)).ReasonCode);
    }

    [Theory]
    [InlineData("\"Zoë Müller\" <zoe@contoso.com>", "Zoë Müller")]
    [InlineData("=?iso-8859-1?Q?Zo=EB_M=FCller?= <zoe@contoso.com>", "Zoë Müller")]
    [InlineData("\"O'Brien, Patrick\" <zoe@contoso.com>", "O'Brien, Patrick")]
    [InlineData("Smith, John <zoe@contoso.com>", "Smith, John")]
    [InlineData("\"  John  Smith  \" <zoe@contoso.com>", "  John  Smith  ")]
    public void Should_preserve_display_names_verbatim(string to, string expectedName)
    {
        Assert.Equal(expectedName, Assert.Single(Accepted(Message(to)).Recipients).DisplayName);
    }

    [Fact]
    public void Should_read_an_unquoted_comma_in_a_display_name_as_part_of_one_mailbox()
    {
        // Loose parsing: "Smith, John <js@...>" is one mailbox, not a bare "Smith" plus a mailbox.
        var recipient = Assert.Single(Accepted(Message("Smith, John <js@contoso.com>")).Recipients);

        Assert.Equal(new SourceAddress(AddressRole.To, "js@contoso.com", "Smith, John"), recipient);
    }

    [Fact]
    public void Should_remove_duplicate_recipients_keeping_the_first_role_and_name()
    {
        const string text =
            "From: jane@fabrikam.com\r\n" +
            "To: \"John Smith\" <john@contoso.com>, \"Johnny\" <JOHN@contoso.com>\r\n" +
            "Cc: john@CONTOSO.com, \"Ada\" <ada@contoso.com>\r\n" +
            "Bcc: \"Ada again\" <ada@contoso.com>\r\n" +
            "\r\nbody\r\n";

        var envelope = Accepted(text);

        Assert.Equal(
            [
                new SourceAddress(AddressRole.To, "john@contoso.com", "John Smith"),
                new SourceAddress(AddressRole.Cc, "ada@contoso.com", "Ada"),
            ],
            envelope.Recipients);
    }

    [Fact]
    public void Should_accept_an_address_without_a_domain_for_the_mapper_to_reject()
    {
        var recipient = Assert.Single(Accepted(Message("John Smith <jsmith>")).Recipients);

        Assert.Equal("jsmith", recipient.Address);
        var routes = new RouteTable([new Route("all", ["*"], Profile())]);
        Assert.Equal(ReasonCodes.MapInvalidAddress, Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(recipient, routes)).ReasonCode);
    }

    [Fact]
    public void Should_keep_a_missing_subject_and_message_id_as_null()
    {
        var envelope = Accepted("From: jane@fabrikam.com\r\nTo: john@contoso.com\r\n\r\nbody\r\n");

        Assert.Null(envelope.Subject);
        Assert.Null(envelope.SourceMessageId);
        Assert.Null(envelope.Sender.DisplayName);
    }

    [Fact]
    public void Should_reject_an_empty_message()
    {
        Assert.Equal(ReasonCodes.MimeEmpty, Rejected(MessageIntake.Parse(ReadOnlyMemory<byte>.Empty, 1_000)));
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\r\n\r\n")]
    [InlineData(" \t\r\n  \n")]
    public void Should_reject_a_message_of_only_white_space_as_empty(string text)
    {
        Assert.Equal("GW-MIME-EMPTY", Rejected(Parse(text)));
    }

    [Fact]
    public void Should_reject_a_message_over_the_size_limit()
    {
        var size = Encoding.UTF8.GetByteCount(Ordinary);

        var result = Assert.IsType<IntakeResult.Rejected>(Parse(Ordinary, maxBytes: size - 1));

        Assert.Equal(ReasonCodes.MimeTooLarge, result.Code);
        Assert.Equal($"message is {size} bytes; the limit is {size - 1}", result.Reason);
    }

    [Fact]
    public void Should_accept_a_message_exactly_at_the_size_limit()
    {
        Assert.IsType<IntakeResult.Accepted>(Parse(Ordinary, maxBytes: Encoding.UTF8.GetByteCount(Ordinary)));
    }

    [Fact]
    public void Should_check_the_size_before_anything_else()
    {
        Assert.Equal(ReasonCodes.MimeTooLarge, Rejected(MessageIntake.Parse(new byte[10], 9)));
    }

    [Fact]
    public void Should_reject_random_binary_as_malformed()
    {
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);

        var result = Assert.IsType<IntakeResult.Rejected>(MessageIntake.Parse(bytes, 1_000_000));

        Assert.Equal(ReasonCodes.MimeMalformed, result.Code);
        Assert.Equal("Failed to parse message headers.", result.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x01, 0x02 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })] // PNG signature
    public void Should_reject_small_binary_blobs_as_malformed(byte[] bytes)
    {
        Assert.Equal(ReasonCodes.MimeMalformed, Rejected(MessageIntake.Parse(bytes, 1_000_000)));
    }

    [Theory]
    [InlineData("this is not a mail message\r\njust text\r\n")]
    [InlineData(": no header name\r\n\r\nbody\r\n")]
    public void Should_reject_text_without_a_header_block_as_malformed(string text)
    {
        Assert.Equal(ReasonCodes.MimeMalformed, Rejected(Parse(text)));
    }

    [Fact]
    public void Should_reject_a_body_with_no_headers_before_it_as_malformed()
    {
        var result = Assert.IsType<IntakeResult.Rejected>(Parse("\r\nbody only\r\n"));

        Assert.Equal(ReasonCodes.MimeMalformed, result.Code);
        Assert.Equal("no RFC 5322 header block found", result.Reason);
    }

    [Fact]
    public void Should_reject_a_message_without_from_or_sender()
    {
        Assert.Equal(ReasonCodes.MimeNoSender, Rejected(Parse("To: john@contoso.com\r\nSubject: x\r\n\r\nbody\r\n")));
    }

    [Fact]
    public void Should_reject_a_message_whose_from_holds_an_empty_group()
    {
        Assert.Equal(ReasonCodes.MimeNoSender, Rejected(Parse("From: undisclosed:;\r\nTo: john@contoso.com\r\n\r\nbody\r\n")));
    }

    [Fact]
    public void Should_fall_back_to_the_sender_header_when_there_is_no_from()
    {
        var envelope = Accepted("Sender: \"Ops\" <ops@fabrikam.com>\r\nTo: john@contoso.com\r\n\r\nbody\r\n");

        Assert.Equal(new SourceAddress(AddressRole.Sender, "ops@fabrikam.com", "Ops"), envelope.Sender);
    }

    [Fact]
    public void Should_reject_a_message_without_recipients()
    {
        Assert.Equal(ReasonCodes.MimeNoRecipients, Rejected(Parse("From: jane@fabrikam.com\r\nSubject: x\r\n\r\nbody\r\n")));
    }

    [Fact]
    public void Should_reject_a_message_whose_recipient_headers_are_empty_groups()
    {
        Assert.Equal(ReasonCodes.MimeNoRecipients, Rejected(Parse("From: jane@fabrikam.com\r\nTo: undisclosed-recipients:;\r\n\r\nbody\r\n")));
    }

    [Fact]
    public void Should_take_recipients_from_inside_a_group()
    {
        var recipient = Assert.Single(Accepted(Message("team: \"John Smith\" <john@contoso.com>;")).Recipients);

        Assert.Equal(new SourceAddress(AddressRole.To, "john@contoso.com", "John Smith"), recipient);
    }

    [Fact]
    public void Should_restrict_recipients_to_the_envelope_and_add_envelope_only_ones_as_bcc()
    {
        var envelope = Accepted(Ordinary, [" ADA@contoso.com ", "eve@contoso.com", "john@contoso.com"]);

        Assert.Equal(
            [
                new SourceAddress(AddressRole.To, "john@contoso.com", "John Smith"),
                new SourceAddress(AddressRole.Cc, "ada@contoso.com", "Ada Lovelace"),
                new SourceAddress(AddressRole.Bcc, "eve@contoso.com", null),
            ],
            envelope.Recipients);
    }

    [Fact]
    public void Should_lend_a_bcc_header_display_name_to_an_envelope_recipient()
    {
        var envelope = Accepted(Ordinary, ["grace@contoso.com"]);

        Assert.Equal([new SourceAddress(AddressRole.Bcc, "grace@contoso.com", "Grace Hopper")], envelope.Recipients);
    }

    [Fact]
    public void Should_ignore_blank_and_repeated_envelope_recipients()
    {
        var envelope = Accepted(Ordinary, ["", "  ", "eve@contoso.com", "EVE@contoso.com"]);

        Assert.Equal([new SourceAddress(AddressRole.Bcc, "eve@contoso.com", null)], envelope.Recipients);
    }

    public static TheoryData<string[]> EnvelopesWithoutRecipients => new() { Array.Empty<string>(), new[] { "", " " } };

    [Theory]
    [MemberData(nameof(EnvelopesWithoutRecipients))]
    public void Should_reject_an_envelope_with_no_usable_recipient_even_when_headers_have_some(string[] envelopeRecipients)
    {
        Assert.Equal(ReasonCodes.MimeNoRecipients, Rejected(Parse(Ordinary, envelopeRecipients)));
    }

    [Fact]
    public void Should_accept_envelope_recipients_for_a_message_with_no_recipient_headers()
    {
        var envelope = Accepted("From: jane@fabrikam.com\r\nSubject: x\r\n\r\nbody\r\n", ["john@contoso.com"]);

        Assert.Equal([new SourceAddress(AddressRole.Bcc, "john@contoso.com", null)], envelope.Recipients);
    }
}
