using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ActorGateway.Smtp.Tests.Support;

/// <summary>Captures log events with their template properties, to check codes and session ids.</summary>
public sealed class TestLog : ILoggerProvider
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public IEnumerable<Entry> WithCode(string code) => Entries.Where(e => e.Code == code);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception)
    {
        public string? Code => Properties.GetValueOrDefault("Code") as string;

        public string? SessionId => Properties.GetValueOrDefault("SessionId") as string;

        public string? Template => Properties.GetValueOrDefault("{OriginalFormat}") as string;
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : new Dictionary<string, object?>();
            log.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), properties, exception));
        }
    }
}
