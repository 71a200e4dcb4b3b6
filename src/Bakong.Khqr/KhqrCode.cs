namespace Bakong.Khqr;

/// <summary>A generated KHQR: the payload to draw as a QR code and its md5, the key for Bakong's status checks.</summary>
public sealed class KhqrCode
{
    internal KhqrCode(string qr, string md5)
    {
        Qr = qr;
        Md5 = md5;
    }

    /// <summary>The EMV payload, ending in the CRC field <c>6304XXXX</c>.</summary>
    public string Qr { get; }

    /// <summary>Lower-case hex MD5 of the payload's UTF-8 bytes.</summary>
    public string Md5 { get; }
}
