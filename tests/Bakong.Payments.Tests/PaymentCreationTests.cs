using System.Globalization;
using Bakong.Khqr;
using Bakong.Payments.Creation;
using Bakong.Payments.Storage;

namespace Bakong.Payments.Tests;

public sealed class PaymentCreationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LiteDbPaymentStore _store;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = TestPayments.Clock();

    public PaymentCreationTests() => _store = new LiteDbPaymentStore(_dir.File("bakong.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private static CreatePaymentRequest Request(string requestId = "req-1", decimal amount = 12.5m, string currency = "USD") => new()
    {
        RequestId = requestId,
        TerminalId = "till-1",
        Currency = currency,
        Amount = amount,
        OrderRef = "order-77",
        StoreLabel = "Corner",
        TerminalLabel = "Till 1",
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_created_payment_carries_a_valid_khqr_with_its_money_bill_number_and_expiry(bool merchantQr)
    {
        var creation = TestPayments.Creation(_store, _clock, TestPayments.Merchant(merchantQr));

        var result = await creation.CreateAsync(Request(), Ct);

        var payment = Assert.IsType<CreatePaymentResult.Created>(result).Payment;
        Assert.True(new KhqrVerifier(_clock).Verify(payment.Qr).IsValid);
        var decoded = KhqrDecoder.Decode(payment.Qr);
        Assert.Equal("840", decoded.TransactionCurrency);
        Assert.Equal("12.50", decoded.TransactionAmount);
        Assert.Equal(payment.BillNumber, decoded.BillNumber);
        Assert.Equal(merchantQr ? "30" : "29", decoded.MerchantType);
        Assert.Equal(TestPayments.Account, decoded.BakongAccountID);
        Assert.Equal("Corner", decoded.StoreLabel);
        Assert.Equal("Till 1", decoded.TerminalLabel);
        Assert.Equal(TestPayments.Start + TimeSpan.FromMinutes(5), payment.ExpireTime);
        Assert.Equal(payment.ExpireTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), decoded.ExpirationTimestamp);
#pragma warning disable CA5351 // Bakong keys transactions by the md5 of the QR; this checks that value.
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(payment.Qr))), payment.Md5);
#pragma warning restore CA5351
        Assert.True(payment.BillNumber.Length <= KhqrLimits.BillNumber);
        Assert.Equal(22, payment.Id.Length);

        // Persisted before the reply.
        var stored = await _store.GetAsync(payment.Id, Ct);
        Assert.Equal(payment.Md5, stored?.Md5);
        Assert.False(payment.HasUnsavedChanges);
    }

    [Fact]
    public async Task Every_payment_gets_its_own_bill_number_also_when_the_same_order_is_retried()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var bills = new HashSet<string>(StringComparer.Ordinal);
        var md5s = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 200; i++)
        {
            // Same order_ref, same amount, same instant: only the request id differs.
            var payment = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(Request("retry-" + i), Ct)).Payment;
            Assert.True(bills.Add(payment.BillNumber));
            Assert.True(md5s.Add(payment.Md5));
        }
    }

    [Fact]
    public async Task The_same_request_id_with_the_same_parameters_returns_the_same_payment()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var first = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(Request(), Ct)).Payment;
        _clock.Advance(TimeSpan.FromSeconds(3));

        var again = Assert.IsType<CreatePaymentResult.Replayed>(await creation.CreateAsync(Request(), Ct)).Payment;

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Qr, again.Qr);
        Assert.Equal(first.ExpireTime, again.ExpireTime);
    }

    [Fact]
    public async Task The_same_request_id_with_different_parameters_is_a_conflict_naming_the_fields()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var first = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(Request(), Ct)).Payment;

        var result = await creation.CreateAsync(
            Request() with { Amount = 13m, TerminalId = "till-2", ExpiresIn = TimeSpan.FromMinutes(2) }, Ct);

        var conflict = Assert.IsType<CreatePaymentResult.Conflict>(result);
        Assert.Equal(first.Id, conflict.Existing.Id);
        Assert.Equal(["terminal_id", "amount", "expires_in"], conflict.Fields);
    }

    [Fact]
    public async Task A_create_reads_no_request_id_ahead_of_its_insert_and_a_replay_is_still_found_by_the_insert()
    {
        var store = new RequestIdReads(_store);
        var creation = TestPayments.Creation(store, _clock);
        var validated = creation.Validate(Request());

        var first = Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(validated, maxPendingForTerminal: 5, Ct)).Payment;
        var again = Assert.IsType<CreatePaymentResult.Replayed>(await creation.CreateAsync(validated, maxPendingForTerminal: 5, Ct)).Payment;

        Assert.Equal(0, store.Count);
        Assert.Equal(first.Id, again.Id);
    }

    [Fact]
    public async Task Twenty_concurrent_duplicates_store_exactly_one_payment()
    {
        var creation = TestPayments.Creation(_store, _clock);
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 20)
            .Select(_ => Task.Run(
                async () =>
                {
                    start.Wait(Ct);
                    return await creation.CreateAsync(Request("dup"), Ct);
                },
                Ct))
            .ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results.OfType<CreatePaymentResult.Created>());
        Assert.Equal(19, results.OfType<CreatePaymentResult.Replayed>().Count());
        var ids = results.Select(r => r switch
        {
            CreatePaymentResult.Created c => c.Payment.Id,
            CreatePaymentResult.Replayed r2 => r2.Payment.Id,
            _ => throw new InvalidOperationException(r.ToString()),
        });
        Assert.Single(ids.Distinct());
        var all = await _store.ListAsync(new PaymentQuery { PageSize = 100 }, Ct);
        Assert.Single(all.Payments);
    }

    [Fact]
    public async Task Invalid_input_names_every_bad_field()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var result = await creation.CreateAsync(
            new CreatePaymentRequest
            {
                RequestId = "",
                TerminalId = " ",
                Currency = "KHR",
                Amount = 100.5m,
                ExpiresIn = TimeSpan.FromMinutes(11),
                StoreLabel = new string('s', 26),
            },
            Ct);

        var invalid = Assert.IsType<CreatePaymentResult.Invalid>(result);
        Assert.Equal(
            ["request_id", "terminal_id", "store_label", "amount", "expires_in"],
            invalid.Violations.Select(v => v.Field));
        Assert.Null((await _store.ListAsync(new PaymentQuery(), Ct)).NextPageToken);
        Assert.Empty((await _store.ListAsync(new PaymentQuery(), Ct)).Payments);
    }

    [Theory]
    [InlineData("USD", 10_000.01)]
    [InlineData("USD", 10_000_000_000)]
    [InlineData("KHR", 40_000_001)]
    public async Task An_amount_above_the_currencys_ceiling_is_invalid_naming_amount_and_nothing_is_stored(string currency, double amount)
    {
        var creation = TestPayments.Creation(_store, _clock);

        var result = await creation.CreateAsync(Request(amount: (decimal)amount, currency: currency), Ct);

        var violation = Assert.Single(Assert.IsType<CreatePaymentResult.Invalid>(result).Violations);
        Assert.Equal("amount", violation.Field);
        Assert.Contains(currency == "USD" ? "10000.00 USD" : "40000000 KHR", violation.Description, StringComparison.Ordinal);
        Assert.Empty((await _store.ListAsync(new PaymentQuery(), Ct)).Payments);
    }

    [Theory]
    [InlineData("USD", 10_000)]
    [InlineData("KHR", 40_000_000)]
    public async Task An_amount_at_the_ceiling_is_created(string currency, double amount)
    {
        var creation = TestPayments.Creation(_store, _clock);

        var result = await creation.CreateAsync(Request(amount: (decimal)amount, currency: currency), Ct);

        Assert.IsType<CreatePaymentResult.Created>(result);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("ends-in-a-break\n")]
    [InlineData("quote'")]
    [InlineData("caf\u00e9")]
    public async Task Request_and_terminal_ids_outside_the_identifier_alphabet_are_invalid_and_not_echoed(string id)
    {
        var creation = TestPayments.Creation(_store, _clock);

        var result = await creation.CreateAsync(Request(requestId: id) with { TerminalId = id }, Ct);

        var invalid = Assert.IsType<CreatePaymentResult.Invalid>(result);
        Assert.Equal(["request_id", "terminal_id"], invalid.Violations.Select(v => v.Field));
        Assert.All(invalid.Violations, v => Assert.DoesNotContain(id, v.Description, StringComparison.Ordinal));
        Assert.Equal(invalid.Violations, creation.Validate(Request(requestId: id) with { TerminalId = id }).Violations);
        Assert.Empty((await _store.ListAsync(new PaymentQuery(), Ct)).Payments);
    }

    [Fact]
    public async Task Request_id_and_order_ref_are_at_most_64_characters_as_the_contract_documents()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var longest = Request(requestId: new string('r', 64)) with { OrderRef = new string('o', 64) };
        var tooLong = Request(requestId: new string('r', 65)) with { OrderRef = new string('o', 65) };

        Assert.IsType<CreatePaymentResult.Created>(await creation.CreateAsync(longest, Ct));
        var invalid = Assert.IsType<CreatePaymentResult.Invalid>(await creation.CreateAsync(tooLong, Ct));

        Assert.Equal(["request_id", "order_ref"], invalid.Violations.Select(v => v.Field));
    }

    [Fact]
    public async Task A_request_without_currency_uses_the_merchant_default_and_expiry_defaults_to_five_minutes()
    {
        var creation = TestPayments.Creation(_store, _clock);
        var payment = Assert.IsType<CreatePaymentResult.Created>(
            await creation.CreateAsync(Request(amount: 4400m) with { Currency = null }, Ct)).Payment;
        Assert.Equal(Money.Create(KhqrCurrency.Khr, 4400m), payment.Money);
        Assert.Equal(TimeSpan.FromMinutes(5), payment.Parameters.ExpiresIn);
    }

    /// <summary>Counts the reads by request id (every create paid one before its insert).</summary>
    private sealed class RequestIdReads(IPaymentStore inner) : DelegatingPaymentStore(inner)
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override Task<Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.GetByRequestIdAsync(requestId, cancellationToken);
        }
    }
}
