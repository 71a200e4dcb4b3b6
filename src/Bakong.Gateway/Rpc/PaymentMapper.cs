using Bakong.Grpc.Payments.V1;
using Bakong.Payments.Deeplinks;
using Google.Protobuf.WellKnownTypes;

namespace Bakong.Gateway.Rpc;

/// <summary>
/// Converts between the public contract (<c>bakong.payments.v1</c>) and the domain, in both directions, and applies
/// only the rules of the contract's own types (<c>Money</c> units and nanos, <c>Duration</c>, <c>Timestamp</c>, the
/// state enum): every other rule, identifiers and lengths included, is the domain's (<see cref="Payments.Identifier"/>,
/// <see cref="Payments.PaymentLimits"/>). Field violations are named by their proto paths (<c>amount.nanos</c>).
/// Contract types go by their simple names; a domain type of the same name goes through its namespace (<c>Payments.Money</c>).
/// </summary>
internal static class PaymentMapper
{
    private const int NanosPerCent = 10_000_000;
    private const int NanosPerMillisecond = 1_000_000;
    private const long MaxDurationSeconds = 86_400;

    // The range google.protobuf.Timestamp allows (and DateTimeOffset holds): 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    private const long MinTimestampSeconds = -62_135_596_800;
    private const long MaxTimestampSeconds = 253_402_300_799;

    /// <summary>
    /// The domain request, with the violations of the contract's own rules (<c>Money</c>, <c>Duration</c>) added to
    /// <paramref name="violations"/>: where they refuse the amount or the expiry, the request carries 0 or the default
    /// expiry, and <see cref="InFieldOrder"/> keeps those fields named once, by the contract.
    /// </summary>
    public static Payments.Creation.CreatePaymentRequest ToDomain(CreatePaymentRequest request, List<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(violations);
        var amount = ToAmount(request.Amount, "amount", violations);
        var expiresIn = ToExpiresIn(request.ExpiresIn, violations);
        return new Payments.Creation.CreatePaymentRequest
        {
            RequestId = request.RequestId,
            TerminalId = request.TerminalId,
            Currency = request.Amount?.CurrencyCode,
            Amount = amount,
            OrderRef = request.OrderRef,
            ExpiresIn = expiresIn,
            StoreLabel = request.StoreLabel,
            TerminalLabel = request.TerminalLabel,
            PurposeOfTransaction = request.PurposeOfTransaction,
            BillNumber = request.BillNumber,
        };
    }

    /// <summary>
    /// The violations of one <c>CreatePayment</c>: the contract's and the domain's (named by proto path), each field once
    /// (a field the contract's rules refused is not judged again by the domain's), in the order of the request's fields.
    /// </summary>
    public static List<Payments.FieldViolation> InFieldOrder(IReadOnlyCollection<Payments.FieldViolation> contract, IEnumerable<Payments.FieldViolation> domain)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(domain);
        var refused = contract.Select(v => RootOf(v.Field)).ToHashSet(StringComparer.Ordinal);
        return
        [
            .. contract.Concat(domain.Select(ToProtoPath).Where(v => !refused.Contains(RootOf(v.Field))))
                .OrderBy(v => CreatePaymentRequest.Descriptor.FindFieldByName(RootOf(v.Field))?.FieldNumber ?? int.MaxValue),
        ];
    }

    /// <summary>A domain violation named by the request field's proto path.</summary>
    public static Payments.FieldViolation ToProtoPath(Payments.FieldViolation violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        return violation.Field switch
        {
            Payments.Creation.CreatePaymentFields.Currency => violation with { Field = "amount.currency_code" },
            Payments.Creation.CreatePaymentFields.Amount => violation with { Field = "amount.units" },
            _ => violation,
        };
    }

    /// <summary>The domain's list request, or the violations of the contract's own rules (the domain then checks the rest).</summary>
    public static Payments.Listing.ListPaymentsRequest? ToDomain(ListPaymentsRequest request, List<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(violations);
        var states = new List<Payments.PaymentState>(request.States.Count);
        foreach (var state in request.States)
        {
            if (ToDomain(state) is not { } domain)
            {
                violations.Add(new Payments.FieldViolation("states", "STATE_UNSPECIFIED and unknown values are not states to filter by"));
                break;
            }

            states.Add(domain);
        }

        var from = ToTime(request.StartCreateTime, "start_create_time", violations);
        var to = ToTime(request.EndCreateTime, "end_create_time", violations);
        return violations.Count > 0
            ? null
            : new Payments.Listing.ListPaymentsRequest
            {
                States = states,
                TerminalId = request.TerminalId,
                CreatedFrom = from,
                CreatedTo = to,
                PageSize = request.PageSize,
                PageToken = request.PageToken,
            };
    }

    /// <summary>The page, and the profile of the terminal it was asked for (a kiosk's start screen shows its name).</summary>
    public static ListPaymentsResponse ToProto(Payments.Listing.ListPaymentsResult.Listed page, Payments.Configuration.MerchantProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        var response = new ListPaymentsResponse { NextPageToken = page.NextPageToken ?? "" };
        if (profile is not null)
        {
            response.Merchant = new MerchantProfile
            {
                MerchantProfileId = profile.Id,
                Name = profile.Name,
                NameKhmer = profile.NameKhmer ?? "",
                Language = profile.Language,
            };
        }

        foreach (var payment in page.Payments)
        {
            response.Payments.Add(ToProto(payment));
        }

        return response;
    }

    public static WatchTerminalResponse ToProto(Payments.Watching.TerminalWatchEvent message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message switch
        {
            Payments.Watching.TerminalWatchEvent.Change change =>
                new WatchTerminalResponse { Payment = ToProto(change.Payment), Cursor = change.Cursor?.Format() ?? "" },
            Payments.Watching.TerminalWatchEvent.CaughtUp caughtUp => new WatchTerminalResponse
            {
                CaughtUp = new WatchTerminalResponse.Types.CaughtUp { Resumed = caughtUp.Resumed },
                Cursor = caughtUp.Cursor.Format(),
            },
            _ => throw new InvalidOperationException("Unknown terminal watch message."),
        };
    }

    public static DeeplinkRequest ToDomain(DeeplinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DeeplinkRequest(options.AppName, options.AppIconUrl, options.CallbackUrl);
    }

    public static Deeplink ToProto(DeeplinkResult deeplink)
    {
        ArgumentNullException.ThrowIfNull(deeplink);
        return deeplink.ShortLink is { } link
            ? new Deeplink { ShortLink = link.AbsoluteUri }
            : new Deeplink { FailureReason = deeplink.FailureReason ?? "" };
    }

    public static Payment ToProto(Payments.Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return ToProto(payment.ToSnapshot());
    }

    public static Payment ToProto(Payments.PaymentSnapshot payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var proto = new Payment
        {
            PaymentId = payment.Id,
            RequestId = payment.RequestId,
            TerminalId = payment.Parameters.TerminalId,
            State = ToProto(payment.State),
            Amount = ToProto(payment.Parameters.Money),
            Khqr = payment.Qr,
            Md5 = payment.Md5,
            BillNumber = payment.BillNumber,
            OrderRef = payment.Parameters.OrderRef ?? "",
            StoreLabel = payment.Parameters.StoreLabel ?? "",
            TerminalLabel = payment.Parameters.TerminalLabel ?? "",
            CreateTime = Timestamp.FromDateTimeOffset(payment.CreateTime),
            ExpireTime = Timestamp.FromDateTimeOffset(payment.ExpireTime),
            UpdateTime = Timestamp.FromDateTimeOffset(payment.UpdateTime),
            Version = payment.Version,
            NeedsReview = payment.Review is not null,
            ReviewReason = payment.Review?.Reason ?? "",
            MerchantProfileId = payment.MerchantProfileId,
            PurposeOfTransaction = payment.Parameters.PurposeOfTransaction ?? "",
        };
        if (payment.SettleTime is { } settled)
        {
            proto.SettleTime = Timestamp.FromDateTimeOffset(settled);
        }

        // The settling transaction when paid; otherwise the one that did not match, if any.
        var transaction = payment.State is Payments.PaymentState.Paid or Payments.PaymentState.PaidLate ? payment.Transaction ?? payment.Review?.Transaction : payment.Review?.Transaction;
        if (transaction is not null)
        {
            proto.BakongTransaction = ToProto(transaction);
        }

        if (payment.Resolution is { } resolution)
        {
            proto.Resolution = new PaymentResolution
            {
                Kind = resolution.Kind == Payments.ResolutionKind.Refunded ? PaymentResolution.Types.Kind.Refunded : PaymentResolution.Types.Kind.Accepted,
                Refund = resolution.Refund is { } refund ? ToProto(refund) : null,
                ResolvedBy = resolution.ResolvedBy,
                ResolveTime = Timestamp.FromDateTimeOffset(resolution.Time),
                Note = resolution.Note ?? "",
            };
        }

        return proto;
    }

    public static Payment.Types.State ToProto(Payments.PaymentState state) => state switch
    {
        Payments.PaymentState.Pending => Payment.Types.State.Pending,
        Payments.PaymentState.Paid => Payment.Types.State.Paid,
        Payments.PaymentState.Failed => Payment.Types.State.Failed,
        Payments.PaymentState.Expired => Payment.Types.State.Expired,
        Payments.PaymentState.Cancelled => Payment.Types.State.Cancelled,
        Payments.PaymentState.PaidLate => Payment.Types.State.PaidLate,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a payment state"),
    };

    /// <summary>The domain state of a filter value; null for STATE_UNSPECIFIED and values this version does not know.</summary>
    public static Payments.PaymentState? ToDomain(Payment.Types.State state) => state switch
    {
        Payment.Types.State.Pending => Payments.PaymentState.Pending,
        Payment.Types.State.Paid => Payments.PaymentState.Paid,
        Payment.Types.State.Failed => Payments.PaymentState.Failed,
        Payment.Types.State.Expired => Payments.PaymentState.Expired,
        Payment.Types.State.Cancelled => Payments.PaymentState.Cancelled,
        Payment.Types.State.PaidLate => Payments.PaymentState.PaidLate,
        _ => null,
    };

    public static Money ToProto(Payments.Money money) => money.Currency == Khqr.KhqrCurrency.Khr
        ? new Money { CurrencyCode = money.CurrencyCode, Units = money.MinorUnits }
        : new Money { CurrencyCode = money.CurrencyCode, Units = money.MinorUnits / 100, Nanos = (int)(money.MinorUnits % 100) * NanosPerCent };

    public static BakongTransaction ToProto(Bakong.OpenApi.Client.BakongTransaction transaction)
    {
        var units = decimal.Truncate(transaction.Amount);
        var proto = new BakongTransaction
        {
            Hash = transaction.Hash,
            FromAccountId = transaction.FromAccountId ?? "",
            ToAccountId = transaction.ToAccountId ?? "",
            Amount = new Money
            {
                CurrencyCode = transaction.Currency.ToUpperInvariant(),
                Units = (long)units,
                Nanos = (int)((transaction.Amount - units) * 1_000_000_000m),
            },
        };
        if (transaction.CreatedAt is { } created)
        {
            proto.CreateTime = Timestamp.FromDateTimeOffset(created);
        }

        if (transaction.AcknowledgedAt is { } acknowledged)
        {
            proto.AcknowledgeTime = Timestamp.FromDateTimeOffset(acknowledged);
        }

        return proto;
    }

    /// <summary>The request field a proto path is in: <c>amount</c> for <c>amount.nanos</c>.</summary>
    private static string RootOf(string path) => path.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 ? path[..dot] : path;

    /// <summary>
    /// The receipt of a <c>VerifyTransaction</c>, or null with the violations: the contract's (<c>Money</c>), then the
    /// domain's (<see cref="Payments.Verification.ReceiptQuery"/>), named by the request's proto paths.
    /// </summary>
    public static Payments.Verification.ReceiptQuery? ToDomain(VerifyTransactionRequest request, List<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(violations);
        switch (request.ReceiptCase)
        {
            case VerifyTransactionRequest.ReceiptOneofCase.Hash:
                return Payments.Verification.ReceiptQuery.ForHash(request.Hash, violations);
            case VerifyTransactionRequest.ReceiptOneofCase.ExternalRef:
                return Payments.Verification.ReceiptQuery.ForExternalRef(request.ExternalRef, violations);
            case VerifyTransactionRequest.ReceiptOneofCase.ShortHash:
                // The contract's rules for the money first; the domain judges the hash, and the money only when the
                // contract took it (a field is named once).
                var contract = new List<Payments.FieldViolation>();
                var amount = ToAmount(request.ShortHash.Amount, "short_hash.amount", contract);
                var domain = new List<Payments.FieldViolation>();
                var query = Payments.Verification.ReceiptQuery.ForShortHash(request.ShortHash.Hash, request.ShortHash.Amount?.CurrencyCode, amount, domain);
                violations.AddRange(domain.Where(v => v.Field == Payments.Verification.VerifyFields.ShortHash));
                violations.AddRange(contract.Count > 0 ? contract : domain.Select(v => v.Field switch
                {
                    Payments.Verification.VerifyFields.ShortHashAmount => v with { Field = "short_hash.amount.units" },
                    Payments.Verification.VerifyFields.ShortHashCurrency => v with { Field = "short_hash.amount.currency_code" },
                    _ => null,
                }).OfType<Payments.FieldViolation>());
                return contract.Count > 0 ? null : query;
            default:
                violations.Add(new Payments.FieldViolation("receipt", "one of short_hash, hash or external_ref is required"));
                return null;
        }
    }

    /// <summary>What the gateway answers for a transaction Bakong found; the payment id only when <paramref name="mayShowPayment"/>.</summary>
    public static VerifyTransactionResponse ToProto(Payments.Verification.VerifyOutcome.Found found, bool mayShowPayment)
    {
        ArgumentNullException.ThrowIfNull(found);
        var response = new VerifyTransactionResponse
        {
            Found = true,
            Transaction = ToProto(found.Transaction),
            PaidToMerchant = found.PaysThisMerchant,
            LinkedToPayment = found.LinkedPayment is not null,
            PaymentId = mayShowPayment && found.LinkedPayment is { } payment ? payment.Id : "",
        };
        if (found.FirstVerification is { } first)
        {
            response.FirstVerification = new ReceiptVerification { VerifyTime = Timestamp.FromDateTimeOffset(first.VerifyTime), TerminalId = first.TerminalId };
        }

        return response;
    }

    private static decimal ToAmount(Money? money, string field, List<Payments.FieldViolation> violations)
    {
        if (money is null)
        {
            violations.Add(new Payments.FieldViolation(field, "required"));
            return 0;
        }

        var before = violations.Count;
        if (!Payments.Money.TryParseCurrency(money.CurrencyCode, out var currency))
        {
            violations.Add(new Payments.FieldViolation(field + ".currency_code", "must be KHR or USD"));
        }

        if (money.Units < 0)
        {
            violations.Add(new Payments.FieldViolation(field + ".units", "must not be negative"));
        }

        if (money.Nanos is < 0 or > 999_999_999)
        {
            violations.Add(new Payments.FieldViolation(field + ".nanos", "must be from 0 to 999,999,999"));
        }
        else if (violations.Count == before && currency == Khqr.KhqrCurrency.Khr && money.Nanos != 0)
        {
            violations.Add(new Payments.FieldViolation(field + ".nanos", "KHR amounts are whole riel: nanos must be 0"));
        }
        else if (violations.Count == before && currency == Khqr.KhqrCurrency.Usd && money.Nanos % NanosPerCent != 0)
        {
            violations.Add(new Payments.FieldViolation(field + ".nanos", "USD amounts are whole cents: nanos must be a multiple of 10,000,000"));
        }

        return violations.Count == before ? money.Units + (money.Nanos / 1_000_000_000m) : 0;
    }

    /// <summary>
    /// A time the client sent; null when unset or not a valid <c>Timestamp</c> (a violation then), which would make
    /// <see cref="Timestamp.ToDateTimeOffset"/> throw.
    /// </summary>
    public static DateTimeOffset? ToTime(Timestamp? timestamp, string field, List<Payments.FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        if (timestamp is null)
        {
            return null;
        }

        if (timestamp.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || timestamp.Nanos is < 0 or > 999_999_999)
        {
            violations.Add(new Payments.FieldViolation(field, "not a valid Timestamp: from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos from 0 to 999,999,999"));
            return null;
        }

        return timestamp.ToDateTimeOffset();
    }

    private static TimeSpan? ToExpiresIn(Duration? duration, List<Payments.FieldViolation> violations)
    {
        if (duration is null)
        {
            return null;
        }

        if (duration.Seconds < 0 || duration.Nanos < 0 || (duration.Seconds == 0 && duration.Nanos == 0) || duration.Nanos > 999_999_999)
        {
            violations.Add(new Payments.FieldViolation("expires_in", "must be greater than zero"));
            return null;
        }

        if (duration.Seconds > MaxDurationSeconds)
        {
            violations.Add(new Payments.FieldViolation("expires_in", "must be at most 10 minutes"));
            return null;
        }

        if (duration.Nanos % NanosPerMillisecond != 0)
        {
            violations.Add(new Payments.FieldViolation("expires_in", "whole milliseconds only"));
            return null;
        }

        return TimeSpan.FromSeconds(duration.Seconds) + TimeSpan.FromMilliseconds(duration.Nanos / NanosPerMillisecond);
    }
}
