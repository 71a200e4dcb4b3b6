using System.Diagnostics.CodeAnalysis;

namespace Bakong.Khqr;

/// <summary>A value or the reason there is none. Invalid input is an expected outcome here, not an exception.</summary>
public readonly struct KhqrResult<T>
    where T : class
{
    private KhqrResult(T? value, KhqrError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public KhqrError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

#pragma warning disable CA1000 // Static factories on the generic result are the idiomatic way to build it.
    public static KhqrResult<T> Success(T value) => new(value, null);

    public static KhqrResult<T> Failure(KhqrError error) => new(null, error);
#pragma warning restore CA1000

    public static implicit operator KhqrResult<T>(KhqrError error) => Failure(error);
}
