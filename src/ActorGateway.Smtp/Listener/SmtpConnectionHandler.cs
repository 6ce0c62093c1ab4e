using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Kestrel's entry point for each accepted SMTP connection: applies the session limit, gives the
/// session its id, runs it, and makes sure nothing one connection does can escape it.
/// </summary>
internal sealed class SmtpConnectionHandler(SmtpListenerState listener) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var sessionId = NewSessionId();
        var remote = RemoteAddress(connection.RemoteEndPoint);
        var logger = listener.Logger;
        if (!listener.TryEnterSession())
        {
            logger.LogWarning("{Code} {SessionId} connection from {Remote} refused: {MaxSessions} sessions are active",
                SmtpLogCodes.Limit, sessionId, remote, listener.Options.MaxSessions);
            await RefuseAsync(connection.Transport.Output, SmtpSession.TooManySessions(listener.Options));
            return;
        }
        if (!listener.TryEnterAddress(remote))
        {
            listener.ExitSession();
            logger.LogWarning("{Code} {SessionId} connection from {Remote} refused: it has {MaxSessionsPerAddress} sessions already",
                SmtpLogCodes.Limit, sessionId, remote, listener.Options.MaxSessionsPerAddress);
            await RefuseAsync(connection.Transport.Output, SmtpSession.TooManySessionsFromAddress(listener.Options, remote));
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var session = new SmtpSession(listener.Options, listener.Sink, logger, sessionId, remote, listener.Certificate is not null);
        var ended = "failed";
        try
        {
            logger.LogInformation("{Code} {SessionId} from {Remote}", SmtpLogCodes.SessionOpened, sessionId, connection.RemoteEndPoint?.ToString());
            var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(listener.Stopping, closeRequested);
            ended = await new SmtpConnection(listener, connection.Transport, session, stopping.Token, listener.Aborted).RunAsync();
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            ended = "client-gone";
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "{Code} {SessionId} session failed", SmtpLogCodes.SessionFailed, sessionId);
        }
        finally
        {
            listener.ExitAddress(remote);
            listener.ExitSession();
            logger.LogInformation("{Code} {SessionId} ended {Reason} after {Elapsed} ms: {Accepted} messages accepted, {Errors} errors",
                SmtpLogCodes.SessionClosed, sessionId, ended, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, session.MessagesAccepted, session.Errors);
        }
    }

    private static async Task RefuseAsync(PipeWriter output, SmtpReply reply)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            reply.WriteTo(output);
            await output.FlushAsync(timeout.Token);
        }
        catch (Exception ex) when (IsDisconnect(ex) || ex is OperationCanceledException)
        {
        }
    }

    /// <summary>12 lowercase hex digits, random: short enough to read in a log, enough to tell sessions apart.</summary>
    internal static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static string RemoteAddress(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => ip.Address.MapToIPv4().ToString(),
        IPEndPoint ip => ip.Address.ToString(),
        null => "unknown",
        _ => endPoint.ToString() ?? "unknown",
    };

    private static bool IsDisconnect(Exception ex) =>
        ex is ConnectionResetException or ConnectionAbortedException or SocketException or IOException or ObjectDisposedException;
}
