using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Listener;

/// <summary>What every connection of one server shares: settings, sink, certificate, the session count and the stop signals.</summary>
internal sealed class SmtpListenerState(SmtpListenerOptions options, ISmtpMessageSink sink, ILogger logger, X509Certificate2? certificate) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborted = new();
    private readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private int _active;

    public SmtpListenerOptions Options { get; } = options;

    public ISmtpMessageSink Sink { get; } = sink;

    public ILogger Logger { get; } = logger;

    /// <summary>The STARTTLS certificate, or null when TLS is not offered.</summary>
    public X509Certificate2? Certificate { get; } = certificate;

    public int ActiveSessions => Volatile.Read(ref _active);

    /// <summary>Cancelled when the server starts to stop.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Cancelled when the server stops waiting for sessions to finish.</summary>
    public CancellationToken Aborted => _aborted.Token;

    /// <summary>Takes a session slot; false when <see cref="SmtpListenerOptions.MaxSessions"/> are in use.</summary>
    public bool TryEnterSession()
    {
        if (Interlocked.Increment(ref _active) <= Options.MaxSessions) return true;
        Interlocked.Decrement(ref _active);
        return false;
    }

    public void ExitSession() => Interlocked.Decrement(ref _active);

    /// <summary>Takes one of the client address's session slots; false when it has <see cref="SmtpListenerOptions.MaxSessionsPerAddress"/>.</summary>
    public bool TryEnterAddress(string address)
    {
        if (Options.MaxSessionsPerAddress is not { } max) return true;
        lock (_perAddress)
        {
            var n = _perAddress.GetValueOrDefault(address);
            if (n >= max) return false;
            _perAddress[address] = n + 1;
            return true;
        }
    }

    public void ExitAddress(string address)
    {
        if (Options.MaxSessionsPerAddress is null) return;
        lock (_perAddress)
        {
            var n = _perAddress.GetValueOrDefault(address) - 1;
            if (n <= 0) _perAddress.Remove(address);
            else _perAddress[address] = n;
        }
    }

    public void BeginStop() => _stopping.Cancel();

    public void Abort() => _aborted.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        _aborted.Dispose();
        Certificate?.Dispose();
    }
}
