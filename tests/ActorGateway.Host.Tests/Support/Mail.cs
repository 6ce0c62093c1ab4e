using System.Text;

namespace ActorGateway.Host.Tests.Support;

public static class Mail
{
    public static string Build(int n, string displayName = "Alice Example", string address = "alice@contoso.com") =>
        $"From: \"Bob Sender\" <bob@fabrikam.com>\r\nTo: \"{displayName}\" <{address}>\r\nSubject: host test {n}\r\n" +
        $"Message-ID: <host-{n}@fabrikam.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nBody {n}\r\n";

    public static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));
        return path;
    }
}
