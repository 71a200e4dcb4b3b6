using System.Globalization;

namespace Bakong.Khqr;

/// <summary>
/// Why a KHQR could not be generated or is not valid: the official SDK's code and message, the input field it is
/// about (by the SDK's field name, e.g. <c>merchantName</c>, or a tag such as <c>tag 62</c>), and a detail in
/// plain words where the SDK's message alone would leave the user guessing.
/// </summary>
public sealed class KhqrError
{
    /// <summary>An error with the SDK's message for <paramref name="code"/>; adapters (CLI, gRPC) use this to report
    /// input they reject before it reaches the codec in the same form.</summary>
    public KhqrError(KhqrErrorCode code, string? field, string? detail = null)
    {
        Code = code;
        Field = field;
        Detail = detail;
    }

    /// <summary>The SDK's error number (1–51).</summary>
    public KhqrErrorCode Code { get; }

    /// <summary>The SDK's message for <see cref="Code"/>, verbatim.</summary>
    public string Message => KhqrErrorMessages.For(Code);

    /// <summary>The input field or tag at fault, when there is one.</summary>
    public string? Field { get; }

    /// <summary>What exactly is wrong, beyond the SDK's message.</summary>
    public string? Detail { get; }

    /// <summary>One line: <c>merchantName: Merchant Name Length is invalid (KHQR error 7): 26 characters, at most 25</c>.</summary>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Message} (KHQR error {(int)Code})");
        if (Field is not null)
        {
            text = Field + ": " + text;
        }

        return Detail is null ? text : text + ": " + Detail;
    }
}
