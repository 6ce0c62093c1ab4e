using System.Text;

namespace ActorGateway.Benchmarks;

/// <summary>
/// Generated RFC 5322 messages of about 2 KB: one <c>contoso.com</c> recipient with an ordinary display
/// name (the default PROFS route maps it by template), or, for poison, a display name of five spaces
/// (<c>GW-MAP-BLANK-DISPLAY-NAME</c>). Deterministic per (tag, n); cheap enough to build inside the timed loop.
/// </summary>
public static class BenchMail
{
    public const string PoisonDisplayName = "     ";
    public const int TargetSize = 2048;

    private static readonly string[] Given =
    [
        "Grace", "Alan", "Ada", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Niklaus",
        "Radia", "Ken", "Dennis", "Katherine", "Tim", "Linus", "Anita", "Butler", "Leslie", "Shafi", "Zoë", "Patrick",
    ];

    private static readonly string[] Surnames =
    [
        "Hopper", "Turing", "Lovelace", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Wirth",
        "Perlman", "Thompson", "Ritchie", "Johnson", "Berners-Lee", "Torvalds", "Borg", "Lampson", "Lamport",
        "Goldwasser", "Müller", "O'Brien",
    ];

    private const string Paragraph =
        "Please find below the figures for the quarter as discussed in Tuesday's review meeting. The regional\r\n" +
        "numbers were reconciled against the ledger on Friday; two corrections from the northern office are\r\n" +
        "included. Let me know before the end of the week if anything needs to change before it goes to the\r\n" +
        "board. Invoices above the approval limit are listed separately in the attachment that follows.\r\n";

    public static byte[] Build(string tag, int n, bool poison = false)
    {
        var given = Given[n % Given.Length];
        var surname = Surnames[(n / Given.Length) % Surnames.Length];
        string display, address;
        if (poison)
        {
            (display, address) = (PoisonDisplayName, $"ghost{n}@contoso.com");
        }
        else
        {
            display = n % 7 == 3 ? $"{surname}, {given}" : $"{given} {surname}";
            address = $"{Ascii(given)}.{Ascii(surname)}{n}@contoso.com".ToLowerInvariant();
        }

        var sb = new StringBuilder(TargetSize + 256);
        sb.Append("From: \"Bob Sender\" <bob.sender@fabrikam.com>\r\n");
        sb.Append("To: \"").Append(display).Append("\" <").Append(address).Append(">\r\n");
        sb.Append("Subject: Quarterly figures, batch ").Append(tag).Append(" item ").Append(n).Append("\r\n");
        sb.Append("Message-ID: <").Append(SourceMessageId(tag, n)).Append(">\r\n");
        sb.Append("Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n");
        sb.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        sb.Append("Hello ").Append(poison ? "team" : given).Append(",\r\n\r\n");
        while (sb.Length + Paragraph.Length + 40 <= TargetSize) sb.Append(Paragraph).Append("\r\n");
        sb.Append("Regards,\r\nBob\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The source Message-ID (without angle brackets); B6 finds it again in the spool copy.</summary>
    public static string SourceMessageId(string tag, int n) => $"bench-{tag}-{n}@fabrikam.com";

    private static string Ascii(string s) => s.Replace("ë", "e").Replace("ü", "u").Replace("'", "");
}
