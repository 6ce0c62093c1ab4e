using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Listener;

/// <summary>What the connection does after sending a step's reply.</summary>
internal enum SmtpAction
{
    /// <summary>Read the next command.</summary>
    Continue,

    /// <summary>Receive message text (the reply was 354).</summary>
    ReceiveData,

    /// <summary>Run the TLS handshake (the reply was 220 to STARTTLS).</summary>
    StartTls,

    /// <summary>Close the connection.</summary>
    Close,
}

/// <summary>One command's outcome: the reply to send, then what to do.</summary>
internal readonly record struct SmtpStep(SmtpReply Reply, SmtpAction Action = SmtpAction.Continue);

/// <summary>
/// The ESMTP protocol of one session (RFC 5321, with SIZE, 8BITMIME, PIPELINING,
/// ENHANCEDSTATUSCODES, SMTPUTF8 and STARTTLS): a state machine fed one command line at a time,
/// with no sockets, so it is unit-testable. The connection (<see cref="SmtpConnection"/>) cuts
/// lines and message text out of the input, enforces the timeouts and sends the replies.
/// </summary>
/// <remarks>
/// Command lines may hold printable US-ASCII and spaces only. Non-ASCII is allowed only as valid
/// UTF-8 in the path of a MAIL FROM that carries SMTPUTF8, and of the RCPT TO commands in that
/// transaction (RFC 6531); anything else, including NUL, other control characters and invalid
/// UTF-8, is 500 5.5.2.
/// </remarks>
internal sealed class SmtpSession
{
    private const string HelpText = "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY";

    private readonly SmtpListenerOptions _options;
    private readonly ISmtpMessageSink _sink;
    private readonly ILogger _logger;
    private readonly bool _tlsAvailable;
    private Transaction? _transaction;

    /// <param name="tlsAvailable">A certificate is configured, so STARTTLS is offered.</param>
    public SmtpSession(SmtpListenerOptions options, ISmtpMessageSink sink, ILogger logger, string sessionId, string remoteAddress, bool tlsAvailable)
    {
        _options = options;
        _sink = sink;
        _logger = logger;
        _tlsAvailable = tlsAvailable;
        SessionId = sessionId;
        RemoteAddress = remoteAddress;
    }

    public string SessionId { get; }

    public string RemoteAddress { get; }

    /// <summary>What the sink records as the message's source.</summary>
    public string Source => $"smtp:{SessionId}:{RemoteAddress}";

    /// <summary>The name given in HELO/EHLO; null before.</summary>
    public string? ClientName { get; private set; }

    public bool IsSecure { get; private set; }

    /// <summary>5xx replies to commands so far.</summary>
    public int Errors { get; private set; }

    public int MessagesAccepted { get; private set; }

    /// <summary>The envelope sender of the open transaction ("" for &lt;&gt;), or null when there is none.</summary>
    public string? MailFrom => _transaction?.From;

    /// <summary>The open transaction's accepted recipients.</summary>
    public IReadOnlyList<string> Recipients => _transaction?.Recipients ?? [];

    public SmtpReply Greeting => new(220, null, $"{_options.HostName} ESMTP ActorGateway ready");

    public SmtpReply TimedOut => new(421, "4.4.2", $"{_options.HostName} Timeout exceeded; closing connection");

    public SmtpReply ShuttingDown => new(421, "4.3.2", $"{_options.HostName} Service shutting down; closing connection");

    /// <summary>A command line trickled in for longer than <see cref="SmtpListenerOptions.CommandDeadline"/>.</summary>
    public SmtpReply CommandTooSlow(TimeSpan deadline) =>
        new(421, "4.4.2", $"{_options.HostName} Command line not completed within {deadline.TotalSeconds:0}s; closing connection");

    /// <summary>The message text took longer than <see cref="SmtpListenerOptions.DataDeadline"/>; nothing is accepted.</summary>
    public SmtpReply DataTooSlow(TimeSpan deadline) =>
        new(421, "4.4.2", $"{_options.HostName} Message text not completed within {deadline.TotalSeconds:0}s; nothing accepted; closing connection");

    /// <summary>The reply to a connection over <see cref="SmtpListenerOptions.MaxSessionsPerAddress"/>, before any session exists.</summary>
    public static SmtpReply TooManySessionsFromAddress(SmtpListenerOptions options, string address) =>
        new(421, "4.7.0", $"{options.HostName} Too many concurrent sessions from {address}; try again later");

    /// <summary>The reply to a connection over <see cref="SmtpListenerOptions.MaxSessions"/>, before any session exists.</summary>
    public static SmtpReply TooManySessions(SmtpListenerOptions options) =>
        new(421, "4.3.2", $"{options.HostName} Too many concurrent sessions; try again later");

    /// <summary>Handles one command line (without its CRLF).</summary>
    public SmtpStep Execute(ReadOnlySpan<byte> line)
    {
        var nonAscii = false;
        foreach (var b in line)
        {
            if (b is < 0x20 or 0x7F) return Error(500, "5.5.2", "Syntax error: control characters are not allowed in commands");
            if (b >= 0x80) nonAscii = true;
        }
        if (nonAscii && !Utf8.IsValid(line)) return Error(500, "5.5.2", "Syntax error: command is not valid UTF-8");
        if (line.IsEmpty) return Error(500, "5.5.2", "Syntax error: empty command");

        var text = Encoding.UTF8.GetString(line);
        var space = text.IndexOf(' ');
        var verb = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..];
        if (nonAscii && verb is not ("MAIL" or "RCPT")) return NonAsciiError();

        return verb switch
        {
            "EHLO" => Hello(argument, extended: true),
            "HELO" => Hello(argument, extended: false),
            "MAIL" => Mail(argument, nonAscii),
            "RCPT" => Rcpt(argument, nonAscii),
            "DATA" => Data(argument),
            "RSET" => argument.Length > 0 ? Error(501, "5.5.4", "Syntax: RSET") : Reset(),
            "NOOP" => Ok(new SmtpReply(250, "2.0.0", "Ok")),
            "QUIT" => new SmtpStep(new SmtpReply(221, "2.0.0", $"{_options.HostName} Bye"), SmtpAction.Close),
            "HELP" => Ok(new SmtpReply(214, "2.0.0", OfferTls ? HelpText + " STARTTLS" : HelpText)),
            "VRFY" => argument.Trim().Length == 0
                ? Error(501, "5.5.4", "Syntax: VRFY address")
                : Ok(new SmtpReply(252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery")),
            "STARTTLS" when _tlsAvailable => StartTls(argument),
            "EXPN" or "TURN" or "ETRN" or "ATRN" or "BDAT" or "AUTH" or "STARTTLS" => Error(502, "5.5.1", "Command not implemented"),
            _ => Error(500, "5.5.1", "Syntax error: command unrecognized"),
        };
    }

    /// <summary>The input held a command line longer than <see cref="SmtpListenerOptions.MaxCommandLineLength"/>.</summary>
    public SmtpStep LineTooLong()
    {
        _logger.LogWarning("{Code} {SessionId} command line longer than {MaxLineLength} octets", SmtpLogCodes.Limit, SessionId, _options.MaxCommandLineLength);
        return Error(500, "5.5.2", $"Syntax error: line too long (max {_options.MaxCommandLineLength} octets including CRLF)");
    }

    /// <summary>The input held a command line ending in a bare LF, or containing a bare CR.</summary>
    public SmtpStep BadLineEnding() => Error(500, "5.5.2", "Syntax error: bare CR or LF; lines must end with CRLF");

    /// <summary>The TLS handshake succeeded: the session starts over (RFC 3207 §4.2), and STARTTLS is no longer offered.</summary>
    public void TlsEstablished()
    {
        IsSecure = true;
        ClientName = null;
        _transaction = null;
    }

    /// <summary>
    /// Ends the transaction with the received text: refuses it for a limit or syntax problem, or
    /// hands it to the sink and answers with the sink's verdict. 250 comes only from an Accepted.
    /// </summary>
    public async Task<SmtpReply> FinishDataAsync(SmtpDataReceiver data, CancellationToken ct)
    {
        var transaction = _transaction ?? throw new InvalidOperationException("no transaction is open");
        _transaction = null;
        switch (data.Error)
        {
            case DataError.TooLarge:
                _logger.LogWarning("{Code} {SessionId} message larger than {MaxMessageBytes} bytes refused", SmtpLogCodes.Limit, SessionId, _options.MaxMessageBytes);
                return new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size");
            case DataError.LineTooLong:
                _logger.LogWarning("{Code} {SessionId} message with a line longer than {MaxLineLength} octets refused", SmtpLogCodes.Limit, SessionId, _options.MaxDataLineLength);
                return new SmtpReply(500, "5.5.2", $"Line too long (max {_options.MaxDataLineLength} octets including CRLF); message not accepted");
            case DataError.BareLineEnding:
                _logger.LogWarning("{Code} {SessionId} message with a bare CR or LF refused", SmtpLogCodes.Rejected, SessionId);
                return new SmtpReply(500, "5.5.2", "Bare CR or LF in message text; lines must end with CRLF; message not accepted");
            case DataError.NulByte:
                _logger.LogWarning("{Code} {SessionId} message with a NUL byte refused", SmtpLogCodes.Rejected, SessionId);
                return new SmtpReply(500, "5.5.2", "NUL byte in message text; message not accepted");
        }

        SmtpSubmitResult? result;
        try
        {
            result = await _sink.SubmitAsync(data.Message, Source, transaction.From, transaction.Recipients, ct);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "{Code} {SessionId} submitting a {Size}-byte message failed", SmtpLogCodes.SubmitFailed, SessionId, data.Message.Length);
            return new SmtpReply(451, "4.3.0", "Temporary local problem, try again later");
        }

        switch (result)
        {
            case SmtpSubmitResult.Accepted accepted:
                MessagesAccepted++;
                _logger.LogInformation("{Code} {SessionId} accepted {QueueId} from <{MailFrom}> for {RecipientCount} recipients, {Size} bytes",
                    SmtpLogCodes.Accepted, SessionId, accepted.QueueId, transaction.From, transaction.Recipients.Count, data.Message.Length);
                break;
            case SmtpSubmitResult.Rejected rejected:
                _logger.LogWarning("{Code} {SessionId} message from <{MailFrom}> rejected {ReasonCode}: {Reason}",
                    SmtpLogCodes.Rejected, SessionId, transaction.From, rejected.Code, rejected.Reason);
                break;
            case SmtpSubmitResult.Deferred deferred:
                _logger.LogWarning("{Code} {SessionId} message from <{MailFrom}> deferred {ReasonCode}: {Reason}",
                    SmtpLogCodes.Deferred, SessionId, transaction.From, deferred.Code, deferred.Reason);
                break;
            default:
                _logger.LogError("{Code} {SessionId} the sink returned no result", SmtpLogCodes.SubmitFailed, SessionId);
                return new SmtpReply(451, "4.3.0", "Temporary local problem, try again later");
        }
        return result.ToReply();
    }

    private bool OfferTls => _tlsAvailable && !IsSecure;

    private SmtpStep Hello(string argument, bool extended)
    {
        var name = argument.Trim();
        if (name.Length == 0) return Error(501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
        ClientName = name;
        _transaction = null;
        if (!extended) return Ok(new SmtpReply(250, null, _options.HostName));

        var lines = new List<string>
        {
            $"{_options.HostName} Hello {name}",
            "SIZE " + _options.MaxMessageBytes.ToString(CultureInfo.InvariantCulture),
            "8BITMIME",
            "PIPELINING",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8",
        };
        if (OfferTls) lines.Add("STARTTLS");
        return Ok(new SmtpReply(250, null, [.. lines]));
    }

    private SmtpStep Mail(string argument, bool nonAscii)
    {
        if (ClientName is null) return Error(503, "5.5.1", "Bad sequence of commands: send EHLO or HELO first");
        if (_transaction is not null) return Error(503, "5.5.1", "Bad sequence of commands: nested MAIL command");
        var parsed = SmtpPathArgument.TryParse(argument, "FROM:");
        if (parsed is null) return Error(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");

        var smtpUtf8 = false;
        long? size = null;
        foreach (var (key, value) in parsed.Parameters)
        {
            switch (key.ToUpperInvariant())
            {
                case "SIZE":
                    if (value is null || value.Length is 0 or > 19 || !value.All(char.IsAsciiDigit)) return Error(501, "5.5.4", "Syntax: SIZE=<octets>");
                    size = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "BODY":
                    if (value is null || !(value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase)))
                    {
                        return Error(501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME");
                    }
                    break;
                case "SMTPUTF8":
                    if (value is not null) return Error(501, "5.5.4", "Syntax: SMTPUTF8 takes no value");
                    smtpUtf8 = true;
                    break;
                default:
                    return Error(555, "5.5.4", "Unsupported MAIL parameter");
            }
        }
        if (nonAscii && !smtpUtf8) return NonAsciiError();
        if (size > _options.MaxMessageBytes)
        {
            _logger.LogWarning("{Code} {SessionId} declared SIZE {Size} is over the {MaxMessageBytes}-byte limit", SmtpLogCodes.Limit, SessionId, size, _options.MaxMessageBytes);
            return Error(552, "5.3.4", "Message size exceeds fixed maximum message size");
        }

        string from;
        if (parsed.Path.Length == 0)
        {
            from = "";
        }
        else
        {
            var path = SmtpMailbox.WithoutSourceRoute(parsed.Path);
            var mailbox = path is null || Encoding.UTF8.GetByteCount(parsed.Path) + 2 > SmtpPathArgument.MaxPathOctets ? null : SmtpMailbox.TryParse(path, smtpUtf8);
            if (mailbox is null || mailbox.Domain.Length == 0) return Error(501, "5.1.7", "Bad sender address syntax");
            from = mailbox.Address;
        }
        _transaction = new Transaction(from, smtpUtf8);
        return Ok(new SmtpReply(250, "2.1.0", "Ok"));
    }

    private SmtpStep Rcpt(string argument, bool nonAscii)
    {
        var transaction = _transaction;
        if (transaction is null) return Error(503, "5.5.1", "Bad sequence of commands: need MAIL command");
        var parsed = SmtpPathArgument.TryParse(argument, "TO:");
        if (parsed is null) return Error(501, "5.5.4", "Syntax: RCPT TO:<address>");
        if (parsed.Parameters.Count > 0) return Error(555, "5.5.4", "Unsupported RCPT parameter");
        if (nonAscii && !transaction.SmtpUtf8) return NonAsciiError();
        if (SmtpMailbox.HasSourceRoute(parsed.Path)) return RelayDenied(parsed.Path, "source routes are not accepted");

        // RFC 5321 §4.5.1: <postmaster>, with no domain, must be accepted; it goes to the configured address.
        var isPostmaster = parsed.Path.Equals("postmaster", StringComparison.OrdinalIgnoreCase);
        if (isPostmaster && _options.Postmaster is null) return RelayDenied(parsed.Path, "no postmaster address is configured (actor-gateway.smtp.postmaster)");
        var path = isPostmaster ? _options.Postmaster! : parsed.Path;
        var mailbox = Encoding.UTF8.GetByteCount(path) + 2 > SmtpPathArgument.MaxPathOctets ? null : SmtpMailbox.TryParse(path, transaction.SmtpUtf8);
        if (mailbox is null) return Error(501, "5.1.3", "Bad recipient address syntax");
        if (mailbox.Domain.Length == 0) return RelayDenied(parsed.Path, "a recipient needs a domain");
        if (mailbox.HasRoutingCharacters) return RelayDenied(parsed.Path, "routing characters (% ! @) in the local part are not accepted");
        bool routed;
        try
        {
            routed = _sink.AcceptsRecipientDomain(mailbox.Domain);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "{Code} {SessionId} checking the domain of <{Recipient}> failed", SmtpLogCodes.SubmitFailed, SessionId, parsed.Path);
            return Ok(new SmtpReply(451, "4.3.0", "Temporary local problem, try again later"));
        }
        if (!routed) return RelayDenied(parsed.Path, "relay access denied");

        if (transaction.Contains(mailbox.Address)) return Ok(new SmtpReply(250, "2.1.5", "Ok"));
        if (transaction.Recipients.Count >= _options.MaxRecipients)
        {
            if (transaction.Refused++ == 0)
            {
                _logger.LogWarning("{Code} {SessionId} more than {MaxRecipients} recipients; the rest get 452", SmtpLogCodes.Limit, SessionId, _options.MaxRecipients);
            }
            return Ok(new SmtpReply(452, "4.5.3", "Too many recipients"));
        }
        transaction.Add(mailbox.Address);
        return Ok(new SmtpReply(250, "2.1.5", "Ok"));
    }

    private SmtpStep Data(string argument)
    {
        if (argument.Length > 0) return Error(501, "5.5.4", "Syntax: DATA");
        if (_transaction is null) return Error(503, "5.5.1", "Bad sequence of commands: need MAIL command");
        if (_transaction.Recipients.Count == 0) return Error(503, "5.5.1", "Bad sequence of commands: need RCPT command");
        return new SmtpStep(new SmtpReply(354, null, "End data with <CR><LF>.<CR><LF>"), SmtpAction.ReceiveData);
    }

    private SmtpStep Reset()
    {
        _transaction = null;
        return Ok(new SmtpReply(250, "2.0.0", "Ok"));
    }

    private SmtpStep StartTls(string argument)
    {
        if (argument.Length > 0) return Error(501, "5.5.4", "Syntax: STARTTLS");
        if (IsSecure) return Error(503, "5.5.1", "Bad sequence of commands: TLS is already active");
        return new SmtpStep(new SmtpReply(220, "2.0.0", "Ready to start TLS"), SmtpAction.StartTls);
    }

    private SmtpStep RelayDenied(string path, string why)
    {
        _logger.LogInformation("{Code} {SessionId} RCPT TO <{Recipient}> refused: {Why}", SmtpLogCodes.RelayDenied, SessionId, path, why);
        return Error(550, "5.7.1", $"Relay access denied: {why}");
    }

    private SmtpStep NonAsciiError() =>
        Error(500, "5.5.2", "Syntax error: non-ASCII characters are allowed only in addresses, with SMTPUTF8");

    private static SmtpStep Ok(SmtpReply reply) => new(reply);

    /// <summary>A 5xx reply to a command, counted; the one that reaches the limit closes the session instead.</summary>
    private SmtpStep Error(int code, string enhanced, string text)
    {
        Errors++;
        if (Errors >= _options.MaxErrors)
        {
            _logger.LogWarning("{Code} {SessionId} {Errors} protocol errors; closing", SmtpLogCodes.Limit, SessionId, Errors);
            return new SmtpStep(new SmtpReply(421, "4.7.0", $"{_options.HostName} Too many errors; closing connection"), SmtpAction.Close);
        }
        return new SmtpStep(new SmtpReply(code, enhanced, text));
    }

    /// <summary>One mail transaction: MAIL FROM to the end of DATA (or RSET, HELO/EHLO).</summary>
    private sealed class Transaction(string from, bool smtpUtf8)
    {
        private readonly List<string> _recipients = [];
        private readonly HashSet<string> _seen = new(StringComparer.OrdinalIgnoreCase);

        public string From { get; } = from;

        public bool SmtpUtf8 { get; } = smtpUtf8;

        public IReadOnlyList<string> Recipients => _recipients;

        /// <summary>RCPT commands refused with 452 4.5.3.</summary>
        public int Refused { get; set; }

        public bool Contains(string address) => _seen.Contains(address);

        public void Add(string address)
        {
            _seen.Add(address);
            _recipients.Add(address);
        }
    }
}
