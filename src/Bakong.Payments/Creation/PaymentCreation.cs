using System.Globalization;
using Bakong.Khqr;
using Bakong.Payments.Configuration;
using Bakong.Payments.Storage;
using Bakong.Payments.Writing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bakong.Payments.Creation;

/// <summary>
/// The <c>CreatePayment</c> use case: validates, generates the KHQR (a bill number of its own, tag-99 expiry),
/// and stores the payment before it returns. Idempotent by request id, also under concurrent duplicates: the
/// store's unique index on the request id decides which of them creates the payment; the others get it back. The
/// insert goes through the <see cref="PaymentWriter"/>, which tells every change sink about the new payment.
/// </summary>
public sealed class PaymentCreation
{
    private readonly IPaymentStore _store;
    private readonly PaymentWriter _writer;
    private readonly KhqrGenerator _generator;
    private readonly MerchantOptions _merchant;
    private readonly PaymentOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal PaymentCreation(
        IPaymentStore store,
        PaymentWriter writer,
        KhqrGenerator generator,
        IOptions<MerchantOptions> merchant,
        IOptions<PaymentOptions> options,
        TimeProvider timeProvider,
        ILogger<PaymentCreation> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(merchant);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _writer = writer;
        _generator = generator;
        _merchant = merchant.Value;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Checks every field of <paramref name="request"/> (each limit from <see cref="PaymentLimits"/>, each id by
    /// <see cref="Identifier"/>), every bad field named. A caller that must know the ids are valid before it logs them
    /// (the RPC edge's log scope) validates first and creates from the result; the rules run once either way.
    /// </summary>
    public ValidatedCreatePaymentRequest Validate(CreatePaymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var violations = new List<FieldViolation>();
        var parameters = Validate(request, violations);
        return new ValidatedCreatePaymentRequest(request, parameters, violations);
    }

    public Task<CreatePaymentResult> CreateAsync(CreatePaymentRequest request, CancellationToken cancellationToken) =>
        CreateAsync(Validate(request), maxPendingForTerminal: null, cancellationToken);

    /// <summary>
    /// Creates the payment unless its terminal already has <paramref name="maxPendingForTerminal"/> pending payments
    /// (<see cref="CreatePaymentResult.TooManyPending"/>). A replay of a request id is answered whatever the count: the
    /// payment it made is one of them. The count is read before the insert, so concurrent creates of one terminal can
    /// pass it by as many as run at once; the caller's rate limit bounds that.
    /// </summary>
    public async Task<CreatePaymentResult> CreateAsync(
        ValidatedCreatePaymentRequest validated, int? maxPendingForTerminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(validated);
        if (validated.Parameters is not { } parameters)
        {
            return new CreatePaymentResult.Invalid(validated.Violations);
        }

        var request = validated.Request;
        var hash = PaymentParametersHash.Compute(parameters);

        // The common retry finds its payment without generating a QR; a race past this read is settled by the insert.
        var existing = await _store.GetByRequestIdAsync(request.RequestId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return Compare(existing, parameters, hash);
        }

        if (maxPendingForTerminal is { } max)
        {
            var pending = await _store.CountPendingAsync(parameters.TerminalId, max, cancellationToken).ConfigureAwait(false);
            if (pending.Count >= max)
            {
                var wait = (pending.EarliestExpiry ?? _timeProvider.GetUtcNow()) - _timeProvider.GetUtcNow();
                return new CreatePaymentResult.TooManyPending(max, wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
            }
        }

        var now = _timeProvider.GetUtcNow();
        var id = PaymentIds.NewPaymentId();
        var billNumber = PaymentIds.BillNumberFor(id);

        // Tag 99 carries milliseconds: the payment's expiry is exactly the QR's.
        var expireTime = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds() + (long)parameters.ExpiresIn.TotalMilliseconds);
        var generated = _generator.Generate(new KhqrRequest
        {
            Type = _merchant.IsMerchantQr ? KhqrMerchantType.Merchant : KhqrMerchantType.Individual,
            BakongAccountId = _merchant.BakongAccountId,
            MerchantName = _merchant.Name,
            MerchantCity = _merchant.City,
            MerchantId = _merchant.MerchantId,
            AcquiringBank = _merchant.AcquiringBank,
            AccountInformation = _merchant.IsMerchantQr ? null : _merchant.AccountInformation,
            MerchantCategoryCode = _merchant.CategoryCode,
            Currency = parameters.Money.Currency,
            Amount = parameters.Money.Amount,
            BillNumber = billNumber,
            StoreLabel = parameters.StoreLabel,
            TerminalLabel = parameters.TerminalLabel,
            ExpirationTimestamp = expireTime.ToUnixTimeMilliseconds(),
        });
        if (!generated.IsSuccess)
        {
            // Validate checks what the KHQR checks of the request's own fields; this names what it still refuses.
            return CreatePaymentFields.OfKhqrField(generated.Error.Field) is { } field
                ? new CreatePaymentResult.Invalid([new FieldViolation(field, generated.Error.ToString())])
                : throw new InvalidOperationException("The merchant profile (Merchant:*) cannot make a KHQR: " + generated.Error);
        }

        var payment = Payment.Create(
            id,
            request.RequestId,
            hash,
            parameters,
            billNumber,
            _merchant.BakongAccountId,
            generated.Value.Qr,
            generated.Value.Md5,
            now,
            expireTime);
        var inserted = await _writer.InsertAsync(
            payment,
            p => PaymentLog.Created(_logger, p.Id, parameters.TerminalId, parameters.Money, billNumber, p.Md5, expireTime),
            cancellationToken).ConfigureAwait(false);
        return inserted.Inserted ? new CreatePaymentResult.Created(payment) : Compare(inserted.Payment, parameters, hash);
    }

    private CreatePaymentResult Compare(Payment existing, PaymentParameters requested, string hash)
    {
        if (existing.ParametersHash == hash)
        {
            PaymentLog.Replayed(_logger, existing.RequestId, existing.Id);
            return new CreatePaymentResult.Replayed(existing);
        }

        var fields = PaymentParametersHash.Differences(existing.Parameters, requested);
        if (fields.Count == 0)
        {
            // Same fields, another hash: stored under an older canonical form. Still the same request.
            return new CreatePaymentResult.Replayed(existing);
        }

        PaymentLog.Conflict(_logger, existing.RequestId, existing.Id, string.Join(", ", fields));
        return new CreatePaymentResult.Conflict(existing, fields);
    }

    private PaymentParameters? Validate(CreatePaymentRequest request, List<FieldViolation> violations)
    {
        Add(Identifier.Check(request.RequestId, CreatePaymentFields.RequestId, PaymentLimits.RequestId), violations);
        Add(Identifier.Check(request.TerminalId, CreatePaymentFields.TerminalId, PaymentLimits.TerminalId), violations);
        var orderRef = Optional(request.OrderRef, CreatePaymentFields.OrderRef, PaymentLimits.OrderRef, violations);
        var storeLabel = Optional(request.StoreLabel, CreatePaymentFields.StoreLabel, PaymentLimits.StoreLabel, violations);
        var terminalLabel = Optional(request.TerminalLabel, CreatePaymentFields.TerminalLabel, PaymentLimits.TerminalLabel, violations);

        var currency = string.IsNullOrEmpty(request.Currency) ? _merchant.DefaultCurrency : request.Currency;
        if (!Money.TryCreate(currency, request.Amount, _options.MaxAmount, out var money, out var moneyViolation))
        {
            violations.Add(moneyViolation!);
        }

        var expiresIn = request.ExpiresIn ?? _options.DefaultExpiry;
        if (expiresIn < TimeSpan.FromSeconds(10) || expiresIn > _options.MaxExpiry)
        {
            violations.Add(new FieldViolation(
                CreatePaymentFields.ExpiresIn,
                string.Create(CultureInfo.InvariantCulture, $"must be from 10 seconds to {_options.MaxExpiry.TotalSeconds:0} seconds")));
        }
        else if (expiresIn.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            violations.Add(new FieldViolation(CreatePaymentFields.ExpiresIn, "whole milliseconds only"));
        }

        return violations.Count > 0
            ? null
            : new PaymentParameters
            {
                TerminalId = request.TerminalId,
                Money = money,
                OrderRef = orderRef,
                ExpiresIn = expiresIn,
                StoreLabel = storeLabel,
                TerminalLabel = terminalLabel,
            };
    }

    private static void Add(FieldViolation? violation, List<FieldViolation> violations)
    {
        if (violation is not null)
        {
            violations.Add(violation);
        }
    }

    private static string? Optional(string? value, string field, int maxLength, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            violations.Add(new FieldViolation(field, TooLong(value, maxLength)));
        }

        return value;
    }

    private static string TooLong(string value, int maxLength) =>
        string.Create(CultureInfo.InvariantCulture, $"{value.Length} characters, at most {maxLength}");
}
