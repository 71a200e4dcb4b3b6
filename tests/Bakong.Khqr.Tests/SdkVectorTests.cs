using System.Text.Json;
using Bakong.Khqr.Batch;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Khqr.Tests;

/// <summary>
/// The compatibility contract with the official SDK (bakong-khqr 1.0.20): every case in Vectors/sdk-1.0.20.jsonl
/// was produced by the SDK itself (see Vectors/README.md); each goes through the same JSON-lines path as
/// <c>bakong khqr ... --jsonl</c>, with the clock fixed to the case's <c>now</c>.
/// </summary>
public sealed class SdkVectorTests
{
    private static readonly Lazy<IReadOnlyList<VectorCase>> s_cases = new(VectorCase.Load);

    public static TheoryData<string> GenerateKinds => Kinds("generate");

    public static TheoryData<string> VerifyKinds => Kinds("verify");

    public static TheoryData<string> DecodeKinds => Kinds("decode");

    [Fact]
    public void Vector_file_has_at_least_two_thousand_cases_of_every_operation()
    {
        var cases = s_cases.Value;
        Assert.True(cases.Count >= 2000, $"only {cases.Count} cases");
        Assert.Contains(cases, c => c.Op == "generate");
        Assert.Contains(cases, c => c.Op == "verify");
        Assert.Contains(cases, c => c.Op == "decode");
    }

    [Theory]
    [MemberData(nameof(GenerateKinds))]
    public void Generate_matches_the_sdk_byte_for_byte_or_rejects_with_its_error_code(string kind)
    {
        var failures = new List<string>();
        foreach (var c in Of("generate", kind))
        {
            var output = Run(KhqrOperation.Generate, c);
            if (c.Expect.TryGetProperty("error", out var expectedError))
            {
                var expectedCode = expectedError.GetProperty("code").GetInt32();
                var actualCode = output.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : (int?)null;
                if (actualCode != expectedCode)
                {
                    failures.Add($"{c.Id}: expected error {expectedCode}, got {output}");
                }
            }
            else
            {
                var qr = output.TryGetProperty("qr", out var q) ? q.GetString() : null;
                var md5 = output.TryGetProperty("md5", out var m) ? m.GetString() : null;
                if (qr != c.Expect.GetProperty("qr").GetString() || md5 != c.Expect.GetProperty("md5").GetString())
                {
                    failures.Add($"{c.Id}: expected {c.Expect}, got {output}");
                }
            }
        }

        AssertNoFailures(failures);
    }

    [Theory]
    [MemberData(nameof(VerifyKinds))]
    public void Verify_gives_the_sdk_verdict_and_invalid_ones_a_reason(string kind)
    {
        var failures = new List<string>();
        foreach (var c in Of("verify", kind))
        {
            var output = Run(KhqrOperation.Verify, c);
            var expected = c.Expect.GetProperty("valid").GetBoolean();
            var actual = output.GetProperty("valid").GetBoolean();
            if (actual != expected)
            {
                failures.Add($"{c.Id}: expected valid={expected}, got {output} for {c.Input}");
            }
            else if (!actual && output.GetProperty("error").GetProperty("code").GetInt32() is < 1 or > 51)
            {
                failures.Add($"{c.Id}: invalid without an SDK error code: {output}");
            }
        }

        AssertNoFailures(failures);
    }

    [Fact]
    public void Fast_path_accepts_every_qr_the_sdk_generated_and_nothing_the_general_reader_rejects()
    {
        var failures = new List<string>();
        foreach (var c in s_cases.Value.Where(c => c.Op == "verify"))
        {
            var qr = c.Input.GetProperty("qr").GetString();
            var verifier = new KhqrVerifier(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(c.Now)));
            var general = verifier.Verify(qr, requireTagOrder: false, allowFastPath: false);
            var withFastPath = verifier.Verify(qr, requireTagOrder: false, allowFastPath: true);
            if (general.IsValid != withFastPath.IsValid)
            {
                failures.Add($"{c.Id}: general {general.IsValid}, with fast path {withFastPath.IsValid}: {qr}");
            }

            if (c.Kind == "generated" && !Parsing.CanonicalKhqr.IsCertainlyValid(qr!, new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(c.Now))))
            {
                failures.Add($"{c.Id}: an SDK-generated QR missed the fast path: {qr}");
            }
        }

        AssertNoFailures(failures);
    }

    [Theory]
    [MemberData(nameof(DecodeKinds))]
    public void Decode_returns_every_field_the_sdk_returns(string kind)
    {
        var failures = new List<string>();
        foreach (var c in Of("decode", kind))
        {
            var output = Run(KhqrOperation.Decode, c);
            if (c.Expect.TryGetProperty("hang", out _))
            {
                // The SDK never returns on these; answering at all is the requirement.
                continue;
            }

            foreach (var field in c.Expect.EnumerateObject())
            {
                var actual = output.TryGetProperty(field.Name, out var a) ? a.GetString() : "<missing>";
                var expected = field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetString();
                if (actual != expected)
                {
                    failures.Add($"{c.Id}: {field.Name} expected {expected ?? "null"}, got {actual ?? "null"} for {c.Input}");
                }
            }
        }

        AssertNoFailures(failures);
    }

    private static JsonElement Run(KhqrOperation operation, VectorCase c)
    {
        var batch = new KhqrBatch(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(c.Now)));
        return JsonDocument.Parse(batch.ProcessLine(operation, c.Input.GetRawText())).RootElement.Clone();
    }

    private static IEnumerable<VectorCase> Of(string op, string kind) => s_cases.Value.Where(c => c.Op == op && c.Kind == kind);

    private static TheoryData<string> Kinds(string op) => new(s_cases.Value.Where(c => c.Op == op).Select(c => c.Kind).Distinct().Order());

    private static void AssertNoFailures(List<string> failures) =>
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join('\n', failures.Take(25)));

    private sealed record VectorCase(string Id, string Op, string Kind, long Now, JsonElement Input, JsonElement Expect)
    {
        public static List<VectorCase> Load()
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Vectors", "sdk-1.0.20.jsonl");
            return File.ReadLines(path)
                .Where(line => line.Length > 0)
                .Select(line =>
                {
                    var root = JsonDocument.Parse(line).RootElement;
                    return new VectorCase(
                        root.GetProperty("id").GetString()!,
                        root.GetProperty("op").GetString()!,
                        root.GetProperty("kind").GetString()!,
                        root.GetProperty("now").GetInt64(),
                        root.GetProperty("input").Clone(),
                        root.GetProperty("expect").Clone());
                })
                .ToList();
        }
    }
}
