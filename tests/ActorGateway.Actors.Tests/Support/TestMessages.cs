using System.Text;

namespace ActorGateway.Actors.Tests.Support;

/// <summary>Builds RFC 5322 messages for tests.</summary>
public static class TestMessages
{
    public const string PoisonDisplayName = "     ";

    public static byte[] Build(int n, string toDisplayName = "Alice Example", string toAddress = "alice@contoso.com", string? cc = null)
    {
        var sb = new StringBuilder();
        sb.Append("From: \"Bob Sender\" <bob@fabrikam.com>\r\n");
        sb.Append($"To: \"{toDisplayName}\" <{toAddress}>\r\n");
        if (cc is not null) sb.Append($"Cc: {cc}\r\n");
        sb.Append($"Subject: test message {n}\r\n");
        sb.Append($"Message-ID: <test-{n}@fabrikam.com>\r\n");
        sb.Append("Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n");
        sb.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        sb.Append($"Body of message {n}.\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] Poison(int n) => Build(n, PoisonDisplayName, "ghost@contoso.com");
}
