using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests;

/// <summary>Small builders shared by the tests.</summary>
internal static class TestData
{
    public const string Node = "VMNODE1";

    public static ProfsAddressProfile Profile(AddressDirectory? directory = null, string template = UserIdTemplate.Default, int maxLength = 8) =>
        new(Node, UserIdTemplate.Parse(template), directory ?? AddressDirectory.Empty, maxLength);

    public static SourceAddress To(string address, string? displayName) => new(AddressRole.To, address, displayName);

    public static AddressDirectory Directory(string csv)
    {
        var directory = AddressDirectory.Parse(csv, 8, out var problems);
        Assert.Empty(problems);
        return directory;
    }
}
