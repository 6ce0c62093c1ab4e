using System.Buffers;
using System.Text;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// One SMTP reply: a code, an RFC 3463 enhanced status code, and one or more text lines.
/// Following RFC 2034, the enhanced code is carried by every 2xx/4xx/5xx reply to a command; only the
/// 220 greeting, the EHLO/HELO replies and the 354 intermediate reply go without one.
/// Text is made safe when the reply is built: anything outside printable ASCII becomes '?', so
/// no caller-supplied text (a sink's reason, a client's domain) can break the reply framing.
/// </summary>
public sealed record SmtpReply
{
    private const int MaxTextLength = 400;

    public SmtpReply(int code, string? enhancedCode, params string[] lines)
    {
        if (code is < 200 or > 599) throw new ArgumentOutOfRangeException(nameof(code), code, "SMTP reply codes are 2xx-5xx");
        if (lines.Length == 0) lines = [""];
        Code = code;
        EnhancedCode = enhancedCode;
        Lines = lines.Select(Sanitize).ToArray();
    }

    public int Code { get; }

    /// <summary>For example <c>5.5.1</c>; null for the greeting, EHLO/HELO and 354.</summary>
    public string? EnhancedCode { get; }

    public IReadOnlyList<string> Lines { get; }

    public bool IsPositive => Code < 400;

    public bool IsPermanentFailure => Code >= 500;

    /// <summary>The reply as it goes on the wire, CRLF-terminated lines.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Lines.Count; i++)
        {
            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-');
            if (EnhancedCode is not null) sb.Append(EnhancedCode).Append(' ');
            sb.Append(Lines[i]);
            // Trailing space is legal but ugly when a line is empty.
            if (Lines[i].Length == 0 && EnhancedCode is null) sb.Length--;
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    public void WriteTo(IBufferWriter<byte> writer) => Encoding.ASCII.GetBytes(ToString(), writer);

    private static string Sanitize(string text)
    {
        var chars = text.Length > MaxTextLength ? text[..MaxTextLength].ToCharArray() : text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < ' ' or > '~') chars[i] = '?';
        }
        return new string(chars);
    }
}
