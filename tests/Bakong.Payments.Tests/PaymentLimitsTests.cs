using System.Text.RegularExpressions;

namespace Bakong.Payments.Tests;

/// <summary>The contract's comments state the limits <see cref="PaymentLimits"/> enforces: one source, quoted right.</summary>
public sealed partial class PaymentLimitsTests
{
    private static readonly Lazy<string> s_proto = new(() => File.ReadAllText(
        Path.Combine(RepositoryRoot(), "protos", "bakong", "payments", "v1", "payment_service.proto")));

    public static TheoryData<string, string, string> Quotes => new()
    {
        { "CreatePaymentRequest", "request_id", "1 to " + PaymentLimits.RequestId + " characters" },
        { "CreatePaymentRequest", "terminal_id", "1 to " + PaymentLimits.TerminalId + " characters" },
        { "CreatePaymentRequest", "order_ref", "at most " + PaymentLimits.OrderRef + " characters" },
        { "CreatePaymentRequest", "store_label", "at most " + PaymentLimits.StoreLabel + " characters" },
        { "CreatePaymentRequest", "terminal_label", "at most " + PaymentLimits.TerminalLabel + " characters" },
        { "CreatePaymentRequest", "purpose_of_transaction", "at most " + PaymentLimits.PurposeOfTransaction + " characters" },
        { "CreatePaymentRequest", "bill_number", "at most " + PaymentLimits.BillNumber + " characters" },
        { "GetPaymentRequest", "payment_id", "at most " + PaymentLimits.PaymentId + " characters" },
        { "CreatePaymentRequest", "request_id", "characters from `" + Identifier.Alphabet + "`" },
        { "CreatePaymentRequest", "terminal_id", "characters from `" + Identifier.Alphabet + "`" },
        { "GetPaymentRequest", "payment_id", "characters from `" + Identifier.Alphabet + "`" },
        { "ListPaymentsRequest", "page_size", "0 (the default) means " + PaymentLimits.DefaultPageSize + ";" },
        { "ListPaymentsRequest", "page_size", "above " + PaymentLimits.MaxPageSize + " are treated as " + PaymentLimits.MaxPageSize },
        { "ListPaymentsRequest", "page_token", "At most " + PaymentLimits.PageToken + " characters" },
        { "VerifyTransactionRequest", "external_ref", "1 to " + PaymentLimits.ExternalRef + " characters" },
        { "VerifyTransactionRequest", "external_ref", "characters from `" + Identifier.Alphabet + "`" },
        { "VerifyTransactionRequest", "terminal_id", "1 to " + PaymentLimits.TerminalId + " characters" },
        { "DeeplinkOptions", "app_name", "at most " + PaymentLimits.DeeplinkAppName + " characters" },
        { "DeeplinkOptions", "app_icon_url", "at most " + PaymentLimits.DeeplinkUrl + " characters" },
        { "DeeplinkOptions", "callback_url", "at most " + PaymentLimits.DeeplinkUrl + " characters" },
    };

    [Theory]
    [MemberData(nameof(Quotes))]
    public void The_proto_comment_of_each_limited_field_states_the_enforced_limit(string message, string field, string quote)
    {
        Assert.Contains(quote, CommentOf(message, field), StringComparison.Ordinal);
    }

    /// <summary>The comment lines right above <paramref name="field"/>'s declaration in <paramref name="message"/>, joined by spaces.</summary>
    private static string CommentOf(string message, string field)
    {
        var body = Regex.Match(s_proto.Value, "^message " + message + @" \{\n(.*?)^\}", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(body.Success, "no message " + message);
        var lines = body.Groups[1].Value.Split('\n');
        var declaration = Array.FindIndex(lines, l => Regex.IsMatch(l, @"^\s+\S+ " + field + @" = \d+;"));
        Assert.True(declaration > 0, "no field " + field + " in " + message);
        var comment = new List<string>();
        for (var i = declaration - 1; i >= 0 && CommentLine().Match(lines[i]) is { Success: true } line; i--)
        {
            comment.Insert(0, line.Groups[1].Value);
        }

        return string.Join(' ', comment);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bakong.Grpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*// ?(.*)$")]
    private static partial Regex CommentLine();
}
