using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorGateway.Smtp.Tests.Support;

/// <summary>One SMTP reply as a client sees it.</summary>
public sealed record RawReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>The first line's text after the code, e.g. "5.5.1 Bad sequence…".</summary>
    public string Text => Lines[0];

    public bool Is(int code, string enhanced) => Code == code && Text.StartsWith(enhanced + " ", StringComparison.Ordinal);

    public override string ToString() => string.Join(" | ", Lines.Select(l => $"{Code} {l}"));
}

/// <summary>
/// A byte-level SMTP client over a plain socket, for what MailKit will not send: bare LFs,
/// garbage, over-long lines, half messages. Every read has a deadline, so a test fails instead of hanging.
/// </summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public Stream Stream => _stream;

    public static async Task<RawSmtpClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await tcp.ConnectAsync(endPoint, cts.Token);
        return new RawSmtpClient(tcp);
    }

    /// <summary>Connects from a given local address (another loopback address, 127.0.0.2, is another client address).</summary>
    public static async Task<RawSmtpClient> ConnectFromAsync(IPEndPoint endPoint, IPAddress local)
    {
        var tcp = new TcpClient(new IPEndPoint(local, 0));
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await tcp.ConnectAsync(endPoint, cts.Token);
        return new RawSmtpClient(tcp);
    }

    /// <summary>Connects and reads the greeting, which must be 220.</summary>
    public static async Task<RawSmtpClient> ConnectGreetedAsync(IPEndPoint endPoint)
    {
        var client = await ConnectAsync(endPoint);
        var greeting = await client.ReadReplyAsync();
        Assert.Equal(220, greeting?.Code);
        return client;
    }

    /// <summary>Replaces the stream (after a TLS handshake); nothing may be buffered.</summary>
    public void UseStream(Stream stream)
    {
        Assert.Equal(_start, _end);
        _stream = stream;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await _stream.WriteAsync(bytes, cts.Token);
        await _stream.FlushAsync(cts.Token);
    }

    /// <summary>Sends one command with CRLF and reads its reply.</summary>
    public async Task<RawReply> CommandAsync(string command)
    {
        await SendAsync(command + "\r\n");
        return await ReadReplyAsync() ?? throw new IOException($"connection closed instead of a reply to '{command}'");
    }

    /// <summary>EHLO, and the reply must be 250.</summary>
    public async Task<RawReply> EhloAsync(string name = "client.test")
    {
        var reply = await CommandAsync("EHLO " + name);
        Assert.Equal(250, reply.Code);
        return reply;
    }

    /// <summary>Reads one (possibly multi-line) reply; null when the server closed the connection first.</summary>
    public async Task<RawReply?> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync(cts.Token);
            if (line is null) return lines.Count == 0 ? null : throw new IOException("connection closed in the middle of a reply");
            if (line.Length < 4 || !int.TryParse(line.AsSpan(0, 3), out var code) || (line[3] != ' ' && line[3] != '-'))
            {
                throw new InvalidDataException($"not an SMTP reply line: '{line}'");
            }
            lines.Add(line[4..]);
            if (line[3] == ' ') return new RawReply(code, lines);
        }
    }

    /// <summary>Reads replies until the server closes the connection (or resets it); fails after the timeout.</summary>
    public async Task<IReadOnlyList<RawReply>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var replies = new List<RawReply>();
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"the server did not close the connection; replies so far: {string.Join("; ", replies)}");
            RawReply? reply;
            try
            {
                reply = await ReadReplyAsync(left);
            }
            catch (IOException)
            {
                return replies;
            }
            if (reply is null) return replies;
            replies.Add(reply);
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                if (lf == 0 || span[lf - 1] != (byte)'\r') throw new InvalidDataException("the server sent a line without CRLF");
                var line = Encoding.ASCII.GetString(span[..(lf - 1)]);
                _start += lf + 1;
                return line;
            }
            if (_start > 0)
            {
                span.CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new InvalidDataException("reply line too long");
            int n;
            try
            {
                n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no reply from the server in time");
            }
            if (n == 0) return null;
            _end += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
