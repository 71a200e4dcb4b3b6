using BenchmarkDotNet.Attributes;
using Bakong.Khqr;

namespace Bakong.Benchmarks;

/// <summary>
/// The codec on the bench input of docs/khqr.md (merchant, USD, dynamic, bill number, store and terminal labels) —
/// the same input as <c>bakong khqr bench</c> and the SDK's bench-sdk.cjs. It expires an hour ahead so long runs
/// keep verifying a live QR.
/// </summary>
[MemoryDiagnoser]
public class KhqrBenchmarks
{
    private readonly KhqrGenerator _generator = new(TimeProvider.System);
    private readonly KhqrVerifier _verifier = new(TimeProvider.System);
    private KhqrRequest _request = null!;
    private string _qr = null!;

    [GlobalSetup]
    public void Setup()
    {
        _request = Bakong.Cli.Khqr.BenchCommand.Input(TimeProvider.System.GetUtcNow().AddHours(1));
        _qr = _generator.Generate(_request).Value!.Qr;
    }

    [Benchmark]
    public KhqrCode Generate() => _generator.Generate(_request).Value!;

    [Benchmark]
    public bool Verify() => _verifier.Verify(_qr).IsValid;

    [Benchmark]
    public KhqrDecoded Decode() => KhqrDecoder.Decode(_qr);

    // Decode cuts a field's text when it is read; this is the cost when a caller reads every field.
    [Benchmark]
    public int DecodeAndReadEveryField()
    {
        var d = KhqrDecoder.Decode(_qr);
        return (d.MerchantType?.Length ?? 0) + (d.BakongAccountID?.Length ?? 0) + (d.AccountInformation?.Length ?? 0)
            + (d.MerchantID?.Length ?? 0) + (d.AcquiringBank?.Length ?? 0) + (d.BillNumber?.Length ?? 0)
            + (d.MobileNumber?.Length ?? 0) + (d.StoreLabel?.Length ?? 0) + (d.TerminalLabel?.Length ?? 0)
            + (d.PurposeOfTransaction?.Length ?? 0) + (d.LanguagePreference?.Length ?? 0)
            + (d.MerchantNameAlternateLanguage?.Length ?? 0) + (d.MerchantCityAlternateLanguage?.Length ?? 0)
            + (d.CreationTimestamp?.Length ?? 0) + (d.ExpirationTimestamp?.Length ?? 0)
            + (d.PayloadFormatIndicator?.Length ?? 0) + (d.PointOfInitiationMethod?.Length ?? 0)
            + (d.UnionPayMerchant?.Length ?? 0) + (d.MerchantCategoryCode?.Length ?? 0)
            + (d.TransactionCurrency?.Length ?? 0) + (d.TransactionAmount?.Length ?? 0) + (d.CountryCode?.Length ?? 0)
            + (d.MerchantName?.Length ?? 0) + (d.MerchantCity?.Length ?? 0) + (d.Crc?.Length ?? 0);
    }
}

/// <summary>Where verify's time goes: the top-level read, and the CRC over the payload's UTF-8 bytes.</summary>
[MemoryDiagnoser]
public class VerifyPartsBenchmarks
{
    private string _qr = null!;

    [GlobalSetup]
    public void Setup()
    {
        var benchmarks = new KhqrBenchmarks();
        benchmarks.Setup();
        _qr = benchmarks.Generate().Qr;
    }

    [Benchmark]
    public int ReadTopLevelFields()
    {
        var reader = new Bakong.Khqr.Parsing.KhqrFieldReader(_qr);
        var n = 0;
        while (reader.MoveNext())
        {
            n += reader.Current.ValueLength;
        }

        return n;
    }

    [Benchmark]
    public ushort CrcOfPayload() => Bakong.Khqr.Hashing.Crc16.ComputeUtf8(_qr.AsSpan(0, _qr.Length - 4));
}
