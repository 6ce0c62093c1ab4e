using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Drives one <see cref="SmtpSession"/> over a duplex pipe (Kestrel's <c>ConnectionContext.Transport</c>,
/// or the TLS stream after STARTTLS): cuts command lines and message text out of the input with the
/// limits applied while reading, enforces the command and data timeouts, and writes the replies.
/// Nothing is buffered beyond one line, or one message up to the size limit.
/// </summary>
internal sealed class SmtpConnection
{
    /// <summary>How long a connection closed for errors waits for the client to stop sending, so the client can read the last reply.</summary>
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);

    private readonly SmtpListenerState _listener;
    private readonly SmtpSession _session;
    private readonly CancellationToken _stopping;
    private readonly CancellationToken _aborted;
    private PipeReader _input;
    private PipeWriter _output;
    private SslStream? _tls;

    /// <param name="stopping">Cancelled when the server stops: idle sessions are told 421 4.3.2 and closed.</param>
    /// <param name="aborted">Cancelled when the server gives up waiting for sessions: a submission in progress is cancelled.</param>
    public SmtpConnection(SmtpListenerState listener, IDuplexPipe transport, SmtpSession session, CancellationToken stopping, CancellationToken aborted)
    {
        _listener = listener;
        _session = session;
        _stopping = stopping;
        _aborted = aborted;
        _input = transport.Input;
        _output = transport.Output;
    }

    private enum ReadStatus
    {
        Data,
        Closed,
        TimedOut,
        Stopping,

        /// <summary>The deadline of the whole command line, or of the whole message text, passed (not an idle timeout).</summary>
        TooSlow,
    }

    /// <summary>Runs the session to its end; returns how it ended, for the log.</summary>
    public async Task<string> RunAsync()
    {
        try
        {
            return await RunSessionAsync();
        }
        finally
        {
            if (_tls is not null)
            {
                await _input.CompleteAsync();
                await _output.CompleteAsync();
                await _tls.DisposeAsync();
            }
        }
    }

    private async Task<string> RunSessionAsync()
    {
        var options = _listener.Options;
        if (!await SendAsync(_session.Greeting)) return "client-gone";
        var framer = new SmtpCommandFramer(options.MaxCommandLineLength);
        long? lineStarted = null; // when the first octet of an incomplete command line was seen
        while (true)
        {
            var (status, result) = await ReadAsync(options.CommandTimeout, lineStarted, options.CommandDeadline);
            switch (status)
            {
                case ReadStatus.Closed:
                    return "client-closed";
                case ReadStatus.TimedOut:
                    return await TimedOutAsync("command");
                case ReadStatus.TooSlow:
                    return await TooSlowAsync("command line", _session.CommandTooSlow(options.CommandDeadline!.Value));
                case ReadStatus.Stopping:
                    await SendAsync(_session.ShuttingDown);
                    return "server-stopping";
            }

            var buffer = result.Buffer;
            var frame = framer.TryRead(ref buffer, out var line);
            if (frame == CommandFrame.NeedMore)
            {
                lineStarted ??= Stopwatch.GetTimestamp();
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) return "client-closed";
                continue;
            }
            _input.AdvanceTo(buffer.Start);
            lineStarted = null;

            var step = frame switch
            {
                CommandFrame.Line => _session.Execute(line),
                CommandFrame.TooLong => _session.LineTooLong(),
                _ => _session.BadLineEnding(),
            };

            if (step.Action == SmtpAction.StartTls)
            {
                if (!await StartTlsAsync(step.Reply)) return "tls-failed";
                framer = new SmtpCommandFramer(options.MaxCommandLineLength);
                continue;
            }

            if (!await SendAsync(step.Reply)) return "client-gone";
            switch (step.Action)
            {
                case SmtpAction.Close when step.Reply.Code == 221:
                    return "quit";
                case SmtpAction.Close:
                    await LingerAsync();
                    return "too-many-errors";
                case SmtpAction.ReceiveData:
                    var ended = await ReceiveDataAsync();
                    if (ended is not null) return ended;
                    break;
            }
        }
    }

    /// <summary>Receives the message text and answers it; returns null to go on, or how the session ended.</summary>
    private async Task<string?> ReceiveDataAsync()
    {
        var options = _listener.Options;
        var data = new SmtpDataReceiver(options.MaxMessageBytes, options.MaxDataLineLength);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var (status, result) = await ReadAsync(options.DataTimeout, started, options.DataDeadline);
            switch (status)
            {
                case ReadStatus.Closed:
                    return DataAborted(data);
                case ReadStatus.TimedOut:
                    return await TimedOutAsync("data");
                case ReadStatus.TooSlow:
                    return await TooSlowAsync("message text", _session.DataTooSlow(options.DataDeadline!.Value));
                case ReadStatus.Stopping:
                    await SendAsync(_session.ShuttingDown);
                    return "server-stopping";
            }

            var buffer = result.Buffer;
            if (data.TryComplete(ref buffer))
            {
                _input.AdvanceTo(buffer.Start);
                break;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return DataAborted(data);
        }

        var reply = await _session.FinishDataAsync(data, _aborted);
        return await SendAsync(reply) ? null : "client-gone";
    }

    private string DataAborted(SmtpDataReceiver data)
    {
        _listener.Logger.LogInformation("{Code} {SessionId} connection closed during DATA after {Size} bytes; nothing accepted",
            SmtpLogCodes.DataAborted, _session.SessionId, data.Length);
        return "closed-during-data";
    }

    private async Task<string> TimedOutAsync(string phase)
    {
        _listener.Logger.LogInformation("{Code} {SessionId} no {Phase} input for the timeout; closing", SmtpLogCodes.Timeout, _session.SessionId, phase);
        await SendAsync(_session.TimedOut);
        return "timeout";
    }

    /// <summary>
    /// Sends 220, runs the server side of the TLS handshake and continues the session over it.
    /// Plaintext the client pipelined after STARTTLS is discarded unread (RFC 3207 §5; the
    /// command-injection attack of CVE-2011-0411).
    /// </summary>
    private async Task<bool> StartTlsAsync(SmtpReply ready)
    {
        if (_input.TryRead(out var pending)) _input.AdvanceTo(pending.Buffer.End);
        if (!await SendAsync(ready)) return false;

        var tls = new SslStream(new DuplexPipeStream(_input, _output), leaveInnerStreamOpen: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        timeout.CancelAfter(_listener.Options.CommandTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _listener.Certificate,
                ClientCertificateRequired = false,
            }, timeout.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            _listener.Logger.LogWarning("{Code} {SessionId} TLS handshake failed: {Error}", SmtpLogCodes.TlsFailed, _session.SessionId, ex.Message);
            await tls.DisposeAsync();
            return false;
        }

        _tls = tls;
        _input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true));
        _session.TlsEstablished();
        return true;
    }

    private async Task<string> TooSlowAsync(string what, SmtpReply reply)
    {
        _listener.Logger.LogWarning("{Code} {SessionId} {What} trickled in past its deadline; closing", SmtpLogCodes.SlowClient, _session.SessionId, what);
        await SendAsync(reply);
        return "too-slow";
    }

    /// <summary>
    /// Reads with an idle timeout and, when <paramref name="started"/> and <paramref name="deadline"/> are given, a
    /// deadline counted from <paramref name="started"/> that no trickle of octets extends. The pipe stays usable after a timed-out read.
    /// </summary>
    private async ValueTask<(ReadStatus, ReadResult)> ReadAsync(TimeSpan timeout, long? started = null, TimeSpan? deadline = null)
    {
        if (_stopping.IsCancellationRequested) return (ReadStatus.Stopping, default);
        var deadlineBinds = false;
        if (started is { } t && deadline is { } d)
        {
            var left = d - Stopwatch.GetElapsedTime(t);
            if (left <= TimeSpan.Zero) return (ReadStatus.TooSlow, default);
            if (left < timeout) (timeout, deadlineBinds) = (left, true);
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        cts.CancelAfter(timeout);
        ReadResult result;
        try
        {
            result = await _input.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return (_stopping.IsCancellationRequested ? ReadStatus.Stopping : deadlineBinds ? ReadStatus.TooSlow : ReadStatus.TimedOut, default);
        }
        if (result.IsCanceled) return (ReadStatus.Stopping, default);
        if (result.IsCompleted && result.Buffer.IsEmpty)
        {
            _input.AdvanceTo(result.Buffer.End);
            return (ReadStatus.Closed, default);
        }
        return (ReadStatus.Data, result);
    }

    /// <summary>Writes and flushes one reply; false when the client is gone or does not take it within the command timeout.</summary>
    private async ValueTask<bool> SendAsync(SmtpReply reply)
    {
        reply.WriteTo(_output);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_aborted);
        cts.CancelAfter(_listener.Options.CommandTimeout);
        try
        {
            var flushed = await _output.FlushAsync(cts.Token);
            return !flushed.IsCompleted && !flushed.IsCanceled;
        }
        catch (OperationCanceledException)
        {
            _listener.Logger.LogInformation("{Code} {SessionId} the client did not take a reply within the timeout; closing", SmtpLogCodes.Timeout, _session.SessionId);
            return false;
        }
    }

    /// <summary>
    /// Before closing on the client's errors, read and drop its input for a moment: closing a socket
    /// with unread input resets the connection, and the client might never see the 421.
    /// </summary>
    private async Task LingerAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_aborted);
        cts.CancelAfter(LingerTime);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(cts.Token);
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
