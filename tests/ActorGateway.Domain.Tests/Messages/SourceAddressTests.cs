using ActorGateway.Domain.Messages;

namespace ActorGateway.Domain.Tests.Messages;

public class SourceAddressTests
{
    [Theory]
    [InlineData("john@Contoso.COM", "contoso.com")]
    [InlineData("\"a@b\"@contoso.com", "contoso.com")]
    [InlineData("jsmith", "")]
    [InlineData("jsmith@", "")]
    [InlineData("", "")]
    public void Should_take_the_lowercased_domain_after_the_last_at_sign(string address, string domain)
    {
        Assert.Equal(domain, new SourceAddress(AddressRole.To, address, null).Domain);
    }

    [Theory]
    [InlineData(null, "<jdoe@contoso.com>")]
    [InlineData("     ", "\"     \" <jdoe@contoso.com>")]
    [InlineData("John Smith", "\"John Smith\" <jdoe@contoso.com>")]
    public void Should_show_the_display_name_verbatim(string? displayName, string expected)
    {
        Assert.Equal(expected, new SourceAddress(AddressRole.To, "jdoe@contoso.com", displayName).ToString());
    }
}
