using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Bakong.Grpc.Payments.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using State = Bakong.Grpc.Payments.V1.Payment.Types.State;

namespace Bakong.Cli.Tests.Payments;

/// <summary>
/// Not in parallel with other classes, to be safe: while WebApplicationFactory starts the gateway it listens for every
/// host built in the process, and a <c>SandboxServer</c> another test starts at that moment could be caught instead.
/// </summary>
[CollectionDefinition(nameof(GatewayHostedTests), DisableParallelization = true)]
public sealed class GatewayHostedTests;

[Collection(nameof(GatewayHostedTests))]
public sealed class PaymentCommandsTests : IAsyncLifetime
{
    private readonly CliGateway _gateway = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Pay_shows_the_qr_and_ends_paid_with_exit_code_0_when_the_customer_pays()
    {
        var run = _gateway.Launch(Ct, "pay", "--amount", "12.50", "--currency", "USD", "--terminal", "POS-01", "--order", "INV-1");

        var id = (await run.Output.LineAsync("Payment ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await run.Output.LineAsync("PENDING  waiting for the customer, expires in 5:00");
        await _gateway.WaitForFirstCheckAsync(id);
        await _gateway.PayAsync(await KhqrAsync(id));
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await run.ExitCodeAsync());
        var output = run.Output.ToString();
        Assert.Contains("Amount    12.50 USD", output, StringComparison.Ordinal);
        Assert.Contains("Terminal  POS-01   Order INV-1", output, StringComparison.Ordinal);
        Assert.Contains("MD5       ", output, StringComparison.Ordinal);
        Assert.Contains("█", output, StringComparison.Ordinal); // the QR
        Assert.StartsWith("PAID: 12.50 USD received", run.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
        Assert.Empty(run.Error.ToString());
    }

    [Fact]
    public async Task Pay_with_json_writes_created_each_change_and_the_result()
    {
        var run = _gateway.Launch(Ct, "pay", "--amount", "5000", "--currency", "KHR", "--terminal", "POS-01", "--request-id", "sale-1", "--json");

        var createdLine = Json(await run.Output.LineAsync("\"event\":\"created\""));
        var created = createdLine.GetProperty("payment");
        Assert.Equal("sale-1", created.GetProperty("requestId").GetString());
        Assert.Equal(5000, created.GetProperty("amount").GetProperty("units").GetInt64());
        Assert.Equal("KHR", created.GetProperty("amount").GetProperty("currencyCode").GetString());
        Assert.Equal("STATE_PENDING", created.GetProperty("state").GetString());
        Assert.Equal(300, createdLine.GetProperty("secondsLeft").GetInt64());
        await _gateway.WaitForFirstCheckAsync(created.GetProperty("paymentId").GetString()!);
        await _gateway.PayAsync(created.GetProperty("khqr").GetString()!);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await run.ExitCodeAsync());
        var events = run.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Json).ToList();
        Assert.All(events, e => Assert.Equal(created.GetProperty("paymentId").GetString(), e.GetProperty("payment").GetProperty("paymentId").GetString()));
        Assert.Equal("created", events[0].GetProperty("event").GetString());
        Assert.All(events[1..^1], e => Assert.Equal("status", e.GetProperty("event").GetString()));
        // No status line per check: at most one PENDING (the watch's snapshot, when it started after the first check),
        // then the PAID change, then the result.
        Assert.True(events.Count(e => e.GetProperty("payment").GetProperty("state").GetString() == "STATE_PENDING") <= 2, "a status line per check: " + run.Output);
        Assert.True(events.Count <= 4, "a status line per check: " + run.Output);
        var result = events[^1];
        Assert.Equal(("result", "STATE_PAID", 0), (result.GetProperty("event").GetString(), result.GetProperty("payment").GetProperty("state").GetString(), result.GetProperty("exitCode").GetInt32()));
        Assert.Equal(64, result.GetProperty("payment").GetProperty("bakongTransaction").GetProperty("hash").GetString()!.Length);
    }

    [Fact]
    public async Task A_failed_payment_exits_2()
    {
        var run = _gateway.Launch(Ct, "pay", "--amount", "1.25", "--currency", "USD", "--terminal", "POS-01", "--json", "--no-qr");

        var created = Json(await run.Output.LineAsync("\"event\":\"created\"")).GetProperty("payment");
        await _gateway.WaitForFirstCheckAsync(created.GetProperty("paymentId").GetString()!);
        await _gateway.FailAsync(created.GetProperty("khqr").GetString()!);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(2, await run.ExitCodeAsync());
        Assert.Contains("\"state\":\"STATE_FAILED\"", run.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unpaid_payment_expires_and_exits_3()
    {
        var run = _gateway.Launch(Ct, "pay", "--amount", "1.25", "--currency", "USD", "--terminal", "POS-01", "--expires", "1m", "--no-qr");

        var id = (await run.Output.LineAsync("Payment ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await run.Output.LineAsync("expires in 1:00");
        await _gateway.WaitForFirstCheckAsync(id);
        _gateway.AdvanceAndPoll(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(10)); // past expire_time and the grace

        Assert.Equal(3, await run.ExitCodeAsync());
        Assert.EndsWith("EXPIRED: no payment arrived before the QR expired\n", run.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_cancels_the_payment_and_exits_4()
    {
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = _gateway.Launch(ctrlC.Token, "pay", "--amount", "1.25", "--currency", "USD", "--terminal", "POS-01", "--no-qr");

        var id = (await run.Output.LineAsync("Payment ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await run.Output.LineAsync("PENDING");
        await ctrlC.CancelAsync();

        Assert.Equal(4, await run.ExitCodeAsync());
        Assert.Contains("cancelled", run.Output.ToString(), StringComparison.Ordinal);
        var payment = (await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, cancellationToken: Ct)).Payment;
        Assert.Equal(State.Cancelled, payment.State);
    }

    [Theory]
    [InlineData("12.505", "USD", "INVALID_ARGUMENT: amount.nanos: ")]
    [InlineData("0", "USD", "INVALID_ARGUMENT: amount.units: ")]
    [InlineData("5", "EUR", "INVALID_ARGUMENT: amount.currency_code: ")]
    public async Task A_rejected_request_exits_1_not_2_which_means_declined_naming_the_field(string amount, string currency, string expected)
    {
        var run = await _gateway.RunAsync("pay", "--amount", amount, "--currency", currency, "--terminal", "POS-01");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith(expected, Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Theory]
    [InlineData("12,50")]
    [InlineData("1,2,3")]
    [InlineData("1e3")]
    [InlineData("12.50.1")]
    public async Task Pay_refuses_an_amount_that_is_not_digits_and_a_point_with_exit_1_and_creates_nothing(string amount)
    {
        var run = await _gateway.RunAsync("pay", "--amount", amount, "--currency", "USD", "--terminal", "POS-01", "--no-qr");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"--amount: '{amount}' is not an amount like 12.50", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(run.Output);
        var list = await _gateway.Payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct);
        Assert.Empty(list.Payments);
    }

    [Fact]
    public async Task A_reused_request_id_with_another_amount_exits_1_already_exists()
    {
        await _gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest { RequestId = "dup", TerminalId = "POS-01", Amount = new Money { CurrencyCode = "USD", Units = 1 } },
            cancellationToken: Ct);

        var run = await _gateway.RunAsync("pay", "--amount", "2", "--currency", "USD", "--terminal", "POS-01", "--request-id", "dup", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("ALREADY_EXISTS: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("ALREADY_EXISTS", Json(Assert.Single(run.OutputLines)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_1_saying_how_to_start_it()
    {
        var run = await Cli.RunAsync("pay", "--amount", "1", "--currency", "USD", "--terminal", "POS-01", "--server", $"http://127.0.0.1:{ClosedPort()}");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("cannot reach the gateway", line, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/Bakong.Gateway", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pay", "--amount", "1", "--currency", "USD", "--terminal", "POS-01")]
    [InlineData("watch", "some-payment")]
    [InlineData("payments", "list")]
    [InlineData("payments", "load", "--count", "1")]
    [InlineData("payments", "load", "--watchers", "10")]
    public async Task A_client_command_sent_to_an_http_1_endpoint_says_where_grpc_is_and_exits_1(params string[] command)
    {
        // What the gateway's Web endpoint is: Kestrel speaking HTTP/1.1 only.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1));
        builder.Logging.ClearProviders();
        await using var web = builder.Build();
        web.MapGet("/", () => "the kiosk");
        await web.StartAsync(Ct);
        var url = web.Urls.Single();

        var run = await Cli.RunAsync([.. command, "--server", url]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            $"error: gRPC is on the gateway's Grpc endpoint (default http://127.0.0.1:5080); {url} did not answer gRPC "
            + "(it does not speak HTTP/2: the gateway's Web endpoint?)",
            Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task A_load_sent_to_an_http_1_endpoint_stops_after_its_first_call_instead_of_its_warm_up()
    {
        var connections = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref connections);
                return next(connection);
            });
        }));
        builder.Logging.ClearProviders();
        await using var web = builder.Build();
        await web.StartAsync(Ct);

        var run = await Cli.RunAsync(["payments", "load", "--count", "100", "--concurrency", "64", "--warm-up", "2000", "--server", web.Urls.Single()]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("did not answer gRPC", Assert.Single(run.ErrorLines), StringComparison.Ordinal);

        // One failed call (the client may try it on a second connection), not 2,000 warm-up calls 64 at a time.
        Assert.InRange(connections, 1, 2);
    }

    [Fact]
    public async Task Watch_follows_an_existing_payment_to_its_end()
    {
        var created = (await _gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest { RequestId = "w-1", TerminalId = "POS-02", Amount = new Money { CurrencyCode = "KHR", Units = 4000 } },
            cancellationToken: Ct)).Payment;
        var run = _gateway.Launch(Ct, "watch", created.PaymentId, "--json");

        var first = Json(await run.Output.LineAsync("\"event\":\"payment\"")).GetProperty("payment");
        Assert.Equal(("STATE_PENDING", created.Md5), (first.GetProperty("state").GetString(), first.GetProperty("md5").GetString()));
        await _gateway.WaitForFirstCheckAsync(created.PaymentId);
        await _gateway.PayAsync(created.Khqr);
        _gateway.AdvanceAndPoll(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await run.ExitCodeAsync());
        var result = Json(run.Output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(("result", created.PaymentId, "STATE_PAID"), (result.GetProperty("event").GetString(), result.GetProperty("payment").GetProperty("paymentId").GetString(), result.GetProperty("payment").GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Watch_of_a_cancelled_payment_exits_4_and_of_an_unknown_one_1()
    {
        var created = (await _gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest { RequestId = "w-2", TerminalId = "POS-02", Amount = new Money { CurrencyCode = "KHR", Units = 4000 } },
            cancellationToken: Ct)).Payment;
        await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct);

        var cancelled = await _gateway.RunAsync("watch", created.PaymentId);
        var unknown = await _gateway.RunAsync("watch", "nope");

        Assert.Equal(4, cancelled.ExitCode);
        Assert.Equal("CANCELLED: the payment was cancelled", cancelled.OutputLines[^1]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("NOT_FOUND: ", Assert.Single(unknown.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Payments_list_shows_a_table_newest_first_and_filters()
    {
        var older = await CreateAsync("l-1", "POS-01", 100);
        _gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await CreateAsync("l-2", "POS-02", 250);
        await _gateway.Payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = older.PaymentId }, cancellationToken: Ct);

        var all = await _gateway.RunAsync("payments", "list");
        var cancelled = await _gateway.RunAsync("payments", "list", "--state", "cancelled", "--json");
        var pos2 = await _gateway.RunAsync("payments", "list", "--terminal", "POS-02", "--limit", "1");
        var newest = await _gateway.RunAsync("payments", "list", "--limit", "1");
        var exactly = await _gateway.RunAsync("payments", "list", "--limit", "2");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal(["CREATED", "PAYMENT", "TERMINAL", "STATE", "AMOUNT", "ORDER"], all.OutputLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(newer.PaymentId, all.OutputLines[1], StringComparison.Ordinal);
        Assert.Contains("2026-03-01 09:00:01", all.OutputLines[1], StringComparison.Ordinal);
        Assert.Contains("2.50 USD", all.OutputLines[1], StringComparison.Ordinal);
        Assert.Contains(older.PaymentId, all.OutputLines[2], StringComparison.Ordinal);
        Assert.Contains("CANCELLED", all.OutputLines[2], StringComparison.Ordinal);
        Assert.Equal("2 payments", all.OutputLines[^1]);

        var only = Json(Assert.Single(cancelled.OutputLines));
        Assert.Equal((older.PaymentId, "STATE_CANCELLED"), (only.GetProperty("paymentId").GetString(), only.GetProperty("state").GetString()));

        Assert.Contains(newer.PaymentId, pos2.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal("1 payment", pos2.OutputLines[^1]);

        // A list cut short by --limit says so; one that happens to fill the limit does not.
        Assert.Contains(newer.PaymentId, newest.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal("1 payment (the newest; there are more: raise --limit)", newest.OutputLines[^1]);
        Assert.Equal("2 payments", exactly.OutputLines[^1]);
    }

    [Fact]
    public async Task Payments_list_rejects_an_unknown_state_and_a_limit_below_1()
    {
        var state = await _gateway.RunAsync("payments", "list", "--state", "lost");
        var limit = await _gateway.RunAsync("payments", "list", "--limit", "0");

        Assert.Equal(2, state.ExitCode);
        Assert.Contains("--state: 'lost'", Assert.Single(state.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(2, limit.ExitCode);
        Assert.Equal("--limit: must be greater than zero.", Assert.Single(limit.ErrorLines));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1m30s", 90)]
    [InlineData("45", 45)]
    [InlineData("00:02:00", 120)]
    public async Task Expires_reads_durations(string text, int seconds)
    {
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = _gateway.Launch(ctrlC.Token, "pay", "--amount", "1", "--currency", "USD", "--terminal", "POS-01", "--expires", text, "--json");

        var created = Json(await run.Output.LineAsync("\"event\":\"created\""));
        await ctrlC.CancelAsync();

        Assert.Equal(seconds, created.GetProperty("secondsLeft").GetInt64());
        Assert.Equal(4, await run.ExitCodeAsync());
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("-5")]
    public async Task Expires_rejects_what_is_no_positive_duration_with_exit_1(string text)
    {
        var run = await _gateway.RunAsync("pay", "--amount", "1", "--currency", "USD", "--terminal", "POS-01", "--expires", text);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--expires", run.Error, StringComparison.Ordinal);
    }

    private async Task<Payment> CreateAsync(string requestId, string terminal, long cents) =>
        (await _gateway.Payments.CreatePaymentAsync(
            new CreatePaymentRequest
            {
                RequestId = requestId,
                TerminalId = terminal,
                Amount = new Money { CurrencyCode = "USD", Units = cents / 100, Nanos = (int)(cents % 100) * 10_000_000 },
            },
            cancellationToken: Ct)).Payment;

    private async Task<string> KhqrAsync(string paymentId) =>
        (await _gateway.Payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = paymentId }, cancellationToken: Ct)).Payment.Khqr;

    private static JsonElement Json(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
