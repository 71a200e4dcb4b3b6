using Bakong.Identity;

namespace Bakong.Gateway.Access;

/// <summary>What a call needs before its service sees it.</summary>
internal enum MethodAccess
{
    /// <summary>Anyone: load balancers and orchestrators ask for health without a key.</summary>
    Open,

    /// <summary>Any valid client; what it may see is then decided per payment by <see cref="AccessPolicy"/>.</summary>
    Client,

    /// <summary>Operators only: the admin API, reflection, the displays' status.</summary>
    Operator,

    /// <summary>A cashier's call: terminals and operators, not kiosks (<c>VerifyTransaction</c>).</summary>
    Cashier,
}

/// <summary>
/// The one place that decides what a caller may do. The interceptor asks <see cref="Of"/> for each method; the payment
/// service asks the rest for each payment and terminal. A terminal or kiosk acts for the terminal ids it is bound to;
/// an operator, and every caller of a gateway without keys, for all.
/// </summary>
/// <remarks>
/// A payment of a terminal the caller is not bound to is "not found", never "forbidden": an id must not tell another
/// terminal that a payment exists. A create for such a terminal is PERMISSION_DENIED: the caller named the terminal.
/// </remarks>
internal static class AccessPolicy
{
    private const string HealthService = "/grpc.health.v1.Health/";
    private const string PaymentService = "/bakong.payments.v1.PaymentService/";

    /// <summary>
    /// Receipt verification: a cashier reads the customer's receipt. A kiosk is a self-service page with nobody to read
    /// one, and its key sits in a public place: it may not probe Bakong for other people's transactions.
    /// </summary>
    public const string VerifyTransactionMethod = PaymentService + "VerifyTransaction";

    /// <summary>The settlement report's method; its CSV twin on the Web endpoint is held to this method's rule.</summary>
    public const string SettlementReportMethod = "/bakong.admin.v1.AdminService/GetSettlementReport";

    /// <summary>
    /// What <paramref name="method"/> (<c>/package.Service/Method</c>) needs. Anything not named here is for operators,
    /// so a service added later is closed until it is given its rule.
    /// </summary>
    /// <remarks>The display service is for operators: it shows every counter's device health and port, not payments.</remarks>
    public static MethodAccess Of(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.StartsWith(HealthService, StringComparison.Ordinal))
        {
            return MethodAccess.Open;
        }

        if (method == VerifyTransactionMethod)
        {
            return MethodAccess.Cashier;
        }

        return method.StartsWith(PaymentService, StringComparison.Ordinal) ? MethodAccess.Client : MethodAccess.Operator;
    }

    /// <summary>Whether <paramref name="caller"/> may make a call that needs <paramref name="access"/>.</summary>
    public static bool Allows(Caller caller, MethodAccess access)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return access switch
        {
            MethodAccess.Open => true,
            MethodAccess.Client => true,
            MethodAccess.Cashier => caller.Client is null || caller.Client.Role != ClientRole.Kiosk,
            _ => caller.Client is null || caller.Client.Role == ClientRole.Operator,
        };
    }

    /// <summary>What a caller that <see cref="Allows"/> refuses is told (PERMISSION_DENIED).</summary>
    public static string Refusal(MethodAccess access) => access == MethodAccess.Cashier
        ? "A kiosk's key may not make this call: use a terminal's or an operator's key."
        : "Only an operator's key may make this call.";

    /// <summary>
    /// The terminal a verification is recorded at: the one named (the caller must be bound to it: see
    /// <see cref="MayActFor"/>), else the caller's only terminal, else none (empty).
    /// </summary>
    public static string VerifyingTerminal(Caller caller, string requested)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(requested);
        return requested.Length > 0 ? requested
            : caller.Client is { Role: not ClientRole.Operator, TerminalIds: [var only] } ? only
            : "";
    }

    /// <summary>Whether the caller may create a payment for, or list the payments of, <paramref name="terminalId"/>.</summary>
    public static bool MayActFor(Caller caller, string terminalId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Client is null || caller.Client.Covers(terminalId);
    }

    /// <summary>Whether the caller may see (get, watch, cancel) <paramref name="payment"/>.</summary>
    public static bool MaySee(Caller caller, Payments.Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return MayActFor(caller, payment.TerminalId);
    }

    /// <summary>The terminals whose payments a list may show; null for all.</summary>
    public static IReadOnlySet<string>? ListScope(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Client is null || caller.Client.Role == ClientRole.Operator
            ? null
            : caller.Client.TerminalIds.ToHashSet(StringComparer.Ordinal);
    }
}
