using ActorGateway.Domain.Mapping;
using ActorGateway.Domain.Messages;
using static ActorGateway.Domain.Tests.TestData;

namespace ActorGateway.Domain.Tests.Mapping;

public class ProfsAddressProfileTests
{
    private static MappedAddress AssertMapped(AddressMapResult result) =>
        Assert.IsType<AddressMapResult.Mapped>(result).Address;

    private static AddressMapResult.Failed AssertFailed(AddressMapResult result, string reasonCode)
    {
        var failed = Assert.IsType<AddressMapResult.Failed>(result);
        Assert.Equal(reasonCode, failed.ReasonCode);
        return failed;
    }

    [Theory]
    [InlineData("John Smith", "JSMITH@VMNODE1")]
    [InlineData("Smith, John", "JSMITH@VMNODE1")]
    [InlineData("Dennis MacAlistair Ritchie", "DRITCHIE@VMNODE1")]
    [InlineData("Margaret Hamilton", "MHAMILTO@VMNODE1")]
    [InlineData("Zoë Müller", "ZMULLER@VMNODE1")]
    [InlineData("Bjørn Ødegård", "BODEGARD@VMNODE1")]
    [InlineData("Søren", "SOREN@VMNODE1")]
    [InlineData("Heinz Großmann", "HGROSSMA@VMNODE1")]
    [InlineData("O'Brien, Patrick", "POBRIEN@VMNODE1")]
    [InlineData("Tim Berners-Lee", "TBERNERS@VMNODE1")]
    [InlineData("Ada Lovelace (Analytics)", "ALOVELAC@VMNODE1")]
    [InlineData("Robert Downey Jr.", "RDOWNEY@VMNODE1")]
    [InlineData("Madonna", "MADONNA@VMNODE1")]
    [InlineData("  John Smith  ", "JSMITH@VMNODE1")]
    [InlineData("\u200BJohn Smith\u00A0", "JSMITH@VMNODE1")]
    public void Should_map_a_display_name_through_the_default_template(string displayName, string expected)
    {
        var mapped = AssertMapped(Profile().Map(To("someone@contoso.com", displayName)));

        Assert.Equal(new MappedAddress(AddressRole.To, "someone@contoso.com", expected, "template"), mapped);
    }

    [Fact]
    public void Should_never_fall_back_to_the_local_part()
    {
        AssertFailed(Profile().Map(To("jsmith@contoso.com", null)), ReasonCodes.MapBlankDisplayName);
    }

    [Fact]
    public void Should_use_the_configured_template_and_maximum_length()
    {
        var profile = new ProfsAddressProfile("VMN1", UserIdTemplate.Parse("{given}{surname}"), AddressDirectory.Empty, maxLength: 6);

        Assert.Equal("JOHNSM@VMN1", AssertMapped(profile.Map(To("j@contoso.com", "John Smith"))).Target);
    }

    [Fact]
    public void Should_prefer_a_directory_entry_over_the_template()
    {
        var profile = Profile(Directory("jsmith@contoso.com,BOSS,VMNODE2"));

        var mapped = AssertMapped(profile.Map(To("jsmith@contoso.com", "John Smith")));

        Assert.Equal(new MappedAddress(AddressRole.To, "jsmith@contoso.com", "BOSS@VMNODE2", "directory"), mapped);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("     ")]
    [InlineData("\u200B")]
    [InlineData("李小龍")]
    public void Should_map_a_directory_entry_even_when_the_display_name_is_blank_or_unusable(string? displayName)
    {
        var profile = Profile(Directory("ceo@contoso.com,CEO,VMNODE1"));

        Assert.Equal("CEO@VMNODE1", AssertMapped(profile.Map(To("ceo@contoso.com", displayName))).Target);
    }

    [Fact]
    public void Should_find_directory_entries_regardless_of_address_case()
    {
        var profile = Profile(Directory("ceo@contoso.com,CEO,VMNODE1"));

        Assert.Equal("directory", AssertMapped(profile.Map(To("CEO@Contoso.COM", null))).Method);
    }

    [Fact]
    public void Should_use_the_template_for_addresses_not_in_the_directory()
    {
        var profile = Profile(Directory("ceo@contoso.com,CEO,VMNODE1"));

        Assert.Equal("JSMITH@VMNODE1", AssertMapped(profile.Map(To("john@contoso.com", "John Smith"))).Target);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("     ")] // the seed: five U+0020
    [InlineData("\t")]
    [InlineData("\t\t ")]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("\u00A0")] // no-break space
    [InlineData("\u00A0\u00A0\u00A0")]
    [InlineData("\u2007")] // figure space
    [InlineData("\u202F")] // narrow no-break space
    [InlineData("\u3000")] // ideographic space
    [InlineData("\u200B")] // zero-width space
    [InlineData("\u200C")] // zero-width non-joiner
    [InlineData("\u200D")] // zero-width joiner
    [InlineData("\u2060")] // word joiner
    [InlineData("\uFEFF")] // byte order mark / zero-width no-break space
    [InlineData("\u00AD")] // soft hyphen
    [InlineData("\u2028")] // line separator
    [InlineData("\u2029")] // paragraph separator
    [InlineData("\u0085")] // next line
    [InlineData("\u0000")]
    [InlineData("\u2800")] // braille pattern blank
    [InlineData("\u3164")] // hangul filler
    [InlineData("\uFFA0")] // halfwidth hangul filler
    [InlineData("\u115F\u1160")] // hangul choseong/jungseong fillers
    [InlineData(" \u00A0\u200B\t\u3000\uFEFF\u2800\u3164 ")]
    [InlineData("\u200D\u200D\u200D\u200D\u200D")]
    [InlineData("\r\n \u2007\u202F")]
    public void Should_report_a_blank_display_name_for_every_blank_like_form(string? displayName)
    {
        Assert.True(PersonName.IsBlank(displayName));
        AssertFailed(Profile().Map(To("jdoe@contoso.com", displayName)), ReasonCodes.MapBlankDisplayName);
    }

    [Fact]
    public void Should_use_the_stable_operator_code_for_a_blank_display_name()
    {
        Assert.Equal("GW-MAP-BLANK-DISPLAY-NAME", ReasonCodes.MapBlankDisplayName);
        Assert.Equal("GW-MAP-UNUSABLE-DISPLAY-NAME", ReasonCodes.MapUnusableDisplayName);
    }

    [Fact]
    public void Should_describe_what_a_blank_display_name_consisted_of()
    {
        var failed = AssertFailed(Profile().Map(To("jdoe@contoso.com", "     ")), ReasonCodes.MapBlankDisplayName);

        Assert.Equal("no directory entry and the display name is blank (5 x U+0020)", failed.Detail);
    }

    [Fact]
    public void Should_describe_each_kind_of_invisible_character_in_a_blank_display_name()
    {
        var failed = AssertFailed(Profile().Map(To("jdoe@contoso.com", " \u00A0 \u200B")), ReasonCodes.MapBlankDisplayName);

        Assert.Contains("2 x U+0020", failed.Detail);
        Assert.Contains("1 x U+00A0", failed.Detail);
        Assert.Contains("1 x U+200B", failed.Detail);
    }

    [Theory]
    [InlineData(null, "no directory entry and no display name")]
    [InlineData("", "no directory entry and the display name is blank (empty)")]
    public void Should_tell_a_missing_display_name_from_an_empty_one(string? displayName, string detail)
    {
        Assert.Equal(detail, AssertFailed(Profile().Map(To("jdoe@contoso.com", displayName)), ReasonCodes.MapBlankDisplayName).Detail);
    }

    [Fact]
    public void Should_keep_the_source_address_in_a_failure()
    {
        var source = To("jdoe@contoso.com", "     ");

        Assert.Same(source, Profile().Map(source).Source);
    }

    [Theory]
    [InlineData("!!!")]
    [InlineData("---")]
    [InlineData("...")]
    [InlineData("李小龍")]
    [InlineData("(comment only)")]
    [InlineData("[Sales]")]
    [InlineData(", ")]
    [InlineData("Jr.")]
    [InlineData("\"\"")]
    [InlineData("''")]
    [InlineData("\u0301")] // a lone combining accent
    [InlineData("ＪＯＨＮ ＳＭＩＴＨ")] // fullwidth Latin is not folded (FormD, not FormKD)
    public void Should_report_an_unusable_display_name_when_nothing_usable_remains(string displayName)
    {
        Assert.False(PersonName.IsBlank(displayName));
        var failed = AssertFailed(Profile().Map(To("jdoe@contoso.com", displayName)), ReasonCodes.MapUnusableDisplayName);
        Assert.Contains(UserIdTemplate.Default, failed.Detail);
    }

    [Theory]
    [InlineData(0xD800)]
    [InlineData(0xDFFF)]
    public void Should_not_crash_on_a_lone_surrogate(int surrogate)
    {
        // Built here rather than in InlineData: an invalid UTF-16 string does not survive test discovery.
        var displayName = "Ab" + (char)surrogate + "cd Ef";

        Assert.Equal("AEF@VMNODE1", AssertMapped(Profile().Map(To("x@contoso.com", displayName))).Target);
        AssertFailed(Profile().Map(To("x@contoso.com", ((char)surrogate).ToString())), ReasonCodes.MapUnusableDisplayName);
    }

    [Fact]
    public void Should_call_itself_profs()
    {
        Assert.Equal("profs", Profile().Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("vmnode1")]
    [InlineData("VMNODE123")]
    [InlineData("VM-1")]
    [InlineData("VM NODE")]
    public void Should_reject_an_invalid_node(string node)
    {
        Assert.Throws<FormatException>(() => new ProfsAddressProfile(node, UserIdTemplate.Parse(UserIdTemplate.Default), AddressDirectory.Empty));
    }

    [Fact]
    public void Should_accept_a_longer_node_when_the_maximum_length_allows_it()
    {
        var profile = new ProfsAddressProfile("VMNODE123", UserIdTemplate.Parse(UserIdTemplate.Default), AddressDirectory.Empty, maxLength: 10);

        Assert.Equal("VMNODE123", profile.Node);
        Assert.Equal(10, profile.MaxLength);
    }
}
