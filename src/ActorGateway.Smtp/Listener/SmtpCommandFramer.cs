using System.Buffers;

namespace ActorGateway.Smtp.Listener;

/// <summary>What <see cref="SmtpCommandFramer.TryRead"/> found at the front of the input.</summary>
internal enum CommandFrame
{
    /// <summary>No complete line yet; read more.</summary>
    NeedMore,

    /// <summary>A CRLF-terminated command line (without the CRLF).</summary>
    Line,

    /// <summary>A line longer than the limit. Reported once, as soon as it is known; the rest of that line is skipped.</summary>
    TooLong,

    /// <summary>A line ended by a bare LF, or containing a bare CR.</summary>
    BadLineEnding,
}

/// <summary>
/// Cuts command lines out of the input, strictly: a line ends with CRLF and is at most
/// <c>maxLineLength</c> octets including it. Never holds more than one line's worth of input:
/// an over-long line is reported as soon as the limit is passed and then skipped as it arrives.
/// </summary>
internal sealed class SmtpCommandFramer(int maxLineLength)
{
    private bool _skipping;

    /// <summary>Whether the remainder of an over-long line is still being skipped.</summary>
    public bool IsSkipping => _skipping;

    /// <summary>Consumes from <paramref name="buffer"/> (by moving its start) what it has dealt with.</summary>
    public CommandFrame TryRead(ref ReadOnlySequence<byte> buffer, out byte[] line)
    {
        line = [];
        while (true)
        {
            var lf = buffer.PositionOf((byte)'\n');
            if (_skipping)
            {
                if (lf is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    return CommandFrame.NeedMore;
                }
                buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
                _skipping = false;
                continue;
            }

            if (lf is null)
            {
                if (buffer.Length < maxLineLength) return CommandFrame.NeedMore;
                // The line cannot end within the limit any more: say so now, skip the rest as it comes.
                buffer = buffer.Slice(buffer.End);
                _skipping = true;
                return CommandFrame.TooLong;
            }

            var withLf = buffer.Slice(0, buffer.GetPosition(1, lf.Value));
            buffer = buffer.Slice(withLf.End);
            if (withLf.Length > maxLineLength) return CommandFrame.TooLong;

            var bytes = withLf.ToArray();
            if (bytes.Length < 2 || bytes[^2] != (byte)'\r') return CommandFrame.BadLineEnding;
            line = bytes[..^2];
            return Array.IndexOf(line, (byte)'\r') >= 0 ? CommandFrame.BadLineEnding : CommandFrame.Line;
        }
    }
}
