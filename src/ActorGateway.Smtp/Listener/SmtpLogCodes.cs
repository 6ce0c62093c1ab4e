namespace ActorGateway.Smtp.Listener;

/// <summary>
/// Stable codes of the listener's operator events, the first property (<c>{Code}</c>) of each log
/// event, always followed by <c>{SessionId}</c> for session events. Never rename one.
/// </summary>
public static class SmtpLogCodes
{
    /// <summary>Info: the listener is bound (endpoint, TLS on/off).</summary>
    public const string Listening = "GW-SMTP-LISTENING";

    /// <summary>Info: the listener stopped.</summary>
    public const string Stopped = "GW-SMTP-STOPPED";

    /// <summary>Info: a session started (remote endpoint).</summary>
    public const string SessionOpened = "GW-SMTP-SESSION-OPENED";

    /// <summary>Info: a session ended (how, messages accepted, duration).</summary>
    public const string SessionClosed = "GW-SMTP-SESSION-CLOSED";

    /// <summary>Info: a message was accepted by the sink (queue id, size, recipients) and 250 was sent.</summary>
    public const string Accepted = "GW-SMTP-ACCEPTED";

    /// <summary>Warning: the sink refused a message for good (GW-* code and reason); 5xx was sent.</summary>
    public const string Rejected = "GW-SMTP-REJECTED";

    /// <summary>Warning: the sink deferred a message (GW-* code and reason); 4xx was sent.</summary>
    public const string Deferred = "GW-SMTP-DEFERRED";

    /// <summary>Info: RCPT TO refused because its domain is not routed here, or it tried source routing (550 5.7.1).</summary>
    public const string RelayDenied = "GW-SMTP-RELAY-DENIED";

    /// <summary>Warning: a limit was hit (which one: max-sessions, max-recipients, max-message-size, line length, max-errors).</summary>
    public const string Limit = "GW-SMTP-LIMIT";

    /// <summary>Info: the client sent nothing for command-timeout/data-timeout (or did not take replies); 421 4.4.2 and close.</summary>
    public const string Timeout = "GW-SMTP-TIMEOUT";

    /// <summary>Warning: a command line or the message text trickled in past smtp.command-deadline / smtp.data-deadline (slowloris); 421 4.4.2 and close.</summary>
    public const string SlowClient = "GW-SMTP-SLOW-CLIENT";

    /// <summary>Info: the client went away in the middle of DATA; nothing was accepted.</summary>
    public const string DataAborted = "GW-SMTP-DATA-ABORTED";

    /// <summary>Warning: a STARTTLS handshake failed; the connection is closed.</summary>
    public const string TlsFailed = "GW-SMTP-TLS-FAILED";

    /// <summary>Error: the sink threw (submitting, or checking a recipient domain); 451 4.3.0 was sent and nothing is known to be accepted.</summary>
    public const string SubmitFailed = "GW-SMTP-SUBMIT-FAILED";

    /// <summary>Error: an unexpected exception ended one session; the listener keeps serving others.</summary>
    public const string SessionFailed = "GW-SMTP-SESSION-FAILED";
}
