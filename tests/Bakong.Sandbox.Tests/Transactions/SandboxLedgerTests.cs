using Bakong.Khqr;
using Bakong.Sandbox.Accounts;
using Bakong.Sandbox.Transactions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bakong.Sandbox.Tests.Transactions;

public sealed class SandboxLedgerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SandboxAccounts _accounts = new([]);
    private readonly SandboxLedger _ledger;

    public SandboxLedgerTests()
    {
        _ledger = new SandboxLedger(new SandboxOptions(), _accounts, new SandboxRandom(1), _time, NullLogger.Instance);
    }

    [Fact]
    public async Task Of_concurrent_payments_of_one_qr_exactly_one_is_recorded()
    {
        var qr = TestQrs.Dynamic(_time, 1m);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var payers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                _ledger.Pay(new SandboxPayRequest { Qr = qr.Qr });
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        start.SetResult();
        var paid = await Task.WhenAll(payers).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Single(paid, p => p);
        Assert.Equal(qr.Md5, Assert.Single(_ledger.Payments).Md5);
    }

    [Fact]
    public void A_refused_payment_still_registers_the_qr_and_its_receiver()
    {
        var qr = TestQrs.Dynamic(_time, 7m, account: "late_shop@devb");
        _time.Advance(TimeSpan.FromMinutes(11));

        Assert.Throws<InvalidOperationException>(() => _ledger.Pay(new SandboxPayRequest { Qr = qr.Qr }));
        var forced = _ledger.Pay(new SandboxPayRequest { Md5 = qr.Md5, Force = true });

        Assert.Equal((7m, "late_shop@devb"), (forced.Transaction.Amount, forced.Transaction.ToAccountId));
        Assert.Null(_accounts.Check("late_shop@devb"));
    }

    [Fact]
    public void A_failed_payment_of_a_static_qr_answers_failed_not_static_on_md5_checks()
    {
        var qr = TestQrs.Static(_time);

        var failed = _ledger.Fail(new SandboxFailRequest { Qr = qr.Qr });

        Assert.Equal(LookupStatus.Failed, _ledger.FindByMd5(qr.Md5).Status);
        Assert.Equal(LookupStatus.Failed, _ledger.FindByHash(failed.Transaction.Hash).Status);
    }

    [Fact]
    public void A_reference_lookup_answers_the_latest_payment_with_it_and_nothing_until_that_one_is_acknowledged()
    {
        var first = _ledger.Pay(new SandboxPayRequest { Qr = TestQrs.Dynamic(_time, 1m).Qr, InstructionRef = "INSTR-1" });
        var second = _ledger.Pay(new SandboxPayRequest { Qr = TestQrs.Dynamic(_time, 2m).Qr, InstructionRef = "INSTR-1", DelayMs = 1000 });

        var early = _ledger.FindByInstructionRef("INSTR-1");
        _time.Advance(TimeSpan.FromSeconds(1));
        var acknowledged = _ledger.FindByInstructionRef("INSTR-1");

        Assert.Equal(LedgerLookup.NotFound, early);
        Assert.Equal(new LedgerLookup(LookupStatus.Success, second.Transaction), acknowledged);
        Assert.Equal(new LedgerLookup(LookupStatus.Success, first.Transaction), _ledger.FindByHash(first.Transaction.Hash));
    }

    [Fact]
    public void A_short_hash_finds_a_payment_only_with_its_amount_and_currency()
    {
        var paid = _ledger.Pay(new SandboxPayRequest { Qr = TestQrs.Dynamic(_time, 4400m, KhqrCurrency.Khr).Qr });
        var shortHash = paid.Transaction.Hash[..8].ToUpperInvariant();

        Assert.Equal(paid.Transaction, _ledger.FindByShortHash(shortHash, 4400m, "khr").Transaction);
        Assert.Equal(LedgerLookup.NotFound, _ledger.FindByShortHash(shortHash, 4400m, "USD"));
        Assert.Equal(LedgerLookup.NotFound, _ledger.FindByShortHash(shortHash, 4401m, "KHR"));
    }

    [Fact]
    public void Clear_forgets_qrs_and_payments_but_not_the_receivers_they_made_known()
    {
        var registered = _ledger.RegisterQr(TestQrs.Static(_time, "static_shop@devb").Qr);
        var paid = _ledger.Pay(new SandboxPayRequest { Md5 = "5154e4f795634ff1a0ae4b48e53a6d9c", Amount = 3m, ToAccountId = "payee@devb" });

        _ledger.Clear();

        Assert.Empty(_ledger.Payments);
        Assert.Equal(LedgerLookup.NotFound, _ledger.FindByMd5(registered.Md5));
        Assert.Equal(LedgerLookup.NotFound, _ledger.FindByHash(paid.Transaction.Hash));
        Assert.Equal((null, null), (_accounts.Check("static_shop@devb"), _accounts.Check("payee@devb")));
    }
}
