using Bakong.Identity;
using Grpc.Core;

namespace Bakong.Gateway.Access;

/// <summary>Who made a call, as <see cref="AuthenticationInterceptor"/> established it.</summary>
/// <param name="Client">The client its key belongs to; null when <c>Auth:Mode</c> is <c>None</c> (anyone may do anything).</param>
internal sealed record Caller(ApiClient? Client)
{
    /// <summary>The caller of a gateway without keys.</summary>
    public static Caller Unrestricted { get; } = new(Client: null);

    /// <summary>The client id for logs and the audit; <c>-</c> without keys.</summary>
    public string Id => Client?.Id ?? "-";

    /// <summary>Whether the connection presented the TLS client certificate the client is bound to (mutual TLS).</summary>
    public bool PresentedCertificate { get; init; }

    /// <summary>How the caller proved who it is, for the audit: <c>key</c>, <c>key+certificate</c>, or <c>none</c> without keys.</summary>
    public string Method => Client is null ? "none" : PresentedCertificate ? "key+certificate" : "key";
}

/// <summary>Where a call's <see cref="Caller"/> is kept for the service that serves it.</summary>
internal static class CallerContext
{
    private static readonly object s_key = typeof(Caller);

    public static void SetCaller(this ServerCallContext context, Caller caller) => context.UserState[s_key] = caller;

    /// <summary>The authenticated caller, or null when authentication refused the call (for the audit of refusals).</summary>
    public static Caller? CallerOrNull(this ServerCallContext context) =>
        context.UserState.TryGetValue(s_key, out var caller) ? caller as Caller : null;

    /// <summary>The authenticated caller; a call that was not authenticated is a wiring bug, never "anyone".</summary>
    public static Caller Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(s_key, out var caller) && caller is Caller known
            ? known
            : throw new InvalidOperationException("The call reached a service without passing the authentication interceptor.");
}
