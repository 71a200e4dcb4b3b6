using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bakong.Gateway.Tests.Support;
using Bakong.Payments.Storage;
using Bakong.Grpc.Payments.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bakong.Gateway.Tests.Lifecycle;

/// <summary>
/// The payment store failing with an I/O error (a full disk): every payment call answers UNAVAILABLE with
/// <c>STORAGE_UNAVAILABLE</c>, so a POS retries (with the same request_id), and the operator gets an Error log line.
/// </summary>
public sealed class StorageFailureTests : IAsyncLifetime
{
    private const string DiskFull = "No space left on device : '/var/lib/bakong/bakong-log.db'";

    private readonly FailingStore.Switch _failure = new();
    private readonly GatewayFactory _gateway;

    public StorageFailureTests() => _gateway = new GatewayFactory
    {
        ConfigureHost = builder => builder.ConfigureTestServices(services => services.AddSingleton<IPaymentStore>(
            sp => new FailingStore(new RecordingPaymentStore(sp.GetRequiredService<LiteDbPaymentStore>()), _failure))),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    public static TheoryData<string, bool, bool> Calls
    {
        get
        {
            var calls = new TheoryData<string, bool, bool>();
            foreach (var wrapped in new[] { false, true })
            {
                calls.Add("create", false, wrapped);
                calls.Add("create", true, wrapped);
                calls.Add("get", false, wrapped);
                calls.Add("list", false, wrapped);
                calls.Add("cancel", false, wrapped);
                calls.Add("cancel", true, wrapped);
                calls.Add("watch", false, wrapped);
            }

            return calls;
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_store_io_error_is_unavailable_with_storage_unavailable_and_logged_for_the_operator(string call, bool writesOnly, bool wrapped)
    {
        var payments = _gateway.Payments;
        var created = await _gateway.CreateAsync(Requests.Create("before-the-disk-filled"));

        // As LiteDB reports it: the IOException itself, or an exception around it.
        var io = new IOException(DiskFull);
        _failure.Set(wrapped ? new InvalidOperationException("LiteDB could not write the log file.", io) : io, writesOnly);
        var e = await Assert.ThrowsAsync<RpcException>(() => call switch
        {
            "create" => payments.CreatePaymentAsync(Requests.Create("after-the-disk-filled"), cancellationToken: Ct).ResponseAsync,
            "get" => payments.GetPaymentAsync(new GetPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync,
            "list" => payments.ListPaymentsAsync(new ListPaymentsRequest(), cancellationToken: Ct).ResponseAsync,
            "cancel" => payments.CancelPaymentAsync(new CancelPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct).ResponseAsync,
            _ => GatewayFactory.NextAsync(payments.WatchPayment(new WatchPaymentRequest { PaymentId = created.PaymentId }, cancellationToken: Ct)),
        });

        Assert.True(e.StatusCode == StatusCode.Unavailable, e.Status.ToString());
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("bakong.payments.v1", "STORAGE_UNAVAILABLE"), (info.Domain, info.Reason));
        Assert.DoesNotContain("/var/lib/bakong", e.Status.Detail, StringComparison.Ordinal);
        var logged = await _gateway.Logs.WaitForAsync("StorageUnavailable");
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains(DiskFull, logged.Message, StringComparison.Ordinal);

        // Once the disk has room again, the same call goes through.
        _failure.Clear();
        if (call == "create")
        {
            Assert.Equal(State.Pending, (await _gateway.CreateAsync(Requests.Create("after-the-disk-filled"))).State);
        }
    }

    [Fact]
    public async Task Over_rest_a_store_io_error_is_503_with_storage_unavailable()
    {
        var created = await _gateway.CreateAsync(Requests.Create("rest-before-the-disk-filled"));
        using var http = _gateway.CreateClient();
        _failure.Set(new IOException(DiskFull), writesOnly: false);

        using var response = await http.GetAsync(new Uri("/v1/payments/" + created.PaymentId, UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(14, error.GetProperty("code").GetInt32());
        Assert.Equal("STORAGE_UNAVAILABLE", Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("reason").GetString());
    }

    /// <summary>The gateway's store, failing the calls the payment RPCs make while a failure is set.</summary>
    private sealed class FailingStore(IPaymentStore inner, FailingStore.Switch failure) : DelegatingPaymentStore(inner)
    {
        public override Task<InsertResult> InsertIfAbsentAsync(Payments.Payment payment, int? maxPendingForTerminal, CancellationToken cancellationToken)
        {
            failure.ThrowIfSet(write: true);
            return base.InsertIfAbsentAsync(payment, maxPendingForTerminal, cancellationToken);
        }

        public override Task<SaveResult> SaveAsync(Payments.Payment payment, CancellationToken cancellationToken)
        {
            failure.ThrowIfSet(write: true);
            return base.SaveAsync(payment, cancellationToken);
        }

        public override Task<Payments.Payment?> GetAsync(string paymentId, CancellationToken cancellationToken)
        {
            failure.ThrowIfSet(write: false);
            return base.GetAsync(paymentId, cancellationToken);
        }

        public override Task<Payments.Payment?> GetByRequestIdAsync(string requestId, CancellationToken cancellationToken)
        {
            failure.ThrowIfSet(write: false);
            return base.GetByRequestIdAsync(requestId, cancellationToken);
        }

        public override Task<PaymentPage> ListAsync(PaymentQuery query, CancellationToken cancellationToken)
        {
            failure.ThrowIfSet(write: false);
            return base.ListAsync(query, cancellationToken);
        }

        public sealed class Switch
        {
            private volatile Exception? _exception;
            private volatile bool _writesOnly;

            public void Set(Exception exception, bool writesOnly)
            {
                _writesOnly = writesOnly;
                _exception = exception;
            }

            public void Clear() => _exception = null;

            /// <summary>Throws the failure if it applies to this call.</summary>
            public void ThrowIfSet(bool write)
            {
                if (_exception is { } e && (write || !_writesOnly))
                {
                    throw e;
                }
            }
        }
    }
}
