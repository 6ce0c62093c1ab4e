using ActorGateway.Actors.Actors;
using ActorGateway.Actors.Configuration;
using ActorGateway.Actors.Tests.Support;
using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using Xunit.Abstractions;

namespace ActorGateway.Actors.Tests.Actors;

public sealed class RouteReloaderActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly TestDataDir _dir;

    public RouteReloaderActorSpecs(ITestOutputHelper output) : this(output, new TestDataDir())
    {
    }

    private RouteReloaderActorSpecs(ITestOutputHelper output, TestDataDir dir) : base(dir.Config(), "reloader-specs", output) => _dir = dir;

    [Fact]
    public async Task Should_apply_a_changed_directory_file_without_a_restart()
    {
        var config = Sys.Settings.Config;
        var loadedFrom = RouteReloaderActor.Snapshot(config, _dir.Path);
        var routes = new RouteTableSource(RouteConfig.Load(config, _dir.Path));
        var ceo = new SourceAddress(AddressRole.To, "ceo@contoso.com", "   ");
        Assert.IsType<AddressMapResult.Failed>(AddressMapper.MapRecipient(ceo, routes.Current));
        Sys.ActorOf(RouteReloaderActor.Props(config, _dir.Path, routes, TimeSpan.FromMilliseconds(100), loadedFrom));

        File.WriteAllText(Path.Combine(_dir.Path, "directory.csv"), "ceo@contoso.com,CEO,VMNODE9\n");

        await AwaitAssertAsync(() =>
        {
            var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapRecipient(ceo, routes.Current));
            Assert.Equal("CEO@VMNODE9", mapped.Address.Target);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Should_apply_a_directory_edit_at_once_when_asked_to_reload_now()
    {
        var config = Sys.Settings.Config;
        var routes = new RouteTableSource(RouteConfig.Load(config, _dir.Path));
        var jdoe = new SourceAddress(AddressRole.To, "jdoe@contoso.com", "     ");
        // An interval far longer than the test: only ReloadNow can pick the edit up.
        Sys.ActorOf(RouteReloaderActor.Props(config, _dir.Path, routes, TimeSpan.FromHours(1), RouteReloaderActor.Snapshot(config, _dir.Path)), RouteReloaderActor.Name);

        File.WriteAllText(Path.Combine(_dir.Path, "directory.csv"), "jdoe@contoso.com,JDOE,VMNODE1\n");
        var answer = await RouteReloaderActor.ReloadNowAsync(Sys, TimeSpan.FromSeconds(10));

        Assert.Null(answer.Error);
        var mapped = Assert.IsType<AddressMapResult.Mapped>(AddressMapper.MapRecipient(jdoe, routes.Current));
        Assert.Equal("JDOE@VMNODE1", mapped.Address.Target);
    }

    [Fact]
    public async Task Should_keep_the_previous_table_when_the_new_configuration_cannot_be_loaded()
    {
        var config = _dir.Config("actor-gateway.routes = [ { name = broken, domains = [\"contoso.com\"], profile { kind = \"profs\", node = \"THIS-NODE-NAME-IS-INVALID\", directory = \"directory.csv\" } } ]");
        var previous = new RouteTable([]);
        var routes = new RouteTableSource(previous);
        Sys.ActorOf(RouteReloaderActor.Props(config, _dir.Path, routes, TimeSpan.FromMilliseconds(100), RouteReloaderActor.Snapshot(config, _dir.Path)));

        await EventFilter.Warning(contains: "GW-ROUTES-RELOAD-FAILED").ExpectOneAsync(TimeSpan.FromSeconds(10), () =>
        {
            File.WriteAllText(Path.Combine(_dir.Path, "directory.csv"), "ceo@contoso.com,CEO,VMNODE9\n");
            return Task.CompletedTask;
        });

        Assert.Same(previous, routes.Current);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
