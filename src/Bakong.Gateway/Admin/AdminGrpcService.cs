using Bakong.Gateway.Access;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.Identity;
using Bakong.Identity.Storage;
using Bakong.Payments.Reporting;
using Bakong.OpenApi.Storage;
using Google.Protobuf;
using ClientRole = Bakong.Identity.ClientRole;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Bakong.Gateway.Admin;

/// <summary>
/// <c>bakong.admin.v1.AdminService</c>: the clients of a running gateway, for <c>bakong clients</c>, the settlement
/// report (the use case is <see cref="SettlementReport"/>; this only maps it), and its backups, for
/// <c>bakong backup</c>, and the exception queue (<see cref="Payments.Exceptions.ExceptionListing"/>, <see cref="Payments.Exceptions.PaymentResolver"/>). Only operators reach it (<see cref="AccessPolicy.Of"/>: every service but payments and
/// health is theirs).
/// </summary>
internal sealed partial class AdminGrpcService(IServiceProvider services, ILogger<AdminGrpcService> logger) : AdminService.AdminServiceBase
{
    /// <summary>The size of a backup chunk: well under gRPC's 4 MiB message limit, and all the memory a backup stream holds.</summary>
    internal const int BackupChunkBytes = 64 * 1024;

    public override Task<AddClientResponse> AddClient(AddClientRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var store = Store();
        var violations = new List<Payments.FieldViolation>();
        string? thumbprint = null;
        if (request.CertificatePem.Length > 0 && (thumbprint = ClientCertificate.ThumbprintOfPem(request.CertificatePem, out var badCertificate)) is null)
        {
            violations.Add(new Payments.FieldViolation("certificate_pem", badCertificate!));
        }

        var registration = new ClientRegistration(ToDomain(request.Role), [.. request.TerminalIds], request.Name) { CertificateThumbprint = thumbprint };
        violations.InsertRange(0, registration.Check().Select(v => new Payments.FieldViolation(v.Field, v.Reason)));
        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument([.. violations]);
        }

        var added = store.Add(registration);
        var operatorId = context.Caller().Id;
        AdminLog.ClientAdded(logger, added.Client.Id, added.Client.Role, operatorId);
        return Task.FromResult(new AddClientResponse { Client = ToProto(added.Client), Key = added.Key });
    }

    public override Task<ListClientsResponse> ListClients(ListClientsRequest request, ServerCallContext context)
    {
        var response = new ListClientsResponse();
        response.Clients.AddRange(Store().List().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<RevokeClientResponse> RevokeClient(RevokeClientRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var store = Store();
        if (!ApiKey.IsClientId(request.ClientId))
        {
            throw RpcErrors.InvalidArgument("client_id", $"not a client id ({ApiKey.ClientIdLength} lower-case letters and digits)");
        }

        var revoked = store.Revoke(request.ClientId)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No client has the id {request.ClientId}."));
        var operatorId = context.Caller().Id;
        AdminLog.ClientRevoked(logger, revoked.Id, operatorId);
        return Task.FromResult(new RevokeClientResponse { Client = ToProto(revoked) });
    }

    public override Task<BindClientCertificateResponse> BindClientCertificate(BindClientCertificateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var store = Store();
        var violations = new List<Payments.FieldViolation>();
        if (!ApiKey.IsClientId(request.ClientId))
        {
            violations.Add(new Payments.FieldViolation("client_id", $"not a client id ({ApiKey.ClientIdLength} lower-case letters and digits)"));
        }

        var thumbprint = ClientCertificate.ThumbprintOfPem(request.CertificatePem, out var badCertificate);
        if (thumbprint is null)
        {
            violations.Add(new Payments.FieldViolation("certificate_pem", badCertificate!));
        }

        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument([.. violations]);
        }

        var bound = store.BindCertificate(request.ClientId, thumbprint)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No client has the id {request.ClientId}."));
        var operatorId = context.Caller().Id;
        AdminLog.ClientCertificateBound(logger, bound.Id, thumbprint!, operatorId);
        return Task.FromResult(new BindClientCertificateResponse { Client = ToProto(bound) });
    }

    public override Task<UnbindClientCertificateResponse> UnbindClientCertificate(UnbindClientCertificateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var store = Store();
        if (!ApiKey.IsClientId(request.ClientId))
        {
            throw RpcErrors.InvalidArgument("client_id", $"not a client id ({ApiKey.ClientIdLength} lower-case letters and digits)");
        }

        var unbound = store.BindCertificate(request.ClientId, thumbprint: null)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No client has the id {request.ClientId}."));
        var operatorId = context.Caller().Id;
        AdminLog.ClientCertificateUnbound(logger, unbound.Id, operatorId);
        return Task.FromResult(new UnbindClientCertificateResponse { Client = ToProto(unbound) });
    }

    public override async Task<GetSettlementReportResponse> GetSettlementReport(GetSettlementReportRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var result = await services.GetRequiredService<SettlementReport>()
            .GetAsync(new SettlementReportRequest(request.Date, request.TerminalId), context.CancellationToken).ConfigureAwait(false);
        return result switch
        {
            SettlementReportResult.Ready ready => SettlementMapper.ToProto(ready.Report),
            SettlementReportResult.Invalid invalid => throw RpcErrors.InvalidArgument(invalid.Violations),
            _ => throw new InvalidOperationException("unmapped report result"),
        };
    }

    public override async Task Backup(BackupRequest request, IServerStreamWriter<BackupResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var backup = services.GetRequiredService<GatewayBackup>();
        if (backup.PaymentsInPostgreSql)
        {
            // Nothing but the token's key file is in the data directory: a backup of its files would restore without the data.
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                "The payments, token, clients and audits are in PostgreSQL (Storage:Provider PostgreSql): back up the database with pg_dump (docs/operations.md#postgresql), and copy the token's key file (bakong-tokens.db.key, or Bakong:Tokens:KeyPath) with it; bakong backup takes LiteDB data directories only."));
        }

        var operatorId = context.Caller().Id;
        string file;
        BackupManifest manifest;
        try
        {
            // File copies: off the request's thread.
            (file, manifest) = await Task.Run(backup.Take, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException)
        {
            AdminLog.BackupFailed(logger, operatorId, e.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "The backup could not be taken: " + e.Message));
        }

        try
        {
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, BackupChunkBytes, FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[BackupChunkBytes];
                int read;
                while ((read = await stream.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0)
                {
                    await responseStream.WriteAsync(new BackupResponse { Data = ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken).ConfigureAwait(false);
                }

                var payments = manifest.Documents(BackupCatalog.Payments, "payments");
                var bytes = stream.Length;
                AdminLog.BackupTaken(logger, operatorId, payments, bytes);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    public override async Task<ListExceptionsResponse> ListExceptions(ListExceptionsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var result = await services.GetRequiredService<Payments.Exceptions.ExceptionListing>()
            .ListAsync(request.PageSize, request.PageToken, context.CancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case Payments.Exceptions.ListExceptionsResult.Listed listed:
                var response = new ListExceptionsResponse { NextPageToken = listed.NextPageToken ?? "" };
                response.Exceptions.AddRange(listed.Payments.Select(ExceptionMapper.ToProto));
                return response;
            case Payments.Exceptions.ListExceptionsResult.Invalid invalid:
                throw RpcErrors.InvalidArgument(invalid.Violations);
            default:
                throw new InvalidOperationException("unmapped exception list result");
        }
    }

    public override async Task<ResolvePaymentResponse> ResolvePayment(ResolvePaymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var outcome = await services.GetRequiredService<Payments.Exceptions.PaymentResolver>()
            .ResolveAsync(ExceptionMapper.ToDomain(request, context.Caller().Id), context.CancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            Payments.Exceptions.ResolveOutcome.Resolved resolved => new ResolvePaymentResponse { Payment = PaymentMapper.ToProto(resolved.Payment) },
            Payments.Exceptions.ResolveOutcome.Invalid invalid => throw RpcErrors.InvalidArgument(invalid.Violations),
            Payments.Exceptions.ResolveOutcome.NotResolvable { Payment.Resolution: { } done } refused => throw RpcErrors.AlreadyResolved(
                refused.Payment.Id, ExceptionMapper.NameOf(done.Kind), done.ResolvedBy),
            Payments.Exceptions.ResolveOutcome.NotResolvable refused => throw RpcErrors.NotAnException(
                refused.Payment.Id, PaymentMapper.ToProto(refused.Payment.State), refused.Reason),
            Payments.Exceptions.ResolveOutcome.RefundNotFound notFound => throw RpcErrors.RefundNotFound(notFound.Payment.Id, notFound.Hash, notFound.Reason),
            Payments.Exceptions.ResolveOutcome.RefundMismatch mismatch => throw RpcErrors.RefundMismatch(mismatch.Payment.Id, mismatch.Hash, mismatch.Mismatches),
            Payments.Exceptions.ResolveOutcome.BakongUnavailable unavailable => throw RpcErrors.BakongUnavailable(unavailable.Payment.Id),
            _ => throw new InvalidOperationException("unmapped resolve outcome"),
        };
    }

    /// <summary>The client store; a gateway without keys holds none (and its data directory is free for the CLI).</summary>
    private IClientStore Store() => services.GetService<IClientStore>()
        ?? throw new RpcException(new Status(
            StatusCode.FailedPrecondition,
            "Auth:Mode is None: this gateway holds no client store. Run 'bakong clients' on its data directory (no --key needed)."));

    private static ClientRole ToDomain(Grpc.Admin.V1.ClientRole role) => role switch
    {
        Grpc.Admin.V1.ClientRole.Terminal => ClientRole.Terminal,
        Grpc.Admin.V1.ClientRole.Kiosk => ClientRole.Kiosk,
        Grpc.Admin.V1.ClientRole.Operator => ClientRole.Operator,
        _ => default,
    };

    private static Client ToProto(ApiClient client)
    {
        var proto = new Client
        {
            ClientId = client.Id,
            Name = client.Name,
            Role = client.Role switch
            {
                ClientRole.Terminal => Grpc.Admin.V1.ClientRole.Terminal,
                ClientRole.Kiosk => Grpc.Admin.V1.ClientRole.Kiosk,
                ClientRole.Operator => Grpc.Admin.V1.ClientRole.Operator,
                _ => Grpc.Admin.V1.ClientRole.Unspecified,
            },
            CreateTime = Timestamp.FromDateTimeOffset(client.CreatedAt),
            RevokeTime = client.RevokedAt is { } revoked ? Timestamp.FromDateTimeOffset(revoked) : null,
            CertificateSha256 = client.CertificateThumbprint ?? string.Empty,
        };
        proto.TerminalIds.AddRange(client.TerminalIds);
        return proto;
    }
}

/// <summary>The admin API's log events (2540–2549): client ids only, never a key.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(EventId = 2540, EventName = "ClientAdded", Level = LogLevel.Information,
        Message = "Client {ClientId} ({Role}) added by {OperatorId}")]
    public static partial void ClientAdded(ILogger logger, string clientId, ClientRole role, string operatorId);

    [LoggerMessage(EventId = 2541, EventName = "ClientRevoked", Level = LogLevel.Information,
        Message = "Client {ClientId} revoked by {OperatorId}")]
    public static partial void ClientRevoked(ILogger logger, string clientId, string operatorId);

    [LoggerMessage(EventId = 2542, EventName = "BackupTaken", Level = LogLevel.Information,
        Message = "Backup taken by {OperatorId}: {Payments} payments, {Bytes} bytes")]
    public static partial void BackupTaken(ILogger logger, string operatorId, long payments, long bytes);

    [LoggerMessage(EventId = 2543, EventName = "BackupFailed", Level = LogLevel.Warning,
        Message = "Backup asked by {OperatorId} failed: {Reason}")]
    public static partial void BackupFailed(ILogger logger, string operatorId, string reason);

    [LoggerMessage(EventId = 2544, EventName = "ClientCertificateBound", Level = LogLevel.Information,
        Message = "Client {ClientId} bound to TLS client certificate {Thumbprint} by {OperatorId}")]
    public static partial void ClientCertificateBound(ILogger logger, string clientId, string thumbprint, string operatorId);

    [LoggerMessage(EventId = 2545, EventName = "ClientCertificateUnbound", Level = LogLevel.Information,
        Message = "Client {ClientId} unbound from its TLS client certificate by {OperatorId}")]
    public static partial void ClientCertificateUnbound(ILogger logger, string clientId, string operatorId);
}
