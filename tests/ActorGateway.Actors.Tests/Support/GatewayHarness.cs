using System.Collections.Concurrent;
using Akka.Actor;
using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Protocol;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Actors.Tests.Support;

/// <summary>Starts a node in a system, counts mapper starts per message, and submits/awaits messages.</summary>
public sealed class GatewayHarness : IDisposable
{
    public GatewayHarness(ActorSystem system, GatewayNodeOptions? options = null, ChildFactory? mapperOverride = null)
    {
        System = system;
        Outcomes = OutcomeWatcher.Start(system);
        options ??= new GatewayNodeOptions();
        var userChildren = options.Children;
        Node = GatewayNode.Start(system, options with
        {
            Children = parts =>
            {
                var inner = userChildren?.Invoke(parts) ?? MessageChildFactories.Default(parts.Routes, parts.Content, parts.Transports);
                var mapper = mapperOverride ?? inner.Mapper;
                return inner with
                {
                    Mapper = (ctx, id) =>
                    {
                        MapperStarts.AddOrUpdate(id, 1, (_, n) => n + 1);
                        return mapper(ctx, id);
                    },
                };
            },
        });
    }

    public ActorSystem System { get; }

    public GatewayNode Node { get; }

    public OutcomeWatcher Outcomes { get; }

    /// <summary>Mapper children created, per message id (through the injected factory).</summary>
    public ConcurrentDictionary<MessageId, int> MapperStarts { get; } = new();

    public async Task<MessageId> SubmitAsync(byte[] message, string source = "test")
    {
        var result = await Node.Ingress.SubmitAsync(message, source);
        return result is SubmitResult.Accepted a ? a.MessageId : throw new InvalidOperationException($"not accepted: {result}");
    }

    public async Task<IReadOnlyList<MessageId>> SubmitAllAsync(IReadOnlyList<byte[]> messages, int parallelism = 32)
    {
        var ids = new MessageId[messages.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, messages.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (i, _) => ids[i] = await SubmitAsync(messages[i], $"test-{i}"));
        return ids;
    }

    public async Task<IReadOnlyList<GatewayProtocol.MessageOutcome>> WaitAllAsync(IEnumerable<MessageId> ids, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await Task.WhenAll(ids.Select(id => Outcomes.WaitAsync(id, cts.Token)));
    }

    public async Task<GatewayProtocol.GatewayStatus> StatusAsync() =>
        await Node.Gateway.Ask<GatewayProtocol.GatewayStatus>(GatewayProtocol.GetStatus.Instance, TimeSpan.FromSeconds(10));

    public void Dispose() => Outcomes.Dispose();
}
