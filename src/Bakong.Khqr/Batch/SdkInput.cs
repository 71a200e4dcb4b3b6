using System.Globalization;
using System.Text.Json;
using Bakong.Khqr.Parsing;

namespace Bakong.Khqr.Batch;

/// <summary>
/// Reads the official SDK's generate input (its field names and its loose JavaScript value types) into a
/// <see cref="KhqrRequest"/>, coercing values the way JavaScript would so the SDK's verdicts carry over:
/// <c>amount</c> and <c>expirationTimestamp</c> go through <c>Number()</c>, zero and empty values are dropped as the
/// SDK's <c>removeEmptyElement</c> drops them, and a currency may also be written "KHR" or "USD".
/// </summary>
internal static class SdkInput
{
    /// <summary>The generate input keys, by the SDK's names, plus <c>type</c>.</summary>
    public static readonly string[] GenerateKeys =
    [
        "type", "bakongAccountID", "merchantName", "merchantCity", "merchantID", "acquiringBank", "accountInformation",
        "currency", "amount", "billNumber", "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction",
        "languagePreference", "merchantNameAlternateLanguage", "merchantCityAlternateLanguage", "upiMerchantAccount",
        "expirationTimestamp", "merchantCategoryCode",
    ];

    /// <summary>Builds the request, or says which key is unusable (a line-level fault, not a KHQR error).</summary>
    public static KhqrRequest? ReadGenerate(JsonElement input, long nowMilliseconds, out string? fault, out KhqrError? error)
    {
        fault = null;
        error = null;
        var type = Text(input, "type", ref fault);
        var merchantType = type switch
        {
            "individual" => KhqrMerchantType.Individual,
            "merchant" => KhqrMerchantType.Merchant,
            _ => (KhqrMerchantType?)null,
        };
        if (fault is null && merchantType is null)
        {
            error = new KhqrError(KhqrErrorCode.MerchantTypeRequired, "type", "\"individual\" or \"merchant\"");
            return null;
        }

        var request = new KhqrRequest
        {
            Type = merchantType ?? KhqrMerchantType.Individual,
            BakongAccountId = Text(input, "bakongAccountID", ref fault),
            MerchantName = Text(input, "merchantName", ref fault),
            MerchantCity = Text(input, "merchantCity", ref fault),
            MerchantId = Text(input, "merchantID", ref fault),
            AcquiringBank = Text(input, "acquiringBank", ref fault),
            AccountInformation = Text(input, "accountInformation", ref fault),
            BillNumber = Text(input, "billNumber", ref fault),
            MobileNumber = Text(input, "mobileNumber", ref fault),
            StoreLabel = Text(input, "storeLabel", ref fault),
            TerminalLabel = Text(input, "terminalLabel", ref fault),
            PurposeOfTransaction = Text(input, "purposeOfTransaction", ref fault),
            LanguagePreference = Text(input, "languagePreference", ref fault),
            MerchantNameAlternateLanguage = Text(input, "merchantNameAlternateLanguage", ref fault),
            MerchantCityAlternateLanguage = Text(input, "merchantCityAlternateLanguage", ref fault),
            UpiMerchantAccount = Text(input, "upiMerchantAccount", ref fault),
            MerchantCategoryCode = NumberOrText(input, "merchantCategoryCode", ref fault),
        };

        request = WithCurrency(request, input, ref fault);
        request = WithAmount(request, input, ref fault);
        request = WithExpiration(request, input, nowMilliseconds, ref fault);
        return fault is null ? request : null;
    }

    private static KhqrRequest WithCurrency(KhqrRequest request, JsonElement input, ref string? fault)
    {
        if (!input.TryGetProperty("currency", out var value))
        {
            return request;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return request;
            case JsonValueKind.Number:
                var number = value.GetDouble();
                if (number == 0)
                {
                    return request;
                }

                // The SDK writes a non-integral currency such as 116.5 into tag 53 as is; no bank app reads that.
                return number == Math.Floor(number) && Math.Abs(number) < int.MaxValue
                    ? request with { Currency = (KhqrCurrency)(int)number }
                    : request with { CurrencyInputError = KhqrErrorCode.UnsupportedCurrency };
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length == 0)
                {
                    return request;
                }

                if (text.Equals("KHR", StringComparison.OrdinalIgnoreCase))
                {
                    return request with { Currency = KhqrCurrency.Khr };
                }

                if (text.Equals("USD", StringComparison.OrdinalIgnoreCase))
                {
                    return request with { Currency = KhqrCurrency.Usd };
                }

                if (text.Length > 3)
                {
                    return request with { CurrencyInputError = KhqrErrorCode.TransactionCurrencyLengthInvalid };
                }

                return JsNumber.ParseInt(text) is 116 or 840
                    ? request with { Currency = (KhqrCurrency)JsNumber.ParseInt(text)!.Value }
                    : request with { CurrencyInputError = KhqrErrorCode.UnsupportedCurrency };
            default:
                fault ??= "currency must be 116, 840, \"KHR\" or \"USD\"";
                return request;
        }
    }

    // JavaScript: `amount == undefined || amount == 0` makes a static QR; anything else is read as a number.
    private static KhqrRequest WithAmount(KhqrRequest request, JsonElement input, ref string? fault)
    {
        if (!input.TryGetProperty("amount", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return request;
        }

        double number;
        if (value.ValueKind == JsonValueKind.Number)
        {
            number = value.GetDouble();
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (text.Length == 0)
            {
                return request;
            }

            number = JsNumber.ToNumber(text);
        }
        else
        {
            fault ??= "amount must be a number";
            return request;
        }

        if (number == 0)
        {
            return request;
        }

        // Past 1e21 JavaScript prints numbers in exponent form and the SDK writes "1e+21" into tag 54.
        if (double.IsNaN(number) || double.IsInfinity(number) || Math.Abs(number) >= 1e21)
        {
            return request with { AmountInputError = KhqrErrorCode.TransactionAmountInvalid };
        }

        // JavaScript's shortest decimal form of the double is what the SDK's amount rules see.
        var amount = decimal.Parse(JsNumber.ToString(number), NumberStyles.Float, CultureInfo.InvariantCulture);
        return request with { Amount = amount };
    }

    // JavaScript: the SDK reads Number(expirationTimestamp); 0 and NaN count as missing.
    private static KhqrRequest WithExpiration(KhqrRequest request, JsonElement input, long nowMilliseconds, ref string? fault)
    {
        if (!input.TryGetProperty("expirationTimestamp", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return request;
        }

        double number;
        if (value.ValueKind == JsonValueKind.Number)
        {
            number = value.GetDouble();
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            number = value.GetString()!.Length == 0 ? 0 : JsNumber.ToNumber(value.GetString());
        }
        else
        {
            fault ??= "expirationTimestamp must be a number of milliseconds";
            return request;
        }

        if (number == 0 || double.IsNaN(number))
        {
            return request;
        }

        if (number == Math.Floor(number) && Math.Abs(number) < 1e16)
        {
            return request with { ExpirationTimestamp = (long)number };
        }

        var code = JsNumber.ToString(number).Length != KhqrLimits.Timestamp ? KhqrErrorCode.ExpirationTimestampLengthInvalid
            : !JsNumber.IsValidDate(number) ? KhqrErrorCode.InvalidDynamicKhqr
            : number < nowMilliseconds ? KhqrErrorCode.ExpirationTimestampInThePast
            : KhqrErrorCode.ExpirationTimestampLengthInvalid;
        return request with { ExpirationInputError = code };
    }

    private static string? Text(JsonElement input, string key, ref string? fault)
    {
        if (!input.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        fault ??= key + " must be a string";
        return null;
    }

    // A number is read as JavaScript prints it; 0 is dropped like an empty value (removeEmptyElement: 0 == "").
    private static string? NumberOrText(JsonElement input, string key, ref string? fault) =>
        input.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble() == 0 ? null : JsNumber.ToString(value.GetDouble())
            : Text(input, key, ref fault);
}
