using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bakong.Khqr;
using Bakong.Khqr.Batch;

namespace Bakong.Cli.Khqr;

/// <summary><c>bakong khqr generate</c>: a KHQR from flags, or a batch of them from JSON lines.</summary>
internal sealed class GenerateCommand : Command
{
    private static readonly TimeSpan s_defaultExpiry = TimeSpan.FromMinutes(5);
    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CliContext _context;

    // No DefaultValueFactory: help would print the enum's name; the defaults are in the descriptions.
    private readonly Option<KhqrMerchantType?> _type = new("--type")
    {
        Description = "Individual (tag 29) or merchant (tag 30) QR (default individual).",
        HelpName = "individual|merchant",
        CustomParser = InputParsers.ParseMerchantType,
    };

    private readonly Option<string> _account = Text("--account", "name@bank", "Receiving Bakong account ID, e.g. shop@aclb (required; at most 32 characters).");
    private readonly Option<string> _name = Text("--name", "text", "Merchant name, tag 59 (required; at most 25 characters).");
    private readonly Option<string> _city = Text("--city", "text", "Merchant city, tag 60 (at most 15 characters; default Phnom Penh).");
    private readonly Option<string> _merchantId = Text("--merchant-id", "id", "Merchant ID (required with --type merchant; at most 32 characters).");
    private readonly Option<string> _bank = Text("--bank", "name", "Acquiring bank (required with --type merchant; at most 32 characters).");
    private readonly Option<string> _accountInfo = Text("--account-info", "text", "Account information: phone or account number (individual only; at most 32 characters).");

    private readonly Option<decimal?> _amount = new("--amount")
    {
        Description = "Amount, e.g. 12.50 (riel whole, dollars at most two decimals); makes a dynamic QR that expires.",
        HelpName = "12.50",
        CustomParser = InputParsers.ParseAmount,
    };

    private readonly Option<KhqrCurrency?> _currency = new("--currency")
    {
        Description = "Currency: KHR (116) or USD (840) (default KHR).",
        HelpName = "KHR|USD|116|840",
        CustomParser = InputParsers.ParseCurrency,
    };

    private readonly Option<TimeSpan?> _expiresIn = new("--expires-in")
    {
        Description = "How long a QR with an amount stays payable: seconds, or with an s, m or h suffix (default 5m).",
        HelpName = "5m",
        CustomParser = InputParsers.ParseDuration,
    };

    private readonly Option<string> _bill = Text("--bill", "text", "Bill number, the transaction id (at most 25 characters).");
    private readonly Option<string> _mobile = Text("--mobile", "number", "Mobile number (at most 25 characters).");
    private readonly Option<string> _store = Text("--store", "text", "Store label (at most 25 characters).");
    private readonly Option<string> _terminal = Text("--terminal", "text", "Terminal label (at most 25 characters).");
    private readonly Option<string> _purpose = Text("--purpose", "text", "Purpose of transaction (at most 25 characters).");
    private readonly Option<string> _language = Text("--language", "km", "Language of the alternate name and city, e.g. km (2 characters).");
    private readonly Option<string> _altName = Text("--alt-name", "text", "Merchant name in the alternate language (needs --language; at most 25 characters).");
    private readonly Option<string> _altCity = Text("--alt-city", "text", "Merchant city in the alternate language (at most 15 characters).");
    private readonly Option<string> _upi = Text("--upi", "account", "UnionPay merchant account, tag 15 (KHR only; at most 99 characters).");
    private readonly Option<string> _mcc = Text("--mcc", "digits", "Merchant category code (up to 4 digits; default 5999).");

    private readonly Option<bool> _json = new("--json") { Description = "Print {\"qr\": ..., \"md5\": ...} instead of the text and the QR drawing." };
    private readonly Option<bool> _noQr = new("--no-qr") { Description = "Do not draw the QR code." };
    private readonly Option<bool> _darkOnLight = new("--dark-on-light") { Description = "Draw the QR for a terminal with dark text on a light background." };
    private readonly Option<DateTimeOffset?> _now = SharedOptions.Now();
    private readonly Option<bool> _jsonl = SharedOptions.Jsonl("the SDK's field names, plus \"type\"");

    // The SDK's field name in a KhqrError → the flag that sets it.
    private readonly Dictionary<string, string> _flagByField;

    public GenerateCommand(CliContext context)
        : base("generate", "Generate a KHQR: print the payload, its md5 (the key for Bakong's payment checks) and the QR code.")
    {
        _context = context;
        Option[] humanMode =
        [
            _type, _account, _name, _city, _merchantId, _bank, _accountInfo, _amount, _currency, _expiresIn, _bill, _mobile,
            _store, _terminal, _purpose, _language, _altName, _altCity, _upi, _mcc, _json, _noQr, _darkOnLight,
        ];
        foreach (var option in humanMode)
        {
            Options.Add(option);
        }

        Options.Add(_now);
        Options.Add(_jsonl);

        _flagByField = new(StringComparer.Ordinal)
        {
            ["bakongAccountID"] = _account.Name,
            ["merchantName"] = _name.Name,
            ["merchantCity"] = _city.Name,
            ["merchantID"] = _merchantId.Name,
            ["acquiringBank"] = _bank.Name,
            ["accountInformation"] = _accountInfo.Name,
            ["currency"] = _currency.Name,
            ["amount"] = _amount.Name,
            ["billNumber"] = _bill.Name,
            ["mobileNumber"] = _mobile.Name,
            ["storeLabel"] = _store.Name,
            ["terminalLabel"] = _terminal.Name,
            ["purposeOfTransaction"] = _purpose.Name,
            ["languagePreference"] = _language.Name,
            ["merchantNameAlternateLanguage"] = _altName.Name,
            ["merchantCityAlternateLanguage"] = _altCity.Name,
            ["upiMerchantAccount"] = _upi.Name,
            ["expirationTimestamp"] = _expiresIn.Name,
            ["merchantCategoryCode"] = _mcc.Name,
        };

        Validators.Add(result =>
        {
            SharedOptions.ValidateMode(result, _jsonl, humanMode, [_account, _name]);
            if (!SharedOptions.IsGiven(result, _jsonl) && SharedOptions.IsGiven(result, _expiresIn) && !SharedOptions.IsGiven(result, _amount))
            {
                result.AddError("Option '--expires-in' needs --amount: a QR without an amount is static and does not expire.");
            }

            // The SDK silently drops the other template's field; a forgotten --type would go unnoticed. (The raw token,
            // not GetValue: a validator runs even when the value itself failed to parse, and GetValue would throw.)
            var isMerchant = result.GetResult(_type)?.Tokens is [{ Value: var type }]
                && type.Equals("merchant", StringComparison.OrdinalIgnoreCase);
            if (!isMerchant && SharedOptions.IsGiven(result, _merchantId))
            {
                result.AddError("Option '--merchant-id' needs --type merchant.");
            }

            if (isMerchant && SharedOptions.IsGiven(result, _accountInfo))
            {
                result.AddError("Option '--account-info' is for --type individual only.");
            }
        });
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var clock = SharedOptions.Clock(_context, parseResult.GetValue(_now));
        if (parseResult.GetValue(_jsonl))
        {
            return await SharedOptions.RunBatchAsync(_context, KhqrOperation.Generate, clock, cancellationToken).ConfigureAwait(false);
        }

        // One reading of the clock, so the expiry is exactly --expires-in after the creation timestamp the generator writes.
        var frozen = new FixedTimeProvider(clock.GetUtcNow());
        var result = new KhqrGenerator(frozen).Generate(ReadRequest(parseResult, frozen));
        if (!result.IsSuccess)
        {
            var flag = result.Error.Field is { } field ? _flagByField.GetValueOrDefault(field) : null;
            await _context.Error.WriteLineAsync(ErrorLine.For(result.Error, flag).AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        var code = result.Value;
        var output = parseResult.GetValue(_json)
            ? ToJson(code) + "\n"
            : $"qr:  {code.Qr}\nmd5: {code.Md5}\n" + (parseResult.GetValue(_noQr) ? "" : "\n" + TerminalQr.Render(code.Qr, parseResult.GetValue(_darkOnLight)));
        await _context.Output.WriteAsync(output.AsMemory(), cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private KhqrRequest ReadRequest(ParseResult parseResult, TimeProvider clock)
    {
        var amount = parseResult.GetValue(_amount);
        long? expiration = null;
        if (amount is not null)
        {
            var expiresIn = parseResult.GetValue(_expiresIn) ?? s_defaultExpiry;
            expiration = (clock.GetUtcNow() + expiresIn).ToUnixTimeMilliseconds();
        }

        return new KhqrRequest
        {
            Type = parseResult.GetValue(_type) ?? KhqrMerchantType.Individual,
            BakongAccountId = parseResult.GetValue(_account),
            MerchantName = parseResult.GetValue(_name),
            MerchantCity = parseResult.GetValue(_city),
            MerchantId = parseResult.GetValue(_merchantId),
            AcquiringBank = parseResult.GetValue(_bank),
            AccountInformation = parseResult.GetValue(_accountInfo),
            Currency = parseResult.GetValue(_currency) ?? KhqrCurrency.Khr,
            Amount = amount,
            ExpirationTimestamp = expiration,
            BillNumber = parseResult.GetValue(_bill),
            MobileNumber = parseResult.GetValue(_mobile),
            StoreLabel = parseResult.GetValue(_store),
            TerminalLabel = parseResult.GetValue(_terminal),
            PurposeOfTransaction = parseResult.GetValue(_purpose),
            LanguagePreference = parseResult.GetValue(_language),
            MerchantNameAlternateLanguage = parseResult.GetValue(_altName),
            MerchantCityAlternateLanguage = parseResult.GetValue(_altCity),
            UpiMerchantAccount = parseResult.GetValue(_upi),
            MerchantCategoryCode = parseResult.GetValue(_mcc),
        };
    }

    private static string ToJson(KhqrCode code)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_jsonOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("qr", code.Qr);
            writer.WriteString("md5", code.Md5);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static Option<string> Text(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName };
}
