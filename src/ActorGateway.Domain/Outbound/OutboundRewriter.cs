using ActorGateway.Domain.Messages;
using MimeKit;

namespace ActorGateway.Domain.Outbound;

/// <summary>
/// Produces the message the target receives: To/Cc carry the mapped addresses, the originals
/// are kept in <c>X-Gateway-Original-To</c>/<c>-Cc</c>, and Bcc is removed. For a pickup-style
/// spool, <see cref="WithPickupEnvelope"/> adds the mapped envelope as <c>X-Sender</c>/<c>X-Receiver</c>
/// lines so a downstream MTA knows every recipient. Pure: bytes in, bytes out.
/// </summary>
public static class OutboundRewriter
{
    public const string OriginalToHeader = "X-Gateway-Original-To";
    public const string OriginalCcHeader = "X-Gateway-Original-Cc";
    public const string MessageIdHeader = "X-Gateway-Message-Id";

    // RFC 5322 and the pickup-directory convention need CRLF. FormatOptions.Default uses the host's
    // newline (LF on Linux), which rewrote every line ending of the message, body included.
    private static readonly FormatOptions Format = CreateFormat();

    /// <param name="recipients">The mapped recipients this delivery is for; To/Cc are rebuilt from them.</param>
    public static byte[] Rewrite(ReadOnlyMemory<byte> original, MessageId id, IReadOnlyList<MappedAddress> recipients)
    {
        MimeMessage message;
        using (var input = new MemoryStream(original.ToArray(), writable: false))
        {
            message = MimeMessage.Load(input);
        }

        var originalTo = message.Headers[HeaderId.To];
        var originalCc = message.Headers[HeaderId.Cc];
        message.Headers.RemoveAll(OriginalToHeader);
        message.Headers.RemoveAll(OriginalCcHeader);
        if (!string.IsNullOrEmpty(originalTo)) message.Headers.Add(OriginalToHeader, originalTo.Trim());
        if (!string.IsNullOrEmpty(originalCc)) message.Headers.Add(OriginalCcHeader, originalCc.Trim());
        message.Headers.RemoveAll(MessageIdHeader);
        message.Headers.Add(MessageIdHeader, id.Value);

        message.To.Clear();
        message.Cc.Clear();
        message.Bcc.Clear();
        foreach (var r in recipients)
        {
            var list = r.Role switch
            {
                AddressRole.To => message.To,
                AddressRole.Cc => message.Cc,
                _ => null,
            };
            list?.Add(MailboxAddress.Parse(ParserOptions.Default, r.Target));
        }

        using var output = new MemoryStream(original.Length + 512);
        message.WriteTo(Format, output);
        return output.ToArray();
    }

    /// <summary>Prefixes <c>X-Sender</c>/<c>X-Receiver</c> lines: the pickup-directory envelope convention.</summary>
    public static byte[] WithPickupEnvelope(ReadOnlySpan<byte> message, string sender, IEnumerable<string> recipients)
    {
        using var output = new MemoryStream(message.Length + 256);
        WriteLine(output, $"X-Sender: {sender}");
        foreach (var r in recipients) WriteLine(output, $"X-Receiver: {r}");
        output.Write(message);
        return output.ToArray();
    }

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    private static void WriteLine(Stream stream, string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\r\n");
        stream.Write(bytes);
    }
}
