using System.Buffers;

namespace ActorGateway.Smtp.Listener;

/// <summary>Why a message received after DATA is refused before it reaches the sink.</summary>
internal enum DataError
{
    None,

    /// <summary>More than the maximum message size: 552 5.3.4.</summary>
    TooLarge,

    /// <summary>A text line longer than the limit: 500 5.5.2.</summary>
    LineTooLong,

    /// <summary>A bare LF or bare CR in the text: 500 5.5.2.</summary>
    BareLineEnding,

    /// <summary>A NUL octet in the text (RFC 5321 §4.1.1.4 does not allow it): 500 5.5.2.</summary>
    NulByte,
}

/// <summary>
/// Receives the message text after 354, line by line: removes dot-stuffing, recognises the end
/// (a line that is exactly ".", CRLF-terminated) and enforces the limits while reading. Once the
/// message is known to be refused it keeps nothing more and only looks for the end, so the
/// session stays in step with the client. Holds at most the message limit plus one line.
/// </summary>
internal sealed class SmtpDataReceiver(long maxMessageBytes, int maxLineLength)
{
    private const int InitialCapacity = 16 * 1024;

    private ArrayBufferWriter<byte>? _message = new(InitialCapacity);
    private bool _skippingLongLine;

    // The end is CRLF "." CRLF: a "." line counts only after a line that ended in CRLF (the DATA
    // command's did). After a bare LF it does not, or "\n.\r\n" would end the message here while
    // a relay that let it through sees none, and what follows would run as commands (SMTP smuggling).
    private bool _afterCrLf = true;
    private bool _lastSkippedWasCr;

    /// <summary>The first problem found; the message is refused when this is not None.</summary>
    public DataError Error { get; private set; }

    /// <summary>Octets of message text seen so far, after dot-unstuffing, including any not kept.</summary>
    public long Length { get; private set; }

    /// <summary>The received message (after <see cref="TryComplete"/> returned true and <see cref="Error"/> is None).</summary>
    public ReadOnlyMemory<byte> Message => _message?.WrittenMemory ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>Consumes whole lines from <paramref name="buffer"/>; true once the terminating "." line was consumed.</summary>
    public bool TryComplete(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            var lf = buffer.PositionOf((byte)'\n');
            if (_skippingLongLine)
            {
                if (lf is null)
                {
                    Skip(buffer);
                    buffer = buffer.Slice(buffer.End);
                    return false;
                }
                var skipped = buffer.Slice(0, lf.Value);
                Skip(skipped);
                _afterCrLf = _lastSkippedWasCr;
                Length += 1;
                buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
                _skippingLongLine = false;
                continue;
            }

            if (lf is null)
            {
                if (buffer.Length >= maxLineLength)
                {
                    Fail(DataError.LineTooLong);
                    Skip(buffer);
                    buffer = buffer.Slice(buffer.End);
                    _skippingLongLine = true;
                }
                return false;
            }

            var line = buffer.Slice(0, buffer.GetPosition(1, lf.Value));
            buffer = buffer.Slice(line.End);
            if (line.Length > maxLineLength)
            {
                Fail(DataError.LineTooLong);
                Skip(line.Slice(0, line.Length - 1));
                _afterCrLf = _lastSkippedWasCr;
                Length += 1;
                continue;
            }

            if (TakeLine(line)) return true;
        }
    }

    /// <summary>Handles one whole line (CRLF included when present); true for the terminating ".".</summary>
    private bool TakeLine(ReadOnlySequence<byte> line)
    {
        byte[]? rented = null;
        var bytes = line.Length <= 2048 ? stackalloc byte[2048] : (rented = ArrayPool<byte>.Shared.Rent((int)line.Length));
        bytes = bytes[..(int)line.Length];
        line.CopyTo(bytes);
        try
        {
            var properEnd = bytes.Length >= 2 && bytes[^2] == (byte)'\r';
            if (properEnd && bytes.Length == 3 && bytes[0] == (byte)'.' && _afterCrLf) return true;
            _afterCrLf = properEnd;
            if (!properEnd || bytes[..^2].Contains((byte)'\r'))
            {
                // Strict CRLF: a bare LF or CR is how SMTP smuggling hides a second message.
                Fail(DataError.BareLineEnding);
            }

            if (bytes.Contains((byte)0)) Fail(DataError.NulByte);

            var text = bytes[0] == (byte)'.' ? bytes[1..] : bytes;
            Length += text.Length;
            if (Length > maxMessageBytes) Fail(DataError.TooLarge);
            _message?.Write(text);
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Counts text that is not kept, remembering whether it ended in CR.</summary>
    private void Skip(ReadOnlySequence<byte> text)
    {
        if (text.IsEmpty) return;
        Length += text.Length;
        _lastSkippedWasCr = text.Slice(text.Length - 1).FirstSpan[0] == (byte)'\r';
    }

    private void Fail(DataError error)
    {
        if (Error == DataError.None) Error = error;
        _message = null;
    }
}
