using ActorGateway.Domain.Mapping;

namespace ActorGateway.Domain.Tests.Mapping;

public class PersonNameTests
{
    [Theory]
    [InlineData("John Smith", "John", "Smith")]
    [InlineData("Smith, John", "John", "Smith")]
    [InlineData("Dennis MacAlistair Ritchie", "Dennis", "Ritchie")]
    [InlineData("Ritchie, Dennis MacAlistair", "Dennis", "Ritchie")]
    [InlineData("Madonna", "", "Madonna")]
    [InlineData("Ada Lovelace (Analytics)", "Ada", "Lovelace")]
    [InlineData("Ada Lovelace [Analytics]", "Ada", "Lovelace")]
    [InlineData("(Sales) Grace Hopper", "Grace", "Hopper")]
    [InlineData("Robert Downey Jr.", "Robert", "Downey")]
    [InlineData("Downey Jr., Robert", "Robert", "Downey")]
    [InlineData("Martin Luther King III", "Martin", "King")]
    [InlineData("\"John Smith\"", "John", "Smith")]
    [InlineData("  John \t Smith  ", "John", "Smith")]
    [InlineData("John\u00A0Smith", "John", "Smith")]
    [InlineData("John\u200BSmith", "John", "Smith")]
    [InlineData("Smith,", "", "Smith")]
    [InlineData(", John", "", "John")]
    [InlineData("Tim Berners-Lee", "Tim", "Berners-Lee")]
    [InlineData("Dr. Grace Hopper", "Grace", "Hopper")]
    [InlineData("Patrick O'Brien", "Patrick", "O'Brien")]
    [InlineData("'John Smith'", "John", "Smith")]
    [InlineData("Hopper, Dr. Grace", "Grace", "Hopper")]
    [InlineData("Prof Sir Tim Berners-Lee", "Tim", "Berners-Lee")]
    [InlineData("Dr.", "", "Dr.")]
    public void Should_split_a_display_name_into_given_name_and_surname(string displayName, string given, string surname)
    {
        Assert.Equal(new PersonName(given, surname), PersonName.Parse(displayName));
    }

    [Fact]
    public void Should_keep_a_multi_word_surname_written_before_the_comma()
    {
        Assert.Equal(new PersonName("Ludwig", "van Beethoven"), PersonName.Parse("van Beethoven, Ludwig"));
    }

    [Fact]
    public void Should_keep_an_apostrophe_inside_a_surname_and_drop_it_only_when_normalising()
    {
        Assert.Equal(new PersonName("Patrick", "O'Brien"), PersonName.Parse("O'Brien, Patrick"));
        Assert.Equal(new PersonName("Patrick", "O'Brien"), PersonName.Parse("Patrick O'Brien"));
        Assert.Equal("OBRIEN", PersonName.Normalize("O'Brien"));
    }

    [Theory]
    [InlineData("(comment only)")]
    [InlineData("[bracketed]")]
    [InlineData("Jr.")]
    [InlineData(", ")]
    public void Should_yield_an_empty_name_when_only_comments_suffixes_or_punctuation_separators_remain(string displayName)
    {
        Assert.Equal(new PersonName(string.Empty, string.Empty), PersonName.Parse(displayName));
    }

    [Theory]
    [InlineData("smith", "SMITH")]
    [InlineData("Zoë", "ZOE")]
    [InlineData("Müller", "MULLER")]
    [InlineData("Søren", "SOREN")]
    [InlineData("Ødegård", "ODEGARD")]
    [InlineData("Großmann", "GROSSMANN")]
    [InlineData("Æsir", "AESIR")]
    [InlineData("Œuvre", "OEUVRE")]
    [InlineData("Łukasz", "LUKASZ")]
    [InlineData("Đorđe", "DORDE")]
    [InlineData("Þór", "THOR")]
    [InlineData("Guðrún", "GUDRUN")]
    [InlineData("Yıldız", "YILDIZ")]
    [InlineData("François", "FRANCOIS")]
    [InlineData("Berners-Lee", "BERNERSLEE")]
    [InlineData("O'Brien", "OBRIEN")]
    [InlineData("R2 D2", "R2D2")]
    [InlineData("!!!", "")]
    [InlineData("李小龍", "")]
    public void Should_normalise_to_uppercase_ascii_letters_and_digits(string text, string expected)
    {
        Assert.Equal(expected, PersonName.Normalize(text));
    }

    [Theory]
    [InlineData("A")]
    [InlineData(" x ")]
    [InlineData("!!!")]
    [InlineData("李")]
    [InlineData("\u034F")] // combining grapheme joiner: a mark, not white space; unusable rather than blank
    public void Should_not_call_a_name_with_any_visible_character_blank(string displayName)
    {
        Assert.False(PersonName.IsBlank(displayName));
    }

    [Theory]
    [InlineData("Zo\uFFFEë M\uFFFFüller", "ZOEMULLER")]
    [InlineData("Ada\uD800 Lovelace", "ADALOVELACE")]
    [InlineData("Grace \uFDD0Hopper", "GRACEHOPPER")]
    public void Should_normalize_text_with_noncharacters_and_lone_surrogates_without_throwing(string text, string expected)
    {
        Assert.Equal(expected, PersonName.Normalize(text));
    }
}
