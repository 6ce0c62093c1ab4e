using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ActorGateway.Actors.Configuration;

/// <summary>
/// Parses a listener's <c>HOST:PORT</c> (the ESMTP listener, the admin API): an IPv4 address, <c>[IPv6]</c>,
/// <c>localhost</c> or <c>*</c>, and a port 0–65535 (0 = any free port). Host names are not resolved, so a
/// listener never binds somewhere the operator did not write down.
/// </summary>
public static class ListenAddress
{
    /// <param name="examplePort">The port the error messages use in their examples (25, 8025, …).</param>
    public static IPEndPoint Parse(string text, int examplePort)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']');
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':')
            {
                throw new FormatException($"'{text}' is not HOST:PORT; write an IPv6 address as [::1]:{examplePort}");
            }
            var v6Host = value[1..close];
            if (!IPAddress.TryParse(v6Host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw new FormatException($"'{v6Host}' in '{text}' is not an IPv6 address");
            }
            return new IPEndPoint(v6, ParsePort(value[(close + 2)..], text));
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || value.IndexOf(':') != colon)
        {
            throw new FormatException(value.Count(c => c == ':') > 1
                ? $"'{text}' looks like an IPv6 address without brackets; write [::1]:{examplePort}"
                : $"'{text}' is not HOST:PORT (for example 127.0.0.1:{examplePort}, [::1]:{examplePort} or localhost:{examplePort})");
        }
        var host = value[..colon];
        IPAddress address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (host == "*") address = IPAddress.Any;
        else if (IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && host.Count(c => c == '.') == 3) address = v4;
        else throw new FormatException($"'{host}' in '{text}' is not an IPv4 address, [IPv6], localhost or *; host names are not resolved");
        return new IPEndPoint(address, ParsePort(value[(colon + 1)..], text));
    }

    private static int ParsePort(string port, string text)
    {
        if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit)
            || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > IPEndPoint.MaxPort)
        {
            throw new FormatException($"'{port}' in '{text}' is not a port number (0-65535)");
        }
        return n;
    }
}
