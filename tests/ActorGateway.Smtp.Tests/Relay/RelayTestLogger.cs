using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ActorGateway.Smtp.Tests.Relay;

/// <summary>One captured log event: level, the rendered text and the <c>{Code}</c> property, if any.</summary>
public sealed record RelayLogEntry(LogLevel Level, string? Code, string Text);

/// <summary>Captures log events so tests can assert on the operator codes; echoes them to the test output.</summary>
public sealed class RelayTestLogger<T>(ITestOutputHelper? output = null) : ILogger<T>
{
    private readonly ConcurrentQueue<RelayLogEntry> _entries = new();

    public IReadOnlyList<RelayLogEntry> Entries => _entries.ToList();

    public IEnumerable<RelayLogEntry> WithCode(string code) => Entries.Where(e => e.Code == code);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var code = state is IEnumerable<KeyValuePair<string, object?>> properties
            ? properties.FirstOrDefault(p => p.Key == "Code").Value as string
            : null;
        var text = formatter(state, exception);
        _entries.Enqueue(new RelayLogEntry(logLevel, code, text));
        try
        {
            output?.WriteLine($"[{logLevel}] {text}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; its output helper is gone.
        }
    }
}

/// <summary>A clock the test moves by hand, for the relay's idle checks.</summary>
public sealed class RelayManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
