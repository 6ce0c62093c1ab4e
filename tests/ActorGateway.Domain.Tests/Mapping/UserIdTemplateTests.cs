using ActorGateway.Domain.Mapping;

namespace ActorGateway.Domain.Tests.Mapping;

public class UserIdTemplateTests
{
    private static string RenderDefault(string displayName) =>
        UserIdTemplate.Parse(UserIdTemplate.Default).Render(PersonName.Parse(displayName), 8);

    [Theory]
    [InlineData("John Smith", "JSMITH")]
    [InlineData("Smith, John", "JSMITH")]
    [InlineData("Dennis MacAlistair Ritchie", "DRITCHIE")]
    [InlineData("Margaret Hamilton", "MHAMILTO")]
    [InlineData("Zoë Müller", "ZMULLER")]
    [InlineData("Bjørn Ødegård", "BODEGARD")]
    [InlineData("Søren Kierkegaard", "SKIERKEG")]
    [InlineData("Søren", "SOREN")]
    [InlineData("Heinz Großmann", "HGROSSMA")]
    [InlineData("Jürgen Weiß", "JWEISS")]
    [InlineData("O'Brien, Patrick", "POBRIEN")]
    [InlineData("Tim Berners-Lee", "TBERNERS")]
    [InlineData("Ada Lovelace (Analytics)", "ALOVELAC")]
    [InlineData("Robert Downey Jr.", "RDOWNEY")]
    [InlineData("Madonna", "MADONNA")]
    [InlineData("john smith", "JSMITH")]
    public void Should_render_the_default_template_from_first_initial_and_surname(string displayName, string expected)
    {
        Assert.Equal(expected, RenderDefault(displayName));
    }

    [Fact]
    public void Should_use_first_initial_and_surname_as_the_default_template()
    {
        Assert.Equal("{first-initial}{surname}", UserIdTemplate.Default);
    }

    [Theory]
    [InlineData("{given}{surname-initial}", "John Smith", "JOHNS")]
    [InlineData("{surname}{first-initial}", "John Smith", "SMITHJ")]
    [InlineData("{given}.{surname}", "John Smith", "JOHNSMIT")]
    [InlineData("{given}", "Smith, John", "JOHN")]
    [InlineData("X{surname}", "John Smith", "XSMITH")]
    [InlineData("{surname}01", "John Smith", "SMITH01")]
    [InlineData("{surname-initial}{given}", "Smith, John", "SJOHN")]
    [InlineData("guest", "John Smith", "GUEST")]
    [InlineData("{given}{surname}", "Madonna", "MADONNA")]
    public void Should_render_other_templates_with_literal_text(string template, string displayName, string expected)
    {
        Assert.Equal(expected, UserIdTemplate.Parse(template).Render(PersonName.Parse(displayName), 8));
    }

    [Theory]
    [InlineData(3, "JSM")]
    [InlineData(6, "JSMITH")]
    [InlineData(12, "JSMITH")]
    public void Should_cut_the_result_to_the_maximum_length(int maxLength, string expected)
    {
        Assert.Equal(expected, UserIdTemplate.Parse(UserIdTemplate.Default).Render(new PersonName("John", "Smith"), maxLength));
    }

    [Fact]
    public void Should_render_an_empty_string_when_the_name_has_nothing_usable()
    {
        Assert.Equal(string.Empty, RenderDefault("李小龍"));
    }

    [Theory]
    [InlineData("{middle}")]
    [InlineData("{given}{middle-initial}")]
    [InlineData("{Given}")]
    [InlineData("{SURNAME}")]
    [InlineData("{given_name}")]
    [InlineData("{first initial}")]
    [InlineData("{}")]
    public void Should_reject_an_unknown_token_with_a_format_exception(string template)
    {
        var ex = Assert.Throws<FormatException>(() => UserIdTemplate.Parse(template));
        Assert.Contains("unknown token", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Should_reject_an_empty_template(string template)
    {
        Assert.Throws<FormatException>(() => UserIdTemplate.Parse(template));
    }

    [Fact]
    public void Should_show_its_text_as_its_string_form()
    {
        Assert.Equal("{given}{surname-initial}", UserIdTemplate.Parse("{given}{surname-initial}").ToString());
    }
}
