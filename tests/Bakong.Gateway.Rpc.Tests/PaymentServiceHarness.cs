using Bakong.Gateway.Access;
using Bakong.Gateway.Health;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bakong.Gateway.Rpc.Tests;

/// <summary>
/// <see cref="PaymentGrpcService"/> over the real use cases (AddBakongPayments, the watch hub) and a LiteDB store in a
/// temp folder of its own, in Sandbox mode (the token gate lets every creation through). Nothing listens: the Bakong
/// client's base URL is a closed loopback port that no edge case reaches.
/// </summary>
internal sealed class PaymentServiceHarness : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bakong-rpc-unit-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;
    private readonly StoppableLifetime _lifetime = new();

    public PaymentServiceHarness()
    {
        Directory.CreateDirectory(_directory);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Path"] = Path.Combine(_directory, "bakong.db"),
            ["Merchant:BakongAccountId"] = "shop@aclb",
            ["Merchant:Name"] = "Corner Shop",
        }).Build();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IHostApplicationLifetime>(_lifetime);
        services.AddBakongPayments(configuration);
        services.AddPaymentWatchHub();
        services.AddBakongOpenApiClient(o =>
        {
            o.Environment = BakongEnvironment.Sandbox;
            o.BaseUrl = new Uri("http://127.0.0.1:9/");
        });
        services.AddBakongTokens(o =>
        {
            o.Environment = BakongEnvironment.Sandbox;
            o.DatabasePath = Path.Combine(_directory, "bakong-tokens.db");
        });
        services.AddBakongCallAudit(o => o.DatabasePath = Path.Combine(_directory, "bakong-audit.db"));
        services.AddSingleton<BakongTokenGate>();
        services.AddOptions<Limits.GatewayLimitsOptions>(); // the defaults: one create here is far below every limit
        services.AddSingleton<Limits.CallerLimits>();
        _services = services.BuildServiceProvider();
        Service = ActivatorUtilities.CreateInstance<PaymentGrpcService>(_services);
        _errors = ActivatorUtilities.CreateInstance<RpcErrorInterceptor>(_services);
    }

    private readonly RpcErrorInterceptor _errors;

    public PaymentGrpcService Service { get; }

    /// <summary>A unary method as the gateway runs it: through the error mapping (<see cref="RpcErrorInterceptor"/>).</summary>
    public Task<TResponse> CallAsync<TRequest, TResponse>(UnaryServerMethod<TRequest, TResponse> method, TRequest request, Caller? caller = null)
        where TRequest : class
        where TResponse : class =>
        _errors.UnaryServerHandler(request, Call(method.Method.Name, caller), method);

    /// <summary>WatchPayment as the gateway runs it; what it writes is collected in <paramref name="writer"/>.</summary>
    public Task WatchAsync(WatchPaymentRequest request, TestServerStreamWriter<WatchPaymentResponse> writer, Caller? caller = null) =>
        _errors.ServerStreamingServerHandler(request, writer, Call("WatchPayment", caller), Service.WatchPayment);

    /// <summary>WatchTerminal as the gateway runs it (through the error mapping), writing to <paramref name="writer"/>.</summary>
    public Task WatchTerminalAsync(WatchTerminalRequest request, IServerStreamWriter<WatchTerminalResponse> writer, Caller? caller = null) =>
        _errors.ServerStreamingServerHandler(request, writer, Call("WatchTerminal", caller), Service.WatchTerminal);

    /// <summary>A service of the harness's container (the store, the hubs).</summary>
    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    /// <summary>A call by <paramref name="caller"/> (anyone, as with <c>Auth:Mode</c> None, by default), as the authentication interceptor leaves it.</summary>
    public static TestServerCallContext Call(string method, Caller? caller = null)
    {
        var context = new TestServerCallContext(method, TestContext.Current.CancellationToken);
        context.SetCaller(caller ?? Caller.Unrestricted);
        return context;
    }

    public static CreatePaymentRequest Create(string requestId, string terminal = "till-1") => new()
    {
        RequestId = requestId,
        TerminalId = terminal,
        Amount = new Money { CurrencyCode = "KHR", Units = 5000 },
        OrderRef = "order-" + requestId,
    };

    public Task<CreatePaymentResponse> CreateAsync(CreatePaymentRequest request, Caller? caller = null) =>
        CallAsync<CreatePaymentRequest, CreatePaymentResponse>(Service.CreatePayment, request, caller);

    public void Dispose()
    {
        _lifetime.Dispose();
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class StoppableLifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }
}
