using System.Diagnostics.CodeAnalysis;

namespace Bakong.OpenApi.Client;

/// <summary>Why a call got no answer from Bakong that says anything about the request itself.</summary>
public enum BakongFaultKind
{
    /// <summary>HTTP 401 / errorCode 6: the token is missing, expired or invalid.</summary>
    Unauthorized,

    /// <summary>HTTP 403 with an HTML body: the production API only accepts Cambodian IP addresses.</summary>
    GeoBlocked,

    /// <summary>HTTP 429.</summary>
    RateLimited,

    /// <summary>HTTP 5xx.</summary>
    ServerError,

    /// <summary>No answer within the attempt or total timeout.</summary>
    Timeout,

    /// <summary>An answer that is not the documented envelope.</summary>
    Malformed,

    /// <summary>The circuit breaker is open after repeated faults; no call was made.</summary>
    CircuitOpen,

    /// <summary>Connection refused, DNS failure, TLS failure and the like.</summary>
    Unreachable,
}

/// <summary>A fault: what kind, a message fit for an operator (never the token), and the HTTP status if any.</summary>
public sealed record BakongFault(BakongFaultKind Kind, string Message, int? HttpStatus = null);

/// <summary>
/// The outcome of a Bakong call that returns no data: success, a Bakong error (<c>responseCode</c> 1 with its
/// <c>errorCode</c> and <c>responseMessage</c>), or a <see cref="BakongFault"/>.
/// </summary>
public sealed record BakongResult
{
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsSuccess => ErrorCode is null && Fault is null;

    /// <summary>Bakong's <c>errorCode</c> when it answered <c>responseCode</c> 1.</summary>
    public int? ErrorCode { get; init; }

    /// <summary>Bakong's <c>responseMessage</c>, or the fault's message.</summary>
    public string? Message { get; init; }

    public BakongFault? Fault { get; init; }

    /// <summary>A one-line description of what went wrong, or null on success.</summary>
    public string? Failure => Fault?.Message ?? (ErrorCode is { } code ? $"Bakong error {code}: {Message}" : null);

#pragma warning disable CA1000 // Factories on the result type are the clearest way to build it.
    public static BakongResult Success(string? message) => new() { Message = message };

    public static BakongResult Error(int errorCode, string? message) => new() { ErrorCode = errorCode, Message = message };

    public static BakongResult Failed(BakongFault fault) => new() { Fault = fault, Message = fault?.Message };
#pragma warning restore CA1000
}

/// <summary>Like <see cref="BakongResult"/>, with the data of a successful call.</summary>
public sealed record BakongResult<T>
{
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsSuccess => ErrorCode is null && Fault is null && Value is not null;

    public T? Value { get; init; }

    public int? ErrorCode { get; init; }

    public string? Message { get; init; }

    public BakongFault? Fault { get; init; }

    public string? Failure => Fault?.Message ?? (ErrorCode is { } code ? $"Bakong error {code}: {Message}" : Value is null ? "no data" : null);

#pragma warning disable CA1000 // Factories on the result type are the clearest way to build it.
    public static BakongResult<T> Success(T value, string? message) => new() { Value = value, Message = message };

    public static BakongResult<T> Error(int errorCode, string? message) => new() { ErrorCode = errorCode, Message = message };

    public static BakongResult<T> Failed(BakongFault fault) => new() { Fault = fault, Message = fault?.Message };
#pragma warning restore CA1000
}
