using ActorGateway.Host.Cli;

// stdout carries only what a command prints as its result (a table, or JSON for --json). Everything else that writes
// to Console.Out (Akka's stdout logger, CoordinatedShutdown's CLR exit hook, which can log after Main returns) goes to
// stderr instead, so `gateway ... --json | jq` always parses.
var result = Console.Out;
Console.SetOut(Console.Error);
return await GatewayCli.RunAsync(args, result, Console.Error);
