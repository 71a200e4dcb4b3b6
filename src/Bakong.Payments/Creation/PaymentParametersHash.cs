using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bakong.Payments.Creation;

/// <summary>
/// The fingerprint of a create request for idempotency (Stripe's rule): same request id and same hash → the same
/// payment; a different hash → a conflict, and <see cref="Differences"/> names the fields.
/// </summary>
public static class PaymentParametersHash
{
    /// <summary>Hex SHA-256 over a length-prefixed canonical form, versioned so the form can change.</summary>
    public static string Compute(PaymentParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder("v1");
        Append(text, parameters.TerminalId);
        Append(text, parameters.Money.CurrencyCode);
        Append(text, parameters.Money.MinorUnits.ToString(CultureInfo.InvariantCulture));
        Append(text, parameters.OrderRef);
        Append(text, parameters.ExpiresIn.Ticks.ToString(CultureInfo.InvariantCulture));
        Append(text, parameters.StoreLabel);
        Append(text, parameters.TerminalLabel);

        // Later fields are named and only written when set, so the hashes stored before them stay valid.
        Named(text, "purpose", parameters.PurposeOfTransaction);
        Named(text, "bill_number", parameters.BillNumber);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The public names of the fields that differ (<c>terminal_id</c>, <c>amount</c>, ...).</summary>
    public static IReadOnlyList<string> Differences(PaymentParameters stored, PaymentParameters requested)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(requested);
        var fields = new List<string>();
        if (stored.TerminalId != requested.TerminalId)
        {
            fields.Add(CreatePaymentFields.TerminalId);
        }

        if (stored.Money != requested.Money)
        {
            fields.Add(CreatePaymentFields.Amount);
        }

        if (stored.OrderRef != requested.OrderRef)
        {
            fields.Add(CreatePaymentFields.OrderRef);
        }

        if (stored.ExpiresIn != requested.ExpiresIn)
        {
            fields.Add(CreatePaymentFields.ExpiresIn);
        }

        if (stored.StoreLabel != requested.StoreLabel)
        {
            fields.Add(CreatePaymentFields.StoreLabel);
        }

        if (stored.TerminalLabel != requested.TerminalLabel)
        {
            fields.Add(CreatePaymentFields.TerminalLabel);
        }

        if (stored.PurposeOfTransaction != requested.PurposeOfTransaction)
        {
            fields.Add(CreatePaymentFields.PurposeOfTransaction);
        }

        if (stored.BillNumber != requested.BillNumber)
        {
            fields.Add(CreatePaymentFields.BillNumber);
        }

        return fields;
    }

    private static void Named(StringBuilder text, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Append(text, name);
            Append(text, value);
        }
    }

    // "len:value|" so that no two field lists share a form; null and empty are the same (absent).
    private static void Append(StringBuilder text, string? value)
    {
        value ??= "";
        text.Append('|').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
    }
}
