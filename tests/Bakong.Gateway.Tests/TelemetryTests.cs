using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Bakong.Gateway.Tests.Access;
using Bakong.Grpc.Admin.V1;
using Bakong.Payments.Telemetry;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bakong.Gateway.Tests;

/// <summary>The Prometheus scrape endpoint and the logging scopes, after real payments through the in-process sandbox.</summary>
/// <remarks>
/// Not in parallel with other tests: OpenTelemetry listens to meters by name across the process, so another test's
/// gateway would add its payments to the counts asserted here.
/// </remarks>
[Collection(nameof(TelemetryTests))]
public sealed partial class TelemetryTests : IAsyncLifetime
{
    // A display configured on a port that does not exist: its link is down, and the gauge says so.
    private readonly GatewayFactory _gateway = new()
    {
        ConfigureHost = b => b
            .ConfigureLogging(l => l.AddFakeLogging())
            .UseSetting("Displays:0:TerminalId", "till-2")
            .UseSetting("Displays:0:PortName", "/dev/bakong-no-such-display"),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task After_a_paid_payment_metrics_shows_every_series_with_plausible_values()
    {
        var paid = await _gateway.CreatePaidAsync("metrics-paid");
        Assert.Equal(Payment.Types.State.Paid, paid.State);

        // A second payment, watched while the metrics are read.
        var pending = (await _gateway.Payments.CreatePaymentAsync(Requests.Create("metrics-pending"), cancellationToken: Ct)).Payment;
        using var watch = _gateway.Payments.WatchPayment(new WatchPaymentRequest { PaymentId = pending.PaymentId }, cancellationToken: Ct);
        await GatewayFactory.NextAsync(watch);

        var text = await ScrapeAsync();

        Assert.Equal(2, Value(text, "bakong_payments_created_total", "currency=\"KHR\""));
        Assert.Equal(1, Value(text, "bakong_payments_settled_total", "state=\"paid\""));
        Assert.Equal(1, Value(text, "bakong_payments_settle_duration_seconds_count"));
        Assert.Equal(2, Value(text, "bakong_payments_settle_duration_seconds_sum"));
        Assert.Equal(1, Value(text, "bakong_payments_settle_duration_seconds_bucket", "le=\"5\""));
        Assert.True(Value(text, "bakong_openapi_calls_total", "bakong_endpoint=\"check_transaction_by_md5_list\"", "bakong_outcome=\"Success\"") >= 2);
        Assert.True(Value(text, "bakong_openapi_call_duration_seconds_count", "bakong_endpoint=\"check_transaction_by_md5_list\"") >= 2);
        Assert.True(Value(text, "bakong_payments_poll_batch_size_count") >= 2);
        Assert.Equal(1, Value(text, "bakong_payments_poll_batch_size_bucket", "le=\"1\"") / Value(text, "bakong_payments_poll_batch_size_count"));
        Assert.Equal(1, Value(text, "bakong_payments_watchers"));
        Assert.Equal(1, Value(text, "bakong_payments_current", "state=\"pending\""));
        Assert.Equal(1, Value(text, "bakong_payments_current", "state=\"paid\""));
        Assert.Equal(0, Value(text, "bakong_payments_current", "state=\"paid_late\""));
        Assert.Equal(1, Value(text, "bakong_payments_transitions_total", "state=\"paid\""));
        Assert.Equal(0, Value(text, "bakong_display_link_up", "terminal_id=\"till-2\""));
        Assert.Equal(0, Value(text, "bakong_display_log_suppressed_total", "terminal_id=\"till-2\""));
        Assert.InRange(Value(text, "bakong_token_days_left_days"), 1, 93);
        Assert.Equal(1, Value(text, "http_server_request_duration_seconds_count", "http_route=\"/bakong.payments.v1.PaymentService/WatchPayment\""));
    }

    [Fact]
    public async Task After_a_restart_the_payments_by_state_gauge_is_seeded_from_the_store_while_the_counters_start_again()
    {
        var first = new GatewayFactory { KeepStorage = true };
        try
        {
            await first.CreatePaidAsync("gauge-paid");
            var toCancel = await first.CreateAsync(Requests.Create("gauge-cancelled"));
            await first.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = toCancel.PaymentId }, cancellationToken: Ct);
            await first.CreateAsync(Requests.Create("gauge-pending-1"));
            await first.CreateAsync(Requests.Create("gauge-pending-2"));
        }
        finally
        {
            await first.DisposeAsync();
        }

        // Nothing is created, paid or cancelled after the restart: what the gauge shows comes from the store.
        await using var second = new GatewayFactory(first.StorageDirectory, first.Clock.GetUtcNow().AddMinutes(1));
        var text = await ScrapeAsync(second);

        Assert.Equal(2, Value(text, "bakong_payments_current", "state=\"pending\""));
        Assert.Equal(1, Value(text, "bakong_payments_current", "state=\"paid\""));
        Assert.Equal(1, Value(text, "bakong_payments_current", "state=\"cancelled\""));
        Assert.Equal(0, Value(text, "bakong_payments_current", "state=\"expired\""));
        Assert.DoesNotContain("bakong_payments_created_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poller_and_service_logs_about_a_payment_carry_its_payment_id_and_terminal_id_in_scope()
    {
        var paid = await _gateway.CreatePaidAsync("scoped");

        var logs = _gateway.Services.GetFakeLogCollector().GetSnapshot();

        var paidLog = Assert.Single(logs, r => r.Id.Name == "PaymentPaid");
        var scope = Assert.Single(paidLog.Scopes.OfType<PaymentLogScope>());
        Assert.Equal((paid.PaymentId, "till-1"), (scope.PaymentId, scope.TerminalId));
        Assert.Contains(new KeyValuePair<string, object?>("PaymentId", paid.PaymentId), scope);

        var created = Assert.Single(logs, r => r.Id.Name == "PaymentCreated");
        var requestScope = Assert.Single(
            created.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>(), s => s.Any(p => p.Key == PaymentLogScope.TerminalIdKey));
        Assert.Contains(new KeyValuePair<string, object?>("TerminalId", "till-1"), requestScope);
        Assert.Contains(new KeyValuePair<string, object?>("PaymentRequestId", "scoped"), requestScope);

        // What the console formatter prints for a scope (Logging:Console:IncludeScopes=true): its ToString().
        Assert.Equal("PaymentId:" + paid.PaymentId + " TerminalId:till-1", scope.ToString());
        Assert.Equal("TerminalId:till-1 PaymentRequestId:scoped", requestScope.ToString());
    }

    [Fact]
    public async Task A_cancel_is_logged_with_the_payment_and_its_terminal()
    {
        var pending = (await _gateway.Payments.CreatePaymentAsync(Requests.Create("cancel-logged"), cancellationToken: Ct)).Payment;
        await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = pending.PaymentId }, cancellationToken: Ct);

        var cancelled = Assert.Single(_gateway.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "PaymentCancelled");
        Assert.Equal(LogLevel.Information, cancelled.Level);
        Assert.Equal($"Payment {pending.PaymentId} of terminal till-1 cancelled by CancelPayment", cancelled.Message);
        Assert.Equal(pending.PaymentId, Assert.Single(cancelled.Scopes.OfType<PaymentLogScope>()).PaymentId);
    }

    [Fact]
    public async Task A_poller_pass_and_each_bakong_attempt_are_activities_with_their_outcome()
    {
        var activities = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Bakong.Payments" or "Bakong.OpenApi",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await _gateway.CreatePaidAsync("traced");

        var passes = activities.Where(a => a.OperationName == "poll pass" && a.GetTagItem("bakong.poll.calls") is 1).ToList();
        Assert.True(passes.Count >= 2, "a first check and the one that finds the money");
        var calls = passes.Select(p => Assert.Single(activities, c => c.ParentSpanId == p.SpanId)).ToList();
        Assert.All(calls, c => Assert.Equal(("bakong check_transaction_by_md5_list", ActivityKind.Client, "1 md5s"), (c.OperationName, c.Kind, c.GetTagItem("bakong.subject"))));

        // The list call itself answers Success: its items say not found or paid.
        Assert.All(calls, c => Assert.Equal("Success", c.GetTagItem("bakong.outcome")));
        Assert.Equal(1, passes[^1].GetTagItem("bakong.poll.saved"));
    }

    [Fact]
    public async Task Refused_calls_are_counted_by_method_and_status_and_never_by_what_the_caller_sent()
    {
        await using var gateway = ApiKeys.Gateway();
        gateway.Settings["Limits:CreatePaymentBurst"] = "1";
        gateway.Settings["Limits:CreatePaymentsPerMinute"] = "1";
        var till = gateway.AddClient(Identity.ClientRole.Terminal, "till-1");
        const string Guessed = "bk_guessed0key0that0matches0nothing";

        var noKey = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.PaymentsAs(Guessed).CreatePaymentAsync(Requests.Create("refused-1"), cancellationToken: Ct).ResponseAsync);
        using var watch = gateway.PaymentsAs(Guessed).WatchPayment(new WatchPaymentRequest { PaymentId = "p-1" }, cancellationToken: Ct);
        var noKeyWatch = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(Ct));
        var notOperator = await Assert.ThrowsAsync<RpcException>(() =>
            new AdminService.AdminServiceClient(gateway.As("Bearer " + till))
                .ListClientsAsync(new ListClientsRequest(), cancellationToken: Ct).ResponseAsync);
        using var rest = gateway.CreateClient();
        using var restRefused = await GetAsync("/v1/payments?terminal_id=till-1", Guessed);
        using var imageRefused = await GetAsync("/payments/p-1/qr.png", Guessed);
        using var csvRefused = await GetAsync("/v1/reports/settlement.csv?date=2026-12-01", Guessed);
        using var csvForbidden = await GetAsync("/v1/reports/settlement.csv?date=2026-12-01", till);
        await gateway.PaymentsAs(till).CreatePaymentAsync(Requests.Create("within-limit"), cancellationToken: Ct);
        var overLimit = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.PaymentsAs(till).CreatePaymentAsync(Requests.Create("over-limit"), cancellationToken: Ct).ResponseAsync);

        var text = await ScrapeAsync(gateway);

        Assert.Equal(
            [StatusCode.Unauthenticated, StatusCode.Unauthenticated, StatusCode.PermissionDenied, StatusCode.ResourceExhausted],
            [noKey.StatusCode, noKeyWatch.StatusCode, notOperator.StatusCode, overLimit.StatusCode]);
        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden],
            [restRefused.StatusCode, imageRefused.StatusCode, csvRefused.StatusCode, csvForbidden.StatusCode]);
        const string Create = "method=\"/bakong.payments.v1.PaymentService/CreatePayment\"";
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", Create, "status=\"unauthenticated\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", "method=\"/bakong.payments.v1.PaymentService/WatchPayment\"", "status=\"unauthenticated\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", "method=\"/bakong.admin.v1.AdminService/ListClients\"", "status=\"permission_denied\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", Create, "status=\"resource_exhausted\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", "method=\"/bakong.payments.v1.PaymentService/ListPayments\"", "status=\"unauthenticated\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", "method=\"GET /payments/{paymentId}/qr.png\"", "status=\"unauthenticated\""));
        const string Csv = "method=\"GET /v1/reports/settlement.csv\"";
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", Csv, "status=\"unauthenticated\""));
        Assert.Equal(1, Value(text, "bakong_gateway_refused_total", Csv, "status=\"permission_denied\""));
        Assert.DoesNotContain(Guessed, text, StringComparison.Ordinal);
        Assert.DoesNotContain(till, text, StringComparison.Ordinal);

        async Task<HttpResponseMessage> GetAsync(string path, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new("Bearer", key);
            return await rest.SendAsync(request, Ct);
        }
    }

    private Task<string> ScrapeAsync() => ScrapeAsync(_gateway);

    private static async Task<string> ScrapeAsync(GatewayFactory gateway)
    {
        using var http = gateway.CreateClient();
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The value of the one series named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Value(string text, string name, params string[] labels)
    {
        var values = new List<double>();
        foreach (Match m in SeriesLine().Matches(text))
        {
            if (m.Groups["name"].Value == name && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            {
                values.Add(double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
            }
        }

        Assert.True(values.Count == 1, $"expected one {name}{{{string.Join(',', labels)}}} series, found {values.Count} in:\n{text}");
        return values[0];
    }

    // A label's value is quoted and may hold braces (a route's "{paymentId}").
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>(?:[^""}]|""(?:[^""\\]|\\.)*"")*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();
}

[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryTestsRunAlone;
