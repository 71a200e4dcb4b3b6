using System.Diagnostics.CodeAnalysis;

namespace Bakong.Khqr;

/// <summary>A verify verdict: valid, or invalid with the reason.</summary>
public readonly struct KhqrVerification
{
    private KhqrVerification(KhqrError? error) => Error = error;

    public static KhqrVerification Valid { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    public KhqrError? Error { get; }

    public static KhqrVerification Invalid(KhqrError error) => new(error ?? throw new ArgumentNullException(nameof(error)));
}
