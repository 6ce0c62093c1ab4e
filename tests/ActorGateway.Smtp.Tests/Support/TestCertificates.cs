using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorGateway.Smtp.Tests.Support;

/// <summary>A throw-away directory with a fresh self-signed certificate for mx.gateway.test, as PKCS#12 and as PEM.</summary>
public sealed class TestCertificates : IDisposable
{
    public const string PfxPassword = "test-password";

    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "agw-smtp-cert-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=mx.gateway.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.gateway.test");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        PfxPath = Path.Combine(Directory, "smtp.pfx");
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pkcs12, PfxPassword));
        PemCertificatePath = Path.Combine(Directory, "smtp.crt");
        File.WriteAllText(PemCertificatePath, certificate.ExportCertificatePem());
        PemKeyPath = Path.Combine(Directory, "smtp.key");
        File.WriteAllText(PemKeyPath, key.ExportPkcs8PrivateKeyPem());
    }

    public string Directory { get; }

    public string PfxPath { get; }

    public string PemCertificatePath { get; }

    public string PemKeyPath { get; }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
