using System.Globalization;
using Bakong.Khqr;
using Bakong.Payments.Configuration;
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
    private readonly PaymentWriter _writer;
    private readonly KhqrGenerator _generator;
    private readonly MerchantProfiles _profiles;
    private readonly PaymentOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // The last tag-99 creation time (Unix ms) given to a QR with a POS bill number; see DistinctMillisecond.
    private long _lastPosBillMs;

    internal PaymentCreation(
        PaymentWriter writer,
        KhqrGenerator generator,
        IOptions<MerchantProfiles> profiles,
        IOptions<PaymentOptions> options,
        TimeProvider timeProvider,
        ILogger<PaymentCreation> logger)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _writer = writer;
        _generator = generator;
        _profiles = profiles.Value;
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
        var parameters = Validate(request, violations, out var profile);
        return new ValidatedCreatePaymentRequest(request, parameters, profile, violations);
    }

    public Task<CreatePaymentResult> CreateAsync(CreatePaymentRequest request, CancellationToken cancellationToken) =>
        CreateAsync(Validate(request), maxPendingForTerminal: null, cancellationToken);

    /// <summary>
    /// Creates the payment unless its terminal already has <paramref name="maxPendingForTerminal"/> pending payments
    /// (<see cref="CreatePaymentResult.TooManyPending"/>). A replay of a request id is answered whatever the count: the
    /// payment it made is one of them. The store's insert checks the count (no read ahead of it): exactly on LiteDB,
    /// whose writer takes one write after the other; on PostgreSQL, creates of one terminal committing at the same
    /// moment can pass it by as many as commit at once, which the caller's rate limit bounds.
    /// </summary>
    public async Task<CreatePaymentResult> CreateAsync(
        ValidatedCreatePaymentRequest validated, int? maxPendingForTerminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(validated);
        if (validated.Parameters is not { } parameters || validated.Profile is not { } profile)
        {
            return new CreatePaymentResult.Invalid(validated.Violations);
        }

        var request = validated.Request;
        var hash = PaymentParametersHash.Compute(parameters);

        var now = _timeProvider.GetUtcNow();
        var id = PaymentIds.NewPaymentId();

        // The gateway's bill number is unique to the payment, so its QR and md5 are too. A POS's own may repeat (a
        // retried order): the QR still differs by its tag-99 creation time, which for these is never the same
        // millisecond twice in this gateway, so no two payments share an md5 (Bakong's key for the transfer).
        var billNumber = parameters.BillNumber ?? PaymentIds.BillNumberFor(id);
        if (parameters.BillNumber is not null)
        {
            now = DistinctMillisecond(now);
        }

        // Tag 99 carries milliseconds: the payment's expiry is exactly the QR's.
        var expireTime = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds() + (long)parameters.ExpiresIn.TotalMilliseconds);
        var generated = _generator.Generate(
            profile.KhqrTemplate(parameters.Money.Currency) with
            {
                Amount = parameters.Money.Amount,
                BillNumber = billNumber,
                StoreLabel = parameters.StoreLabel,
                TerminalLabel = parameters.TerminalLabel,
                PurposeOfTransaction = parameters.PurposeOfTransaction,
                ExpirationTimestamp = expireTime.ToUnixTimeMilliseconds(),
            },
            now);
        if (!generated.IsSuccess)
        {
            // Validate checks what the KHQR checks of the request's own fields; this names what it still refuses.
            return KhqrViolation(generated.Error, parameters) is { } violation
                ? new CreatePaymentResult.Invalid([violation])
                : throw new InvalidOperationException("The merchant profile (" + profile.ConfigurationKey + ") cannot make a KHQR: " + generated.Error);
        }

        var payment = Payment.Create(
            id,
            request.RequestId,
            hash,
            parameters,
            billNumber,
            profile.BakongAccountId.Trim(),
            generated.Value.Qr,
            generated.Value.Md5,
            now,
            expireTime,
            profile.Id);
        // A replay (the same request id again) is settled by the insert too, which finds the stored payment: no read
        // of the request id ahead of it, which every create would pay for (a read snapshot on LiteDB, a round trip on
        // PostgreSQL) while replays are rare and cost only a QR generation more.
        var inserted = await _writer.InsertAsync(
            payment,
            maxPendingForTerminal,
            p => PaymentLog.Created(_logger, p.Id, parameters.TerminalId, parameters.Money, billNumber, p.Md5, expireTime),
            cancellationToken).ConfigureAwait(false);
        if (inserted.Refused is { } pending && maxPendingForTerminal is { } max)
        {
            var wait = (pending.EarliestExpiry ?? now) - _timeProvider.GetUtcNow();
            return new CreatePaymentResult.TooManyPending(max, wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
        }

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

    /// <summary>
    /// The request field a KHQR refusal is about, or null when it is about the profile. A tag-62 template over 99
    /// characters is the request's tag-62 fields together with the profile's mobile number and store label: the
    /// request's last such field is named, as it is the one a POS can shorten.
    /// </summary>
    private static FieldViolation? KhqrViolation(KhqrError error, PaymentParameters parameters)
    {
        var field = error.Field == "tag 62"
            ? (parameters.PurposeOfTransaction is not null ? CreatePaymentFields.PurposeOfTransaction
                : parameters.TerminalLabel is not null ? CreatePaymentFields.TerminalLabel
                : parameters.StoreLabel is not null ? CreatePaymentFields.StoreLabel
                : parameters.BillNumber is not null ? CreatePaymentFields.BillNumber
                : null)
            : CreatePaymentFields.OfKhqrField(error.Field);
        return field is null ? null : new FieldViolation(field, error.ToString());
    }

    /// <summary>
    /// <paramref name="now"/> to the millisecond, or the millisecond after the last one given, whichever is later:
    /// the tag-99 creation times of QRs with a POS bill number never repeat in this gateway.
    /// </summary>
    private DateTimeOffset DistinctMillisecond(DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        while (true)
        {
            var last = Volatile.Read(ref _lastPosBillMs);
            var next = Math.Max(ms, last + 1);
            if (Interlocked.CompareExchange(ref _lastPosBillMs, next, last) == last)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(next);
            }
        }
    }

    private PaymentParameters? Validate(CreatePaymentRequest request, List<FieldViolation> violations, out MerchantProfile? profile)
    {
        profile = null;
        Add(Identifier.Check(request.RequestId, CreatePaymentFields.RequestId, PaymentLimits.RequestId), violations);
        if (Identifier.Check(request.TerminalId, CreatePaymentFields.TerminalId, PaymentLimits.TerminalId) is { } badTerminal)
        {
            violations.Add(badTerminal);
        }
        else if ((profile = _profiles.ForTerminal(request.TerminalId)) is null)
        {
            violations.Add(new FieldViolation(
                CreatePaymentFields.TerminalId, "no merchant profile serves this terminal (list it in a profile's Merchants:N:Terminals)"));
        }

        var orderRef = Optional(request.OrderRef, CreatePaymentFields.OrderRef, PaymentLimits.OrderRef, violations);
        var storeLabel = Optional(request.StoreLabel, CreatePaymentFields.StoreLabel, PaymentLimits.StoreLabel, violations);
        var terminalLabel = Optional(request.TerminalLabel, CreatePaymentFields.TerminalLabel, PaymentLimits.TerminalLabel, violations);
        var purpose = QrText(
            request.PurposeOfTransaction, CreatePaymentFields.PurposeOfTransaction, PaymentLimits.PurposeOfTransaction, KhqrErrorCode.PurposeOfTransactionLengthInvalid, violations);
        var billNumber = QrText(request.BillNumber, CreatePaymentFields.BillNumber, PaymentLimits.BillNumber, KhqrErrorCode.BillNumberLengthInvalid, violations);

        var currency = string.IsNullOrEmpty(request.Currency) ? profile?.DefaultCurrency ?? "KHR" : request.Currency;
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
                // The profile's store label is a default, as its currency is: the payment records what its QR carries.
                StoreLabel = storeLabel ?? (string.IsNullOrEmpty(profile?.StoreLabel) ? null : profile.StoreLabel),
                TerminalLabel = terminalLabel,
                PurposeOfTransaction = purpose,
                BillNumber = billNumber,
            };
    }

    /// <summary>
    /// A tag-62 text from the POS: at most <paramref name="maxLength"/> UTF-16 code units as the SDK counts them (its
    /// error code in the description), and no control characters: the SDK takes any, but a line break in a banking
    /// app's receipt or in the gateway's log line is never meant.
    /// </summary>
    private static string? QrText(string? value, string field, int maxLength, KhqrErrorCode code, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            violations.Add(new FieldViolation(field, new KhqrError(code, null, TooLong(value, maxLength)).ToString()));
        }
        else if (value.Any(char.IsControl))
        {
            violations.Add(new FieldViolation(field, "control characters (line breaks, tabs) are not allowed"));
        }

        return value;
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
