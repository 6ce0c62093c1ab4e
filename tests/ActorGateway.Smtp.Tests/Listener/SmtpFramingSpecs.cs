using System.Buffers;
using System.Text;
using ActorGateway.Smtp.Listener;

namespace ActorGateway.Smtp.Tests.Listener;

/// <summary>Command lines and message text cut out of the input, without sockets, fed whole and byte by byte.</summary>
public sealed class SmtpFramingSpecs
{
    [Fact]
    public void Should_cut_command_lines_at_CRLF_across_segments()
    {
        var framer = new SmtpCommandFramer(512);

        var frames = FeedCommands(framer, "NOOP\r\nMAIL FROM:<a@b.test>\r\nQUI", chunk: 1);

        Assert.Equal(["Line:NOOP", "Line:MAIL FROM:<a@b.test>"], frames);
    }

    [Fact]
    public void Should_report_an_over_long_line_once_as_soon_as_it_passes_the_limit_and_skip_its_rest()
    {
        var framer = new SmtpCommandFramer(512);
        var input = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(new string('A', 600)));

        var first = framer.TryRead(ref input, out _);
        Assert.Equal(CommandFrame.TooLong, first);
        Assert.Equal(0, input.Length);
        Assert.True(framer.IsSkipping);

        var frames = FeedCommands(framer, new string('A', 5000) + "\r\nNOOP\r\n", chunk: 100);
        Assert.Equal(["Line:NOOP"], frames);
    }

    [Theory]
    [InlineData(510, "Line")]
    [InlineData(511, "TooLong")]
    public void Should_allow_512_octets_including_CRLF(int textLength, string expected)
    {
        var frames = FeedCommands(new SmtpCommandFramer(512), new string('A', textLength) + "\r\n", chunk: 7);

        Assert.StartsWith(expected, Assert.Single(frames));
    }

    [Theory]
    [InlineData("NOOP\n")]
    [InlineData("NO\rOP\r\n")]
    [InlineData("\n")]
    public void Should_report_bare_line_endings_in_commands(string input)
    {
        Assert.Equal(["BadLineEnding"], FeedCommands(new SmtpCommandFramer(512), input, chunk: 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public void Should_remove_dot_stuffing_and_end_only_at_a_lone_dot_line(int chunk)
    {
        var receiver = new SmtpDataReceiver(10_000, 1000);

        var (done, rest) = FeedData(receiver, "Subject: x\r\n\r\n..one\r\n.. \r\nnot.end\r\n .\r\n...\r\n.\r\nQUIT\r\n", chunk);

        Assert.True(done);
        Assert.Equal(DataError.None, receiver.Error);
        Assert.Equal("Subject: x\r\n\r\n.one\r\n. \r\nnot.end\r\n .\r\n..\r\n", Encoding.ASCII.GetString(receiver.Message.Span));
        Assert.Equal("QUIT\r\n", rest);
    }

    [Fact]
    public void Should_accept_an_empty_message()
    {
        var receiver = new SmtpDataReceiver(10_000, 1000);

        var (done, _) = FeedData(receiver, ".\r\n", 1);

        Assert.True(done);
        Assert.Equal(0, receiver.Message.Length);
    }

    [Fact]
    public void Should_stop_keeping_text_past_the_size_limit_but_still_find_the_end()
    {
        var receiver = new SmtpDataReceiver(100, 1000);

        var (done, rest) = FeedData(receiver, string.Concat(Enumerable.Repeat(new string('x', 48) + "\r\n", 3)) + ".\r\nNOOP\r\n", 10);

        Assert.True(done);
        Assert.Equal(DataError.TooLarge, receiver.Error);
        Assert.Equal(0, receiver.Message.Length);
        Assert.Equal(150, receiver.Length);
        Assert.Equal("NOOP\r\n", rest);
    }

    [Theory]
    [InlineData(998, nameof(DataError.None))]
    [InlineData(999, nameof(DataError.LineTooLong))]
    [InlineData(100_000, nameof(DataError.LineTooLong))]
    public void Should_allow_text_lines_of_1000_octets_including_CRLF(int textLength, string expected)
    {
        var receiver = new SmtpDataReceiver(1_000_000, 1000);

        var (done, _) = FeedData(receiver, new string('x', textLength) + "\r\n.\r\n", 333);

        Assert.True(done);
        Assert.Equal(expected, receiver.Error.ToString());
    }

    [Theory]
    [InlineData("a\n.\r\n")]
    [InlineData("a\r\n.\n")]
    [InlineData("a\r.\r\n")]
    [InlineData("a\rb\r\n")]
    public void Should_refuse_bare_CR_or_LF_and_not_take_a_bare_LF_dot_for_the_end(string text)
    {
        var receiver = new SmtpDataReceiver(10_000, 1000);

        var (done, _) = FeedData(receiver, text, 1);
        Assert.False(done);
        (done, _) = FeedData(receiver, "\r\n.\r\n", 1);

        Assert.True(done);
        Assert.Equal(DataError.BareLineEnding, receiver.Error);
    }

    [Theory]
    [InlineData("\n", false)]
    [InlineData("\r\n", true)]
    public void Should_end_after_an_over_long_line_only_when_it_ended_in_CRLF(string ending, bool ends)
    {
        var receiver = new SmtpDataReceiver(1_000_000, 1000);

        var (done, _) = FeedData(receiver, new string('x', 3000) + ending + ".\r\n", 700);

        Assert.Equal(ends, done);
        Assert.Equal(DataError.LineTooLong, receiver.Error);
    }

    private static List<string> FeedCommands(SmtpCommandFramer framer, string input, int chunk)
    {
        var frames = new List<string>();
        var pending = Array.Empty<byte>();
        foreach (var piece in Encoding.ASCII.GetBytes(input).Chunk(chunk))
        {
            var sequence = Segments([.. pending, .. piece]);
            while (true)
            {
                var frame = framer.TryRead(ref sequence, out var line);
                if (frame == CommandFrame.NeedMore) break;
                frames.Add(frame == CommandFrame.Line ? "Line:" + Encoding.ASCII.GetString(line) : frame.ToString());
            }
            pending = sequence.ToArray();
        }
        return frames;
    }

    /// <summary>Feeds the input in chunks; returns whether the end was found, and what is left unconsumed (fed or not).</summary>
    private static (bool Done, string Remaining) FeedData(SmtpDataReceiver receiver, string input, int chunk)
    {
        var bytes = Encoding.ASCII.GetBytes(input);
        var pending = Array.Empty<byte>();
        for (var fed = 0; fed < bytes.Length;)
        {
            var piece = bytes[fed..Math.Min(bytes.Length, fed + chunk)];
            fed += piece.Length;
            var sequence = Segments([.. pending, .. piece]);
            var done = receiver.TryComplete(ref sequence);
            pending = sequence.ToArray();
            if (done) return (true, Encoding.ASCII.GetString([.. pending, .. bytes[fed..]]));
        }
        return (false, Encoding.ASCII.GetString(pending));
    }

    /// <summary>A sequence of one-byte-or-more segments, so framing is tested across segment boundaries.</summary>
    private static ReadOnlySequence<byte> Segments(byte[] bytes)
    {
        if (bytes.Length < 2) return new ReadOnlySequence<byte>(bytes);
        var middle = bytes.Length / 2;
        var first = new Segment(bytes.AsMemory(0, middle), 0);
        var last = first.Append(bytes.AsMemory(middle));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
