using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ActorGateway.Actors.Transport;
using ActorGateway.Domain;
using ActorGateway.Domain.Failures;
using ActorGateway.Domain.Messages;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace ActorGateway.Smtp.Relay;

/// <summary>
/// Relays each message to one smart host over SMTP (MailKit), with the mapped envelope given by
/// the transport actor, and reports a result per recipient.
/// <list type="bullet">
/// <item><b>Content</b> is sent as given, byte for byte (parsed with MimeKit, never re-encoded); it must
/// already be the rewritten message (<c>OutboundRewriter</c> removes Bcc). Recipients come only from
/// the envelope, never from the headers. An empty or <c>&lt;&gt;</c> sender is the null reverse-path.</item>
/// <item><b>Connections</b> are pooled and reused across messages: at most
/// <see cref="SmtpRelayOptions.MaxConnections"/>, one transaction at a time on each. Message actors
/// deliver concurrently, and one connection's throughput is one transaction per round trips plus the
/// smart host's DATA processing, so a small pool beats a single serialised connection while staying
/// far below the per-client connection limits smart hosts enforce. A connection idle for longer than
/// <see cref="SmtpRelayOptions.MaxIdle"/> is checked with NOOP before reuse; a connection that
/// failed is closed, and so are the idle ones (they most likely share its fate).</item>
/// <item><b>Failures</b>: connecting (TCP, greeting, EHLO, STARTTLS, AUTH), timeouts, socket errors,
/// a 530 (authentication required), and every 4xx to MAIL FROM or DATA throw
/// <see cref="TransientFailureException"/>; a 5xx to MAIL FROM or DATA throws
/// <see cref="PermanentMessageException"/> with <see cref="ReasonCodes.RelayRefused"/>; RCPT TO replies
/// become per-recipient results (5xx <see cref="RecipientDisposition.Refused"/>, 4xx
/// <see cref="RecipientDisposition.Deferred"/>). When no recipient is accepted nothing is sent and
/// nothing is thrown.</item>
/// <item><b>Idempotency</b>: after the server's final 250 to DATA (or when recipients were refused)
/// the results are written to the <see cref="IRelaySentStore"/> (files, or PostgreSQL when nodes share storage). A later call for the same message id
/// sends only to recipients that are not settled there (delivered or refused), and when there are none
/// it answers <c>AlreadyPresent</c> without connecting. Remaining window: a crash between the server's
/// 250 and the marker's fsync, or a reply lost after the final dot (a timeout, RFC 1047), makes the
/// retry send the message again. SMTP cannot close that window; delivery is at-least-once, and the
/// window is the few milliseconds of one fsync or one lost reply.</item>
/// </list>
/// One delivery per message id at a time is assumed (one message actor owns each id).
/// </summary>
public sealed class SmtpRelayTransport : IMessageTransport, IAsyncDisposable, IDisposable
{
    // CRLF everywhere, and SMTPUTF8 when the server offers it (MailKit drops it otherwise).
    private static readonly FormatOptions Format = CreateFormat();

    private readonly SmtpRelayOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly IRelaySentStore _markers;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<Session> _idle = new();
    private int _disposed;

    /// <param name="stateDirectory">Where the sent markers live (<c>{stateDirectory}/relay-sent/</c>); usually the data directory.</param>
    /// <param name="time">The clock for idle checks; the system clock by default.</param>
    public SmtpRelayTransport(SmtpRelayOptions options, string stateDirectory, ILogger<SmtpRelayTransport> logger, TimeProvider? time = null)
        : this(options, new RelaySentMarkers(stateDirectory), logger, time)
    {
    }

    /// <param name="markers">Where the sent markers live.</param>
    /// <param name="time">The clock for idle checks; the system clock by default.</param>
    public SmtpRelayTransport(SmtpRelayOptions options, IRelaySentStore markers, ILogger<SmtpRelayTransport> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(markers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        _options = options;
        _log = logger;
        _time = time ?? TimeProvider.System;
        _markers = markers;
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
    }

    public string Name => _options.Name;

    public SmtpRelayOptions Options => _options;

    public IRelaySentStore Markers => _markers;

    public async Task<DeliveryReceipt> DeliverAsync(MessageId id, ReadOnlyMemory<byte> content, OutboundEnvelope envelope, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Recipients.Count == 0) throw new ArgumentException("the envelope has no recipients", nameof(envelope));

        var record = await _markers.ReadAsync(id, ct);
        var settled = new Dictionary<string, RecipientResult>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in record?.Recipients ?? [])
        {
            if (r.Disposition != RecipientDisposition.Deferred) settled[r.Recipient] = r;
        }
        var pending = envelope.Recipients.Where(r => !settled.ContainsKey(r)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (pending.Count == 0)
        {
            _log.LogInformation("{Code} {MessageId} was relayed to {Location} already; nothing is sent again",
                ReasonCodes.RelayAlreadySent, id.Value, record!.Location);
            return new DeliveryReceipt(record.Location, AlreadyPresent: true, ResultsInEnvelopeOrder(envelope, settled, new Dictionary<string, RecipientResult>()));
        }

        var message = Parse(id, content);
        var sender = ParseSender(id, envelope.Sender);
        var fresh = new Dictionary<string, RecipientResult>(StringComparer.OrdinalIgnoreCase);
        var mailboxes = new List<(string Recipient, MailboxAddress Mailbox)>();
        foreach (var recipient in pending)
        {
            if (TryParseMailbox(recipient, out var mailbox)) mailboxes.Add((recipient, mailbox));
            else fresh[recipient] = new RecipientResult(recipient, RecipientDisposition.Refused, $"gateway: '{recipient}' is not a valid SMTP address");
        }

        var location = record?.Location ?? _options.Endpoint;
        if (mailboxes.Count > 0)
        {
            var outcome = await TransactAsync(id, message, sender, mailboxes, ct);
            foreach (var r in outcome.Results) fresh[r.Recipient] = r;
            if (outcome.Location is not null) location = outcome.Location;
        }

        LogRecipientOutcomes(id, fresh.Values);
        if (fresh.Values.Any(r => r.Disposition != RecipientDisposition.Deferred))
        {
            var all = new Dictionary<string, RecipientResult>(settled, StringComparer.OrdinalIgnoreCase);
            foreach (var r in fresh.Values) all[r.Recipient] = r;
            // The server has the message now: record that even if the caller gave up meanwhile.
            await _markers.WriteAsync(new RelaySentRecord(id.Value, location, _time.GetUtcNow(), all.Values.ToList()), CancellationToken.None);
        }
        return new DeliveryReceipt(location, AlreadyPresent: false, ResultsInEnvelopeOrder(envelope, settled, fresh));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        while (_idle.TryPop(out var session))
        {
            try
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (session.Client.IsConnected) await session.Client.DisconnectAsync(quit: true, quit.Token);
            }
            catch (Exception ex)
            {
                _log.LogDebug(ex, "QUIT to {Endpoint} failed while closing", _options.Endpoint);
            }
            session.Client.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        while (_idle.TryPop(out var session)) session.Client.Dispose();
    }

    private sealed record Outcome(string? Location, IReadOnlyList<RecipientResult> Results);

    private sealed class Session(RelaySmtpClient client, DateTimeOffset lastUsed)
    {
        public RelaySmtpClient Client { get; } = client;
        public DateTimeOffset LastUsed { get; set; } = lastUsed;
        /// <summary>Taken from the pool rather than opened for this transaction.</summary>
        public bool Reused { get; set; }
    }

    /// <summary>
    /// One SMTP transaction (MAIL FROM, RCPT TO…, DATA) on a pooled connection. When a reused
    /// connection turns out to be broken before MAIL FROM was answered (the server closed it while it
    /// was idle), nothing can have been delivered, and the transaction is repeated at once on a new one.
    /// </summary>
    private async Task<Outcome> TransactAsync(MessageId id, MimeMessage message, MailboxAddress sender,
        IReadOnlyList<(string Recipient, MailboxAddress Mailbox)> recipients, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var session = await AcquireAsync(ct);
                var keep = false;
                try
                {
                    var client = session.Client;
                    client.BeginTransaction();
                    string response;
                    try
                    {
                        response = await client.SendAsync(Format, message, sender, recipients.Select(r => r.Mailbox), ct);
                    }
                    catch (SmtpCommandException) when (client.NoRecipientsAccepted)
                    {
                        // MailKit sent RSET: the connection is fine, and nothing was sent.
                        keep = true;
                        return new Outcome(null, RecipientResults(client, recipients, accepted: null));
                    }
                    catch (SmtpCommandException ex)
                    {
                        // MailKit sent RSET after the error; 421 means the server is closing the connection.
                        keep = ex.StatusCode != SmtpStatusCode.ServiceNotAvailable;
                        throw Refusal(id, sender, ex);
                    }
                    catch (ServiceNotAuthenticatedException ex)
                    {
                        // A 530 to MAIL FROM: our configuration, not the message. MailKit sent RSET.
                        keep = true;
                        throw Deferred(id, $"{_options.Endpoint} requires authentication ({ex.Message}); set username and password", ex);
                    }
                    catch (NotSupportedException ex)
                    {
                        // The only NotSupportedException of a send: the message needs SMTPUTF8/8BITMIME the server lacks.
                        keep = true;
                        _log.LogWarning("{Code} {Endpoint} cannot take {MessageId}: {Reason}", ReasonCodes.RelayRefused, _options.Endpoint, id.Value, ex.Message);
                        throw new PermanentMessageException(ReasonCodes.RelayRefused, $"{ReasonCodes.RelayRefused}: {_options.Endpoint} cannot take the message: {ex.Message}");
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex) && !ct.IsCancellationRequested)
                    {
                        DiscardIdle();
                        if (session.Reused && !client.SenderAccepted && attempt == 1)
                        {
                            _log.LogDebug("Reused connection to {Endpoint} broke before MAIL FROM was answered ({Reason}); repeating on a new one",
                                _options.Endpoint, ex.Message);
                            continue;
                        }
                        throw Deferred(id, $"connection to {_options.Endpoint} failed: {ex.Message}", ex);
                    }

                    keep = true;
                    var reply = Reply(SmtpStatusCode.Ok, response);
                    var results = RecipientResults(client, recipients, accepted: reply);
                    _log.LogInformation("{Code} Relayed {MessageId} to {Endpoint}: {Reply} ({Delivered} of {Recipients} recipients accepted)",
                        ReasonCodes.RelaySent, id.Value, _options.Endpoint, reply,
                        results.Count(r => r.Disposition == RecipientDisposition.Delivered), results.Count);
                    return new Outcome($"{_options.Endpoint} ({reply})", results);
                }
                finally
                {
                    Release(session, keep);
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>The exception for a whole-message refusal: 5xx is permanent, anything else is retried.</summary>
    private Exception Refusal(MessageId id, MailboxAddress sender, SmtpCommandException ex)
    {
        var reply = Reply(ex.StatusCode, ex.Message);
        var stage = ex.ErrorCode switch
        {
            SmtpErrorCode.SenderNotAccepted => "MAIL FROM",
            SmtpErrorCode.MessageNotAccepted => "DATA",
            _ => "the transaction",
        };
        if (!IsMessageRefusal(ex)) return Deferred(id, $"{_options.Endpoint} deferred the message at {stage}: {reply}", ex);
        _log.LogWarning("{Code} {Endpoint} refused {MessageId} at {Stage}: {Reply}",
            ReasonCodes.RelayRefused, _options.Endpoint, id.Value, stage, reply);
        return new PermanentMessageException(ReasonCodes.RelayRefused,
            $"{ReasonCodes.RelayRefused}: {_options.Endpoint} refused the message at {stage}: {reply}",
            ex.ErrorCode == SmtpErrorCode.SenderNotAccepted ? sender.Address : null);
    }

    private static List<RecipientResult> RecipientResults(RelaySmtpClient client,
        IReadOnlyList<(string Recipient, MailboxAddress Mailbox)> recipients, string? accepted)
    {
        var results = new List<RecipientResult>(recipients.Count);
        foreach (var (recipient, mailbox) in recipients)
        {
            if (client.NotAccepted.TryGetValue(mailbox, out var refusal))
            {
                var code = (int)refusal.StatusCode;
                var disposition = code is >= 400 and < 500 ? RecipientDisposition.Deferred : RecipientDisposition.Refused;
                results.Add(new RecipientResult(recipient, disposition, Reply(refusal.StatusCode, refusal.Response)));
            }
            else if (accepted is not null)
            {
                results.Add(new RecipientResult(recipient, RecipientDisposition.Delivered, accepted));
            }
            else
            {
                // Not refused, yet "no recipient accepted": MailKit only says so when all were refused.
                results.Add(new RecipientResult(recipient, RecipientDisposition.Deferred, null));
            }
        }
        return results;
    }

    /// <summary>A pooled connection, checked with NOOP when it was idle too long, or a new one.</summary>
    private async Task<Session> AcquireAsync(CancellationToken ct)
    {
        while (_idle.TryPop(out var session))
        {
            if (!session.Client.IsConnected)
            {
                session.Client.Dispose();
                continue;
            }
            session.Reused = true;
            if (_time.GetUtcNow() - session.LastUsed <= _options.MaxIdle) return session;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                await session.Client.NoOpAsync(timeout.Token);
                return session;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                _log.LogDebug("Idle connection to {Endpoint} is gone ({Reason}); opening a new one", _options.Endpoint, ex.Message);
                session.Client.Dispose();
            }
        }
        return await ConnectAsync(ct);
    }

    private async Task<Session> ConnectAsync(CancellationToken ct)
    {
        var client = new RelaySmtpClient
        {
            Timeout = (int)Math.Clamp(_options.Timeout.TotalMilliseconds, 1, int.MaxValue),
        };
        if (_options.HeloName is not null) client.LocalDomain = _options.HeloName;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.Timeout);
            await client.ConnectAsync(_options.Host, _options.EffectivePort, _options.SecureSocketOptions, timeout.Token);
            if (!string.IsNullOrEmpty(_options.Username))
                await client.AuthenticateAsync(_options.Username, _options.Password ?? string.Empty, timeout.Token);
            _log.LogInformation("{Code} Connected to {Endpoint} (TLS {Secure}, authenticated {Authenticated})",
                ReasonCodes.RelayConnected, _options.Endpoint, client.IsSecure, client.IsAuthenticated);
            return new Session(client, _time.GetUtcNow());
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Nothing about the message has been said yet: whatever went wrong, it is the outside world's.
            client.Dispose();
            var reason = ex switch
            {
                OperationCanceledException => $"timed out after {_options.Timeout.TotalSeconds:0.###}s",
                SmtpCommandException command => Reply(command.StatusCode, command.Message),
                _ => ex.Message,
            };
            _log.LogWarning("{Code} Cannot connect to {Endpoint}: {Reason}", ReasonCodes.RelayDeferred, _options.Endpoint, reason);
            throw new TransientFailureException($"{ReasonCodes.RelayDeferred}: cannot connect to {_options.Endpoint}: {reason}", ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private void Release(Session session, bool keep)
    {
        if (keep && session.Client.IsConnected && Volatile.Read(ref _disposed) == 0)
        {
            session.LastUsed = _time.GetUtcNow();
            _idle.Push(session);
            return;
        }
        session.Client.Dispose();
    }

    private void DiscardIdle()
    {
        while (_idle.TryPop(out var session)) session.Client.Dispose();
    }

    private TransientFailureException Deferred(MessageId id, string reason, Exception inner)
    {
        _log.LogWarning("{Code} {MessageId} not relayed now, retried later: {Reason}", ReasonCodes.RelayDeferred, id.Value, reason);
        return new TransientFailureException($"{ReasonCodes.RelayDeferred}: {reason}", inner);
    }

    private void LogRecipientOutcomes(MessageId id, IEnumerable<RecipientResult> results)
    {
        foreach (var r in results)
        {
            if (r.Disposition == RecipientDisposition.Refused)
                _log.LogWarning("{Code} {Endpoint} refused recipient {Recipient} of {MessageId}: {Reply}",
                    ReasonCodes.RelayRecipientRefused, _options.Endpoint, r.Recipient, id.Value, r.Reply);
            else if (r.Disposition == RecipientDisposition.Deferred)
                _log.LogWarning("{Code} {Endpoint} deferred recipient {Recipient} of {MessageId}: {Reply}",
                    ReasonCodes.RelayRecipientDeferred, _options.Endpoint, r.Recipient, id.Value, r.Reply);
        }
    }

    private static List<RecipientResult> ResultsInEnvelopeOrder(OutboundEnvelope envelope,
        IReadOnlyDictionary<string, RecipientResult> settled, IReadOnlyDictionary<string, RecipientResult> fresh) =>
        envelope.Recipients
            .Select(r => fresh.TryGetValue(r, out var f) ? f with { Recipient = r }
                : settled.TryGetValue(r, out var s) ? s with { Recipient = r }
                : new RecipientResult(r, RecipientDisposition.Deferred, null))
            .ToList();

    /// <summary>A 5xx to MAIL FROM or DATA, except the ones about us rather than the message (authentication).</summary>
    private static bool IsMessageRefusal(SmtpCommandException ex)
    {
        var code = (int)ex.StatusCode;
        if (code is < 500 or > 599) return false;
        if (code is 530 or 534 or 535 or 538) return false;
        return ex.ErrorCode is SmtpErrorCode.SenderNotAccepted or SmtpErrorCode.MessageNotAccepted;
    }

    private static bool IsConnectionFailure(Exception ex) => ex is IOException or SocketException or TimeoutException
        or ProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException
        or SslHandshakeException or AuthenticationException or SaslException or OperationCanceledException;

    /// <summary>The reply as the server wrote it, on one line: <c>550 5.1.1 user unknown</c>.</summary>
    private static string Reply(SmtpStatusCode code, string? text)
    {
        var line = string.Join(' ', (text ?? string.Empty).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length == 0 ? ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{(int)code} {line}";
    }

    private static MimeMessage Parse(MessageId id, ReadOnlyMemory<byte> content)
    {
        var segment = MemoryMarshal.TryGetArray(content, out var array) ? array : new ArraySegment<byte>(content.ToArray());
        try
        {
            using var stream = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
            return MimeMessage.Load(stream);
        }
        catch (FormatException ex)
        {
            throw new PermanentMessageException(ReasonCodes.MimeMalformed, $"{ReasonCodes.MimeMalformed}: {id.Value} cannot be parsed for relaying: {ex.Message}");
        }
    }

    /// <summary>The envelope sender; empty or <c>&lt;&gt;</c> is the null reverse-path (DSNs).</summary>
    private static MailboxAddress ParseSender(MessageId id, string? sender)
    {
        var text = sender?.Trim() ?? string.Empty;
        if (text is "" or "<>") return new MailboxAddress(string.Empty, string.Empty);
        if (TryParseMailbox(text, out var mailbox)) return mailbox;
        throw new PermanentMessageException(ReasonCodes.RelayRefused,
            $"{ReasonCodes.RelayRefused}: the envelope sender '{text}' of {id.Value} is not a valid SMTP address", text);
    }

    private static bool TryParseMailbox(string address, out MailboxAddress mailbox)
    {
        mailbox = null!;
        var text = address.Trim();
        if (text.StartsWith('<') && text.EndsWith('>')) text = text[1..^1];
        if (text.Length == 0 || text.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or ',')) return false;
        try
        {
            mailbox = new MailboxAddress(string.Empty, text);
            return true;
        }
        catch (ParseException)
        {
            return false;
        }
    }

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = true;
        return format;
    }
}
