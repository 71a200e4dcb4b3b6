using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bakong.Khqr.Batch;

/// <summary>
/// The JSON-lines protocol of <c>bakong khqr generate|verify|decode --jsonl</c> (docs/khqr.md, 'Batch mode'): one
/// JSON object in, one JSON line out, in order. Input keys the operation does not use (such as <c>id</c>) are echoed
/// back unchanged. A line that is not a usable JSON object gets an error line of its own (code 0) and the batch goes
/// on.
/// </summary>
public sealed class KhqrBatch(TimeProvider timeProvider)
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] s_qrKeys = ["qr"];
    private static readonly string[] s_outputKeys = ["qr", "md5", "valid", "error"];

    private readonly TimeProvider _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    private readonly KhqrGenerator _generator = new(timeProvider);
    private readonly KhqrVerifier _verifier = new(timeProvider);

    /// <summary>Reads lines until the end of <paramref name="input"/>, writing one line per input line.</summary>
    public async Task RunAsync(KhqrOperation operation, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            await output.WriteLineAsync(ProcessLine(operation, line).AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers one input line with one output line (without the newline).</summary>
    public string ProcessLine(KhqrOperation operation, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            JsonDocument? document = null;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                WriteFault(writer, "not valid JSON: " + ex.Message);
            }

            using (document)
            {
                if (document is not null)
                {
                    Process(operation, document.RootElement, writer);
                }
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Process(KhqrOperation operation, JsonElement input, Utf8JsonWriter writer)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            WriteFault(writer, "each line must be a JSON object");
            return;
        }

        writer.WriteStartObject();
        EchoUnusedKeys(input, operation == KhqrOperation.Generate ? SdkInput.GenerateKeys : s_qrKeys, writer);
        switch (operation)
        {
            case KhqrOperation.Generate:
                Generate(input, writer);
                break;
            case KhqrOperation.Verify when ReadQr(input, writer) is { } qr:
                var verdict = _verifier.Verify(qr);
                writer.WriteBoolean("valid", verdict.IsValid);
                if (!verdict.IsValid)
                {
                    WriteError(writer, verdict.Error);
                }

                break;
            case KhqrOperation.Decode when ReadQr(input, writer) is { } qr:
                WriteDecoded(writer, KhqrDecoder.Decode(qr));
                break;
        }

        writer.WriteEndObject();
    }

    private void Generate(JsonElement input, Utf8JsonWriter writer)
    {
        var request = SdkInput.ReadGenerate(input, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), out var fault, out var error);
        if (fault is not null)
        {
            WriteFaultBody(writer, fault);
            return;
        }

        var result = request is null ? KhqrResult<KhqrCode>.Failure(error!) : _generator.Generate(request);
        if (result.IsSuccess)
        {
            writer.WriteString("qr", result.Value.Qr);
            writer.WriteString("md5", result.Value.Md5);
        }
        else
        {
            WriteError(writer, result.Error);
        }
    }

    private static string? ReadQr(JsonElement input, Utf8JsonWriter writer)
    {
        if (input.TryGetProperty("qr", out var qr) && qr.ValueKind == JsonValueKind.String)
        {
            return qr.GetString();
        }

        WriteFaultBody(writer, "\"qr\" must be a string");
        return null;
    }

    private static void WriteDecoded(Utf8JsonWriter writer, KhqrDecoded d)
    {
        // The SDK's keys, in the SDK's order.
        writer.WriteString("merchantType", d.MerchantType);
        writer.WriteString("bakongAccountID", d.BakongAccountID);
        writer.WriteString("accountInformation", d.AccountInformation);
        writer.WriteString("merchantID", d.MerchantID);
        writer.WriteString("acquiringBank", d.AcquiringBank);
        writer.WriteString("billNumber", d.BillNumber);
        writer.WriteString("mobileNumber", d.MobileNumber);
        writer.WriteString("storeLabel", d.StoreLabel);
        writer.WriteString("terminalLabel", d.TerminalLabel);
        writer.WriteString("purposeOfTransaction", d.PurposeOfTransaction);
        writer.WriteString("languagePreference", d.LanguagePreference);
        writer.WriteString("merchantNameAlternateLanguage", d.MerchantNameAlternateLanguage);
        writer.WriteString("merchantCityAlternateLanguage", d.MerchantCityAlternateLanguage);
        writer.WriteString("creationTimestamp", d.CreationTimestamp);
        writer.WriteString("expirationTimestamp", d.ExpirationTimestamp);
        writer.WriteString("payloadFormatIndicator", d.PayloadFormatIndicator);
        writer.WriteString("pointofInitiationMethod", d.PointOfInitiationMethod);
        writer.WriteString("unionPayMerchant", d.UnionPayMerchant);
        writer.WriteString("merchantCategoryCode", d.MerchantCategoryCode);
        writer.WriteString("transactionCurrency", d.TransactionCurrency);
        writer.WriteString("transactionAmount", d.TransactionAmount);
        writer.WriteString("countryCode", d.CountryCode);
        writer.WriteString("merchantName", d.MerchantName);
        writer.WriteString("merchantCity", d.MerchantCity);
        writer.WriteString("crc", d.Crc);
    }

    private static void EchoUnusedKeys(JsonElement input, string[] usedKeys, Utf8JsonWriter writer)
    {
        foreach (var property in input.EnumerateObject())
        {
            if (Array.IndexOf(usedKeys, property.Name) < 0 && Array.IndexOf(s_outputKeys, property.Name) < 0)
            {
                property.WriteTo(writer);
            }
        }
    }

    private static void WriteError(Utf8JsonWriter writer, KhqrError error)
    {
        writer.WriteStartObject("error");
        writer.WriteNumber("code", (int)error.Code);
        writer.WriteString("message", error.Message);
        if (error.Field is not null)
        {
            writer.WriteString("field", error.Field);
        }

        if (error.Detail is not null)
        {
            writer.WriteString("detail", error.Detail);
        }

        writer.WriteEndObject();
    }

    private static void WriteFault(Utf8JsonWriter writer, string why)
    {
        writer.WriteStartObject();
        WriteFaultBody(writer, why);
        writer.WriteEndObject();
    }

    // Code 0: the line itself is unusable, which is no KHQR error (the SDK's codes start at 1).
    private static void WriteFaultBody(Utf8JsonWriter writer, string why)
    {
        writer.WriteStartObject("error");
        writer.WriteNumber("code", 0);
        writer.WriteString("message", "Malformed input line: " + why);
        writer.WriteEndObject();
    }
}
