using ActorGateway.Host.Cli;

return await GatewayCli.RunAsync(args);
