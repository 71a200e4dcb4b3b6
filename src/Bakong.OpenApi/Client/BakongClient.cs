using System.Text.Json;
using Bakong.OpenApi.Audit;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Bakong.OpenApi.Client;

/// <summary>
/// The authenticated Bakong Open API over a typed <see cref="HttpClient"/>. Every HTTP attempt goes through the
/// shared <see cref="BakongResilience"/> pipeline and into the audit; a 401 renews the token once and retries once.
/// </summary>
internal sealed class BakongClient : IBakongClient
{
    /// <summary>Bakong's documented maximum per list request.</summary>
    public const int MaxListSize = 50;

    internal const string Md5Path = "v1/check_transaction_by_md5";
    internal const string Md5ListPath = "v1/check_transaction_by_md5_list";
    internal const string HashPath = "v1/check_transaction_by_hash";
    internal const string ShortHashPath = "v1/check_transaction_by_short_hash";
    internal const string HashListPath = "v1/check_transaction_by_hash_list";
    internal const string InstructionRefPath = "v1/check_transaction_by_instruction_ref";
    internal const string ExternalRefPath = "v1/check_transaction_by_external_ref";
    internal const string DeeplinkPath = "v1/generate_deeplink_by_qr";
    internal const string AccountPath = "v1/check_bakong_account";

    private readonly BakongHttpSender _sender;
    private readonly BakongResilience _resilience;
    private readonly Md5ListFallback _md5ListFallback;
    private readonly IBakongTokenSource _tokens;
    private readonly ILogger _logger;

    public BakongClient(
        HttpClient httpClient,
        BakongResilience resilience,
        Md5ListFallback md5ListFallback,
        IBakongTokenSource tokens,
        IBakongCallAudit audit,
        TimeProvider timeProvider,
        ILogger<BakongClient> logger,
        BakongCallTelemetry? telemetry = null)
    {
        _sender = new BakongHttpSender(httpClient, audit, timeProvider, logger, telemetry);
        _resilience = resilience;
        _md5ListFallback = md5ListFallback;
        _tokens = tokens;
        _logger = logger;
    }

    public async Task<BakongResult<TransactionCheck>> CheckTransactionByMd5Async(string md5, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(md5);
        var call = BakongCall.Create(Md5Path, md5, new Md5Body(md5), BakongJsonContext.Requests.Md5Body, cancellationToken);
        return ToTransactionCheck(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false));
    }

    public async Task<BakongResult<TransactionCheck>> CheckTransactionByHashAsync(string hash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hash);
        var call = BakongCall.Create(HashPath, hash, new HashBody(hash), BakongJsonContext.Requests.HashBody, cancellationToken);
        return ToTransactionCheck(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false));
    }

    public async Task<BakongResult<TransactionCheck>> CheckTransactionByShortHashAsync(
        string shortHash, decimal amount, string currency, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shortHash);
        ArgumentException.ThrowIfNullOrWhiteSpace(currency);
        var call = BakongCall.Create(
            ShortHashPath, shortHash, new ShortHashBody(shortHash, amount, currency), BakongJsonContext.Requests.ShortHashBody, cancellationToken);
        return ToTransactionCheck(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false));
    }

    public async Task<BakongResult<TransactionCheck>> CheckTransactionByInstructionRefAsync(string instructionRef, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instructionRef);
        var call = BakongCall.Create(
            InstructionRefPath, instructionRef, new InstructionRefBody(instructionRef), BakongJsonContext.Requests.InstructionRefBody, cancellationToken);
        return ToTransactionCheck(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false));
    }

    public async Task<BakongResult<TransactionCheck>> CheckTransactionByExternalRefAsync(string externalRef, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(externalRef);
        var call = BakongCall.Create(
            ExternalRefPath, externalRef, new ExternalRefBody(externalRef), BakongJsonContext.Requests.ExternalRefBody, cancellationToken);
        return ToTransactionCheck(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false));
    }

    public async Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByMd5Async(
        IEnumerable<string> md5s, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, BakongResult<TransactionCheck>>(StringComparer.OrdinalIgnoreCase);
        foreach (var chunk in Distinct(md5s).Chunk(MaxListSize))
        {
            if (_md5ListFallback.IsActive)
            {
                await CheckSinglesAsync(chunk, results, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var call = BakongCall.Create(Md5ListPath, $"{chunk.Length} md5s", chunk, BakongJsonContext.Requests.StringArray, cancellationToken);
            var attempt = await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false);
            if (!attempt.IsRefused)
            {
                MergeList(attempt, chunk, results);
                continue;
            }

            // Refused. Either only the list endpoint is (reported on production) or everything is (geo-blocked):
            // one single check tells which, so a blocked host does not turn one refused call into fifty.
            var probe = await CheckTransactionByMd5Async(chunk[0], cancellationToken).ConfigureAwait(false);
            results[chunk[0]] = probe;
            if (probe.Fault is { } fault && fault.HttpStatus == attempt.HttpStatus)
            {
                foreach (var md5 in chunk.AsSpan(1))
                {
                    results[md5] = BakongResult<TransactionCheck>.Failed(attempt.Fault!);
                }

                continue;
            }

            var until = _md5ListFallback.Remember();
            BakongClientLog.Md5ListRefused(_logger, attempt.HttpStatus, until);
            await CheckSinglesAsync(chunk[1..], results, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    public async Task<IReadOnlyDictionary<string, BakongResult<TransactionCheck>>> CheckTransactionsByHashAsync(
        IEnumerable<string> hashes, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, BakongResult<TransactionCheck>>(StringComparer.OrdinalIgnoreCase);
        foreach (var chunk in Distinct(hashes).Chunk(MaxListSize))
        {
            var call = BakongCall.Create(HashListPath, $"{chunk.Length} hashes", chunk, BakongJsonContext.Requests.StringArray, cancellationToken);
            MergeList(await ExecuteAsync(call, tokenRequired: true).ConfigureAwait(false), chunk, results);
        }

        return results;
    }

    public async Task<BakongResult<Uri>> GenerateDeeplinkAsync(string qr, DeeplinkSourceInfo? sourceInfo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(qr);
        var source = sourceInfo is null
            ? null
            : new DeeplinkSourceInfoBody(sourceInfo.AppIconUrl.OriginalString, sourceInfo.AppName, sourceInfo.AppDeepLinkCallback.OriginalString);

        // The subject is the QR's md5, which is what the rest of the audit is keyed by; the QR itself is long.
        var call = BakongCall.Create(DeeplinkPath, Md5Hex(qr), new DeeplinkBody(qr, source), BakongJsonContext.Requests.DeeplinkBody, cancellationToken);

        // The deeplink endpoint takes no token (NBC's Open API document).
        var attempt = await ExecuteAsync(call, tokenRequired: false, sendToken: false).ConfigureAwait(false);
        if (attempt.Fault is { } fault)
        {
            return BakongResult<Uri>.Failed(fault);
        }

        var envelope = attempt.Envelope!;
        if (envelope.ResponseCode != 0)
        {
            return ErrorOrMalformed<Uri>(envelope);
        }

        var link = BakongJson.TryRead(envelope.Data, BakongJsonContext.Default.ShortLinkDto)?.ShortLink;
        return Uri.TryCreate(link, UriKind.Absolute, out var uri)
            ? BakongResult<Uri>.Success(uri, envelope.ResponseMessage)
            : BakongResult<Uri>.Failed(HttpAttempt.Malformed("Bakong reported success without a data.shortLink URL.", attempt.HttpStatus));
    }

    public async Task<BakongResult<BakongAccountCheck>> CheckBakongAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var call = BakongCall.Create(AccountPath, accountId, new AccountBody(accountId), BakongJsonContext.Requests.AccountBody, cancellationToken);

        // NBC's document marks the token mandatory here, SDKs call without one: send it when there is one.
        var attempt = await ExecuteAsync(call, tokenRequired: false).ConfigureAwait(false);
        if (attempt.Fault is { } fault)
        {
            return BakongResult<BakongAccountCheck>.Failed(fault);
        }

        var envelope = attempt.Envelope!;
        var message = envelope.ResponseMessage;
        if (envelope.ResponseCode == 0)
        {
            var details = BakongJson.TryRead(envelope.Data, BakongJsonContext.Default.AccountDto);
            return BakongResult<BakongAccountCheck>.Success(
                new BakongAccountCheck(BakongAccountState.Exists, message, details?.AccountStatus, details?.CanReceive, details?.Frozen, details?.KycStatus),
                message);
        }

        return envelope.ErrorCode switch
        {
            11 => BakongResult<BakongAccountCheck>.Success(new BakongAccountCheck(BakongAccountState.NotFound, message), message),
            12 => BakongResult<BakongAccountCheck>.Success(new BakongAccountCheck(BakongAccountState.Invalid, message), message),
            _ => ErrorOrMalformed<BakongAccountCheck>(envelope),
        };
    }

    /// <summary>Runs the pipeline; on 401 asks the token source for a renewed token and runs it once more.</summary>
    private async Task<HttpAttempt> ExecuteAsync(BakongCall call, bool tokenRequired, bool sendToken = true)
    {
        var token = sendToken ? await _tokens.GetCurrentAsync(call.CallerToken).ConfigureAwait(false) : null;
        if (token is null && tokenRequired)
        {
            BakongClientLog.NoToken(_logger, call.Endpoint);
            return HttpAttempt.Faulted(
                BakongFaultKind.Unauthorized,
                "No Bakong token is configured: register (bakong token register/verify) or set one (bakong token set).");
        }

        var result = await RunPipelineAsync(call, token).ConfigureAwait(false);
        if (result.Fault?.Kind != BakongFaultKind.Unauthorized || token is null)
        {
            return result;
        }

        BakongClientLog.TokenRejected(_logger, call.Endpoint);
        var renewed = await _tokens.RenewAsync(token, call.CallerToken).ConfigureAwait(false);
        if (renewed is null)
        {
            BakongClientLog.TokenNotRenewed(_logger, call.Endpoint);
            return result;
        }

        // Exactly one retry with the renewed token; a second 401 is the answer.
        return await RunPipelineAsync(call, renewed).ConfigureAwait(false);
    }

    private async Task<HttpAttempt> RunPipelineAsync(BakongCall call, BakongToken? token)
    {
        try
        {
            return await _resilience.Pipeline.ExecuteAsync(
                static (state, ct) => state.Sender.SendAsync(state.Call, state.Token, ct),
                (Sender: _sender, Call: call, Token: token),
                call.CallerToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException) when (!call.CallerToken.IsCancellationRequested)
        {
            var options = _resilience.Options;
            return HttpAttempt.Faulted(
                BakongFaultKind.Timeout,
                $"Bakong did not answer {call.Endpoint} in time (attempt timeout {options.AttemptTimeout.TotalSeconds:0.#} s, total {options.TotalTimeout.TotalSeconds:0.#} s).");
        }
        catch (BrokenCircuitException)
        {
            BakongClientLog.CircuitRejected(_logger, call.Endpoint, call.Subject);
            return HttpAttempt.Faulted(
                BakongFaultKind.CircuitOpen,
                $"Bakong is failing repeatedly; calls are suspended for up to {_resilience.Options.CircuitBreakerBreakDuration.TotalSeconds:0.#} s (circuit open).");
        }
    }

    private async Task CheckSinglesAsync(
        string[] md5s, Dictionary<string, BakongResult<TransactionCheck>> results, CancellationToken cancellationToken)
    {
        // In parallel: the pipeline's concurrency limit keeps the number in flight bounded.
        var checks = new Task<BakongResult<TransactionCheck>>[md5s.Length];
        for (var i = 0; i < md5s.Length; i++)
        {
            checks[i] = CheckTransactionByMd5Async(md5s[i], cancellationToken);
        }

        var answers = await Task.WhenAll(checks).ConfigureAwait(false);
        for (var i = 0; i < md5s.Length; i++)
        {
            results[md5s[i]] = answers[i];
        }
    }

    internal static BakongResult<TransactionCheck> ToTransactionCheck(HttpAttempt attempt)
    {
        if (attempt.Fault is { } fault)
        {
            // A bare 404 on a check endpoint is treated as "not found", as some community clients and mocks do.
            return attempt.IsBareNotFound
                ? BakongResult<TransactionCheck>.Success(new TransactionCheck.NotFound("HTTP 404"), null)
                : BakongResult<TransactionCheck>.Failed(fault);
        }

        var envelope = attempt.Envelope!;
        var message = envelope.ResponseMessage;
        if (envelope.ResponseCode == 0)
        {
            return envelope.Data is { } data && BakongJson.TryReadTransaction(data) is { } transaction
                ? BakongResult<TransactionCheck>.Success(new TransactionCheck.Paid(transaction), message)
                : BakongResult<TransactionCheck>.Failed(HttpAttempt.Malformed(
                    "Bakong reported success without a readable transaction (hash, currency and amount are required).", attempt.HttpStatus));
        }

        return envelope.ErrorCode switch
        {
            1 when IsTransactionFailedMessage(message) => BakongResult<TransactionCheck>.Success(new TransactionCheck.Failed(message), message),
            1 => BakongResult<TransactionCheck>.Success(new TransactionCheck.NotFound(message), message),
            2 => BakongResult<TransactionCheck>.Success(new TransactionCheck.StaticQrUnsupported(message), message),
            3 => BakongResult<TransactionCheck>.Success(new TransactionCheck.Failed(message), message),
            _ => ErrorOrMalformed<TransactionCheck>(envelope),
        };
    }

    // NBC's QR Pay Integration document shows a failed transaction as errorCode 1 "Transaction failed." while the
    // Open API document uses errorCode 3; accept both rather than poll a failed payment until it expires.
    private static bool IsTransactionFailedMessage(string? message) =>
        message is not null && message.AsSpan().Trim().StartsWith("Transaction failed", StringComparison.OrdinalIgnoreCase);

    private static BakongResult<T> ErrorOrMalformed<T>(BakongEnvelope envelope) =>
        envelope.ErrorCode is { } code
            ? BakongResult<T>.Error(code, envelope.ResponseMessage)
            : BakongResult<T>.Failed(HttpAttempt.Malformed($"Bakong answered responseCode {envelope.ResponseCode} without an errorCode."));

    internal static void MergeList(HttpAttempt attempt, string[] requested, Dictionary<string, BakongResult<TransactionCheck>> results)
    {
        BakongResult<TransactionCheck>? all = null;
        if (attempt.Fault is { } fault)
        {
            all = BakongResult<TransactionCheck>.Failed(fault);
        }
        else if (attempt.Envelope!.ResponseCode != 0)
        {
            all = ErrorOrMalformed<TransactionCheck>(attempt.Envelope);
        }
        else if (attempt.Envelope.Data is not { ValueKind: JsonValueKind.Array } items)
        {
            all = BakongResult<TransactionCheck>.Failed(HttpAttempt.Malformed("Bakong's list answer has no data array.", attempt.HttpStatus));
        }
        else
        {
            var wanted = new HashSet<string>(requested, StringComparer.OrdinalIgnoreCase);
            foreach (var item in items.EnumerateArray())
            {
                if (ReadListItem(item) is ({ } key, { } result) && wanted.Contains(key))
                {
                    results[key] = result;
                    wanted.Remove(key);
                }
            }

            foreach (var missing in wanted)
            {
                results[missing] = BakongResult<TransactionCheck>.Failed(
                    HttpAttempt.Malformed("Bakong's list answer did not mention this item.", attempt.HttpStatus));
            }
        }

        if (all is not null)
        {
            foreach (var key in requested)
            {
                results[key] = all;
            }
        }
    }

    /// <summary>
    /// A list item: keyed by <c>md5</c> or <c>hash</c>, with <c>status</c>, and for <c>SUCCESS</c> the transaction
    /// under <c>data</c>, under <c>transaction</c>, or inline.
    /// </summary>
    private static (string? Key, BakongResult<TransactionCheck>? Result) ReadListItem(JsonElement item)
    {
        var dto = BakongJson.TryRead(item, BakongJsonContext.Default.ListItemDto);
        var key = dto?.Md5 ?? dto?.Hash;
        if (dto is null || string.IsNullOrEmpty(key))
        {
            return (null, null);
        }

        var message = dto.Message;
        BakongResult<TransactionCheck> result = dto.Status?.ToUpperInvariant() switch
        {
            "SUCCESS" => (dto.Data is { ValueKind: JsonValueKind.Object } d ? BakongJson.TryReadTransaction(d)
                    : dto.Transaction is { ValueKind: JsonValueKind.Object } t ? BakongJson.TryReadTransaction(t)
                    : BakongJson.TryReadTransaction(item)) is { } transaction
                ? BakongResult<TransactionCheck>.Success(new TransactionCheck.Paid(transaction), message)
                : BakongResult<TransactionCheck>.Failed(HttpAttempt.Malformed("Bakong listed this item as SUCCESS without a readable transaction.")),
            "NOT_FOUND" => BakongResult<TransactionCheck>.Success(new TransactionCheck.NotFound(message), message),
            "FAILED" => BakongResult<TransactionCheck>.Success(new TransactionCheck.Failed(message), message),
            "STATIC_QR" => BakongResult<TransactionCheck>.Success(new TransactionCheck.StaticQrUnsupported(message), message),
            _ => BakongResult<TransactionCheck>.Failed(HttpAttempt.Malformed($"Bakong listed this item with an unknown status '{dto.Status}'.")),
        };
        return (key, result);
    }

    private static List<string> Distinct(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var list = new List<string>();
        foreach (var key in keys)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(key, nameof(keys));
            if (seen.Add(key))
            {
                list.Add(key);
            }
        }

        return list;
    }

#pragma warning disable CA5351 // MD5 is what Bakong keys QRs by, not a security measure here.
    private static string Md5Hex(string qr) =>
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(qr)));
#pragma warning restore CA5351
}
