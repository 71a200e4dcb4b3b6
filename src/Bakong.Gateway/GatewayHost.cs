using Bakong.Display;
using Bakong.Gateway.Configuration;
using Bakong.Gateway.Display;
using Bakong.Gateway.Health;
using Bakong.Gateway.Rpc;
using Bakong.Gateway.Sandbox;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Bakong.Payments;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway;

/// <summary>How the gateway is put together: the committed pieces, wired as DESIGN.md §5 configures them.</summary>
internal static class GatewayHost
{
    public const string TokensFileName = "bakong-tokens.db";
    public const string AuditFileName = "bakong-audit.db";
    public const string SandboxPrefix = "/sandbox";

    /// <summary>Registers everything. <paramref name="bakong"/> decides the shape: the sandbox is hosted in-process or not.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration, GatewayBakongOptions bakong)
    {
        services.AddOptionsWithValidateOnStart<GatewayBakongOptions, GatewayBakongOptionsValidator>()
            .Bind(configuration.GetSection(GatewayBakongOptions.Section));

        // The domain: store, factory, watch hub, webhook outbox.
        services.AddBakongPayments(configuration);
        services.AddPaymentWatchHub();
        services.AddWebhookDispatcher(configuration);
        services.AddSingleton<PaymentChangeNotifier>();
        services.AddSingleton<IPaymentChangeSink>(sp => sp.GetRequiredService<PaymentChangeNotifier>());

        // Bakong: the client (Bakong:OpenApi:*), the token (Bakong:Tokens:*) and the call audit (Bakong:Audit:*), the
        // two databases beside Storage:Path. Mode and base URL are the gateway's keys and win over the sections'.
        var environment = bakong.Environment;
        var baseUrl = bakong.BaseUri ?? (bakong.HostsSandbox ? GatewayEndpoints.SandboxBaseUrl(configuration) : null);
        services.AddBakongOpenApiClient(configuration.GetSection(BakongOpenApiOptions.SectionName));
        services.PostConfigure<BakongOpenApiOptions>(o =>
        {
            o.Environment = environment;
            o.BaseUrl = baseUrl;
        });
        services.AddBakongTokens(configuration.GetSection("Bakong:Tokens"));
        services.AddOptions<BakongTokenOptions>().PostConfigure<IOptions<PaymentStorageOptions>>((o, storage) =>
        {
            o.Environment = environment;
            o.DatabasePath = Beside(storage.Value.Path, TokensFileName);
        });
        services.AddBakongCallAudit(configuration.GetSection("Bakong:Audit"));
        services.AddOptions<BakongCallAuditOptions>().PostConfigure<IOptions<PaymentStorageOptions>>(
            (o, storage) => o.DatabasePath = Beside(storage.Value.Path, AuditFileName));

        if (bakong.HostsSandbox)
        {
            services.AddBakongSandbox();

            // Before the poller (hosted services start in order), so its first pass has a token.
            services.AddHostedService<SandboxTokenBootstrap>();
        }

        services.AddPaymentPoller(configuration);

        // Serial displays (Displays:*): one more change sink, the port owners, a health check per display.
        var displays = services.AddBakongDisplays(configuration);

        // gRPC: the payment service, health (grpc.health.v1 over the health checks below) and reflection.
        services.AddGrpc(o => o.Interceptors.Add<RpcErrorInterceptor>());
        services.AddGrpcReflection();
        services.AddSingleton<PaymentCancellation>();
        services.AddSingleton<PaymentListing>();
        services.AddHttpClient(BakongHealthCheck.HttpClientName).RemoveAllLoggers();
        services.AddGrpcHealthChecks(o =>
            {
                // "" and the service's own name both mean: can payments be served (store, Bakong, token). A display
                // is its own service (bakong.display.<TerminalId>): a dead display never makes payments unready.
                o.Services.Map("", c => !c.Tags.Contains(DisplayHealthCheck.Tag));
                o.Services.Map("bakong.payments.v1.PaymentService", c => !c.Tags.Contains(DisplayHealthCheck.Tag));
                foreach (var terminalId in displays)
                {
                    var name = DisplayHealthCheck.NameOf(terminalId);
                    o.Services.Map(name, c => c.Name == name);
                }
            })
            .AddCheck<PaymentStoreHealthCheck>(PaymentStoreHealthCheck.Name, tags: ["ready"])
            .AddCheck<BakongHealthCheck>(BakongHealthCheck.Name, tags: ["ready", "bakong"]);
        return services;
    }

    /// <summary>Maps the endpoints and logs the mode the gateway runs in.</summary>
    public static WebApplication MapGateway(this WebApplication app, GatewayBakongOptions bakong)
    {
        app.MapGrpcService<PaymentGrpcService>();
        app.MapGrpcService<DisplayGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (bakong.HostsSandbox)
        {
            app.MapBakongSandbox(SandboxPrefix);
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Gateway");
        var bakongUrl = app.Services.GetRequiredService<IOptions<BakongOpenApiOptions>>().Value.ResolveBaseAddress();
        if (bakong.Environment == BakongEnvironment.Sandbox)
        {
            var why = bakong.IsModeDefaulted ? "Bakong:Mode is not set, so Sandbox is the default" : "Bakong:Mode is Sandbox";
            GatewayLog.SandboxMode(logger, bakongUrl, why);
        }
        else
        {
            GatewayLog.BakongMode(logger, bakong.Environment, bakongUrl);
        }

        var payments = Path.GetFullPath(app.Services.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path);
        var tokens = app.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value.DatabasePath;
        var audit = app.Services.GetRequiredService<IOptions<BakongCallAuditOptions>>().Value.DatabasePath;
        GatewayLog.Storage(logger, payments, tokens, audit);
        return app;
    }

    private static string Beside(string storagePath, string fileName) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storagePath)) ?? ".", fileName);
}
