using Bakong.Gateway.Access;
using Bakong.Grpc.Payments.V1;
using Bakong.Identity;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Rpc.Tests;

/// <summary>
/// The payment service's edge cases, called directly: values a fuzzer sends that the contract rules out are
/// INVALID_ARGUMENT naming the field (google.rpc.BadRequest), never UNKNOWN, and never echo the value; the other
/// refusals carry their status and google.rpc.ErrorInfo. What the transport adds is Bakong.Gateway.Tests'.
/// </summary>
public sealed class PaymentServiceEdgeCaseTests : IDisposable
{
    private const long MinTimestampSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
    private const long MaxTimestampSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

    private readonly PaymentServiceHarness _harness = new();

    private Rpc.PaymentGrpcService Service => _harness.Service;

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string, long, int> TimesOutOfRange => new()
    {
        { "start_create_time", MaxTimestampSeconds + 1, 0 },
        { "start_create_time", MinTimestampSeconds - 1, 0 },
        { "start_create_time", long.MaxValue, 0 },
        { "end_create_time", 0, -1 },
        { "end_create_time", 0, 1_000_000_000 },
        { "end_create_time", long.MinValue, 0 },
    };

    [Theory]
    [MemberData(nameof(TimesOutOfRange))]
    public async Task List_with_a_time_outside_the_timestamp_range_is_invalid_argument_naming_the_field(string field, long seconds, int nanos)
    {
        var time = new Timestamp { Seconds = seconds, Nanos = nanos };
        var request = field == "start_create_time" ? new ListPaymentsRequest { StartCreateTime = time } : new ListPaymentsRequest { EndCreateTime = time };

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CallAsync<ListPaymentsRequest, ListPaymentsResponse>(Service.ListPayments, request));

        Assert.Equal(field, SingleViolation(e).Field);
    }

    [Fact]
    public async Task List_from_the_first_to_the_last_valid_timestamp_finds_every_payment()
    {
        var created = await _harness.CreateAsync(PaymentServiceHarness.Create("whole-range"));

        var page = await Service.ListPayments(
            new ListPaymentsRequest
            {
                StartCreateTime = new Timestamp { Seconds = MinTimestampSeconds },
                EndCreateTime = new Timestamp { Seconds = MaxTimestampSeconds, Nanos = 999_999_999 },
            },
            PaymentServiceHarness.Call("ListPayments"));

        Assert.Equal(created.Payment.PaymentId, Assert.Single(page.Payments).PaymentId);
    }

    [Fact]
    public async Task Create_for_ten_billion_dollars_is_invalid_argument_naming_amount()
    {
        var request = PaymentServiceHarness.Create("ten-billion");
        request.Amount = new Money { CurrencyCode = "USD", Units = 10_000_000_000 };

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = SingleViolation(e);
        Assert.Equal("amount.units", violation.Field);
        Assert.Contains("at most 10000.00 USD", violation.Description, StringComparison.Ordinal);
    }

    public static TheoryData<long, int> DurationsOutOfRange => new()
    {
        { long.MaxValue, 0 },
        { long.MinValue, 0 },
        { 315_576_000_001, 0 },
        { 60, -1 },
        { 60, 1_000_000_000 },
        { -60, 0 },
    };

    [Theory]
    [MemberData(nameof(DurationsOutOfRange))]
    public async Task Create_with_an_expires_in_outside_the_duration_range_is_invalid_argument_naming_it(long seconds, int nanos)
    {
        var request = PaymentServiceHarness.Create("expires");
        request.ExpiresIn = new Duration { Seconds = seconds, Nanos = nanos };

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(request));

        Assert.Equal("expires_in", SingleViolation(e).Field);
    }

    public static TheoryData<string> PaymentIdMethods => ["get", "watch", "cancel"];

    [Theory]
    [MemberData(nameof(PaymentIdMethods))]
    public async Task A_30_kb_payment_id_is_invalid_argument_naming_it_without_echoing_it(string method)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(method, new string('x', 30 * 1024)));

        Assert.Equal("payment_id", SingleViolation(e).Field);
        Assert.True(e.Status.Detail.Length < 200, e.Status.Detail);
        Assert.Equal(0, Echoes(e, new string('x', 16)));
    }

    [Theory]
    [MemberData(nameof(PaymentIdMethods))]
    public async Task An_unknown_payment_id_is_not_found_with_the_id_echoed_once_in_the_error_info(string method)
    {
        const string Id = "no-such-payment";

        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(method, Id));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(Id, e.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["payment_id"]);
        Assert.Equal(1, Echoes(e, Id));
    }

    public static TheoryData<string> LongStrings =>
    [
        "request_id", "terminal_id", "order_ref", "store_label", "terminal_label", "deeplink.app_name", "deeplink.app_icon_url",
        "deeplink.callback_url", "list terminal_id", "list page_token",
    ];

    [Theory]
    [MemberData(nameof(LongStrings))]
    public async Task A_string_longer_than_its_documented_limit_is_invalid_argument_naming_it(string field)
    {
        var request = PaymentServiceHarness.Create("long-strings");
        request.Deeplink = new DeeplinkOptions { AppName = "Kiosk", AppIconUrl = "https://shop.example/icon.png", CallbackUrl = "https://shop.example/done" };
        var list = new ListPaymentsRequest();
        var longest = field switch
        {
            "store_label" or "terminal_label" => 25,
            "deeplink.app_icon_url" or "deeplink.callback_url" => 2048,
            "list page_token" => 256,
            _ => 64,
        };
        var value = new string('a', longest + 1);
        switch (field)
        {
            case "request_id": request.RequestId = value; break;
            case "terminal_id": request.TerminalId = value; break;
            case "order_ref": request.OrderRef = value; break;
            case "store_label": request.StoreLabel = value; break;
            case "terminal_label": request.TerminalLabel = value; break;
            case "deeplink.app_name": request.Deeplink.AppName = value; break;
            case "deeplink.app_icon_url": request.Deeplink.AppIconUrl = "https://shop.example/" + value[21..]; break;
            case "deeplink.callback_url": request.Deeplink.CallbackUrl = "https://shop.example/" + value[21..]; break;
            case "list terminal_id": list.TerminalId = value; break;
            default: list.PageToken = value; break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => field.StartsWith("list ", StringComparison.Ordinal)
            ? _harness.CallAsync<ListPaymentsRequest, ListPaymentsResponse>(Service.ListPayments, list)
            : _harness.CreateAsync(request));

        Assert.Equal(field.Replace("list ", "", StringComparison.Ordinal), SingleViolation(e).Field);
        Assert.Equal(0, Echoes(e, new string('a', 16)));
    }

    [Fact]
    public async Task Strings_at_their_documented_limits_are_accepted()
    {
        var request = PaymentServiceHarness.Create(new string('r', 64), terminal: new string('t', 64));
        request.OrderRef = new string('o', 64);
        request.StoreLabel = new string('s', 25);
        request.TerminalLabel = new string('l', 25);

        var created = (await _harness.CreateAsync(request)).Payment;
        var listed = await Service.ListPayments(new ListPaymentsRequest { TerminalId = request.TerminalId }, PaymentServiceHarness.Call("ListPayments"));

        Assert.Equal((request.RequestId, request.OrderRef), (created.RequestId, created.OrderRef));
        Assert.Equal(created.PaymentId, Assert.Single(listed.Payments).PaymentId);
    }

    public static TheoryData<string, string> IdentifiersOutsideTheAlphabet
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var name in new[] { "request_id", "terminal_id", "list terminal_id", "payment_id" })
            {
                // A line break at the end too: a ^...$ pattern lets it through, and the id would reach a log line.
                foreach (var value in new[] { "has space", "ends-in-a-break\n", "quote'" })
                {
                    data.Add(name, value);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(IdentifiersOutsideTheAlphabet))]
    public async Task An_identifier_outside_the_alphabet_is_invalid_argument_naming_it_once_without_echoing_it(string field, string value)
    {
        var request = PaymentServiceHarness.Create("alphabet");
        var list = new ListPaymentsRequest();
        switch (field)
        {
            case "request_id": request.RequestId = value; break;
            case "terminal_id": request.TerminalId = value; break;
            case "list terminal_id": list.TerminalId = value; break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => field switch
        {
            "payment_id" => CallAsync("get", value),
            "list terminal_id" => _harness.CallAsync<ListPaymentsRequest, ListPaymentsResponse>(Service.ListPayments, list),
            _ => _harness.CreateAsync(request),
        });

        var violation = SingleViolation(e);
        Assert.Equal((field.Replace("list ", "", StringComparison.Ordinal), "only the characters A-Z a-z 0-9 - _ . : are allowed"), (violation.Field, violation.Description));
        Assert.Equal(0, Echoes(e, value));
    }

    [Fact]
    public async Task Every_invalid_field_of_a_create_is_named_at_once_in_field_order()
    {
        var request = PaymentServiceHarness.Create("several");
        request.RequestId = "has space";
        request.OrderRef = new string('o', 65);
        request.ExpiresIn = new Duration { Seconds = -60 };

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(
            ["request_id", "order_ref", "expires_in"],
            e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task A_request_id_reused_with_other_parameters_is_already_exists_naming_the_payment_and_the_fields()
    {
        var first = (await _harness.CreateAsync(PaymentServiceHarness.Create("reused"))).Payment;
        var changed = PaymentServiceHarness.Create("reused");
        changed.Amount.Units = 6000;

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(changed));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal((first.PaymentId, "amount"), (info.Metadata["payment_id"], info.Metadata["conflicting_fields"]));
    }

    [Fact]
    public async Task A_request_id_reused_by_another_terminals_client_names_neither_the_payment_nor_its_fields()
    {
        await _harness.CreateAsync(PaymentServiceHarness.Create("shared-id", terminal: "till-1"));
        var other = Terminal("till-2");

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(PaymentServiceHarness.Create("shared-id", terminal: "till-2"), other));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.False(info.Metadata.ContainsKey("payment_id"));
        Assert.Equal("request_id", info.Metadata["conflicting_fields"]);
    }

    [Fact]
    public async Task A_terminal_client_creating_for_a_terminal_it_is_not_bound_to_is_permission_denied()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CreateAsync(PaymentServiceHarness.Create("not-mine", terminal: "till-2"), Terminal("till-1")));

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("terminal_id", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_terminals_payment_is_as_not_found_as_a_missing_one()
    {
        var created = (await _harness.CreateAsync(PaymentServiceHarness.Create("till-1-sale", terminal: "till-1"))).Payment;

        var e = await Assert.ThrowsAsync<RpcException>(() => _harness.CallAsync<GetPaymentRequest, GetPaymentResponse>(
            Service.GetPayment, new GetPaymentRequest { PaymentId = created.PaymentId }, Terminal("till-2")));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_cancelled_payment_again_answers_the_cancelled_payment()
    {
        var created = (await _harness.CreateAsync(PaymentServiceHarness.Create("cancel-twice"))).Payment;
        var cancel = new CancelPaymentRequest { PaymentId = created.PaymentId };
        var first = await _harness.CallAsync<CancelPaymentRequest, CancelPaymentResponse>(Service.CancelPayment, cancel);

        var again = await _harness.CallAsync<CancelPaymentRequest, CancelPaymentResponse>(Service.CancelPayment, cancel);

        Assert.Equal(Payment.Types.State.Cancelled, again.Payment.State);
        Assert.Equal(first.Payment.Version, again.Payment.Version);
    }

    [Fact]
    public async Task A_call_that_did_not_pass_authentication_is_a_wiring_error_never_anyone()
    {
        var created = (await _harness.CreateAsync(PaymentServiceHarness.Create("unauthenticated"))).Payment;
        var unauthenticated = new TestServerCallContext("GetPayment", TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => Service.GetPayment(new GetPaymentRequest { PaymentId = created.PaymentId }, unauthenticated));
    }

    private static Caller Terminal(string terminalId) =>
        new(new ApiClient("pos-" + terminalId, "POS " + terminalId, ClientRole.Terminal, [terminalId], DateTimeOffset.UnixEpoch, RevokedAt: null));

    private Task CallAsync(string method, string paymentId) => method switch
    {
        "get" => _harness.CallAsync<GetPaymentRequest, GetPaymentResponse>(Service.GetPayment, new GetPaymentRequest { PaymentId = paymentId }),
        "cancel" => _harness.CallAsync<CancelPaymentRequest, CancelPaymentResponse>(Service.CancelPayment, new CancelPaymentRequest { PaymentId = paymentId }),
        _ => _harness.WatchAsync(new WatchPaymentRequest { PaymentId = paymentId }, new TestServerStreamWriter<WatchPaymentResponse>()),
    };

    private static BadRequest.Types.FieldViolation SingleViolation(RpcException e)
    {
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        return Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
    }

    /// <summary>How often <paramref name="text"/> is in the error: its message and every trailer (binary ones as UTF-8).</summary>
    private static int Echoes(RpcException e, string text)
    {
        var texts = e.Trailers.Where(t => t.Key is not "grpc-message" and not "grpc-status")
            .Select(t => t.IsBinary ? System.Text.Encoding.UTF8.GetString(t.ValueBytes) : t.Value)
            .Append(e.Status.Detail);
        return texts.Sum(t => (t.Length - t.Replace(text, "", StringComparison.Ordinal).Length) / text.Length);
    }
}
