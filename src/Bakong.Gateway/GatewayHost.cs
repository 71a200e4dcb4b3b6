using Bakong.Display;
using Bakong.Display.Payments;
using Bakong.Gateway.Access;
using Bakong.Gateway.Admin;
using Bakong.Gateway.Configuration;
using Bakong.Gateway.Display;
using Bakong.Gateway.Health;
using Bakong.Gateway.Kiosk;
using Bakong.Gateway.Limits;
using Bakong.Gateway.Rest;
using Bakong.Gateway.Rpc;
using Bakong.Gateway.Sandbox;
using Bakong.Identity.Storage;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Storage;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Configuration;
using Microsoft.Extensions.Options;

namespace Bakong.Gateway;

/// <summary>How the gateway is put together: the committed pieces, wired by the settings in docs/operations.md.</summary>
internal static class GatewayHost
{
    public const string SandboxPrefix = "/sandbox";

    /// <summary>Registers everything. <paramref name="bakong"/> decides the shape: the sandbox is hosted in-process or not.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration, GatewayBakongOptions bakong)
    {
        services.AddOptionsWithValidateOnStart<GatewayBakongOptions, GatewayBakongOptionsValidator>()
            .Bind(configuration.GetSection(GatewayBakongOptions.Section));

        // A Sandbox gateway off loopback must be meant (Sandbox:AllowNonLoopback): refused here, before anything starts.
        GatewaySandboxOptions.Read(configuration, bakong);

        // The domain: store, use cases, watch hub, webhook outbox. Each registers what must follow a saved change.
        // The store is LiteDB's unless Storage:Provider names PostgreSQL (docs/operations.md#storage).
        if (PaymentStorageOptions.ProviderOf(configuration) == StorageProvider.PostgreSql)
        {
            services.AddPostgreSqlPaymentStore();
            services.AddPostgreSqlTokenStore();
            services.AddPostgreSqlCallAudit();
        }

        services.AddBakongPayments(configuration);
        services.AddSingleton<IValidateOptions<MerchantProfiles>>(new LiveMerchantValidator(bakong.Environment));
        services.AddPaymentWatchHub();
        services.AddWebhookDispatcher(configuration);

        // Telegram announcements of settled payments (Notifications:Telegram), off unless enabled; read from the same outbox.
        services.AddTelegramNotifications(configuration);

        // With the Web endpoint on https, the gateway's own calls to its sandbox go through a private socket.
        var sandboxSocket = SandboxSocket.IsNeeded(configuration, bakong);
        if (bakong.HostsSandbox)
        {
            services.AddBakongSandbox();

            // Sets the token in IHostedLifecycleService.StartingAsync, before any hosted service starts.
            services.AddHostedService<SandboxTokenBootstrap>();
            if (sandboxSocket)
            {
                SandboxSocket.AddTo(services);
            }
        }

        // Bakong: the client (Bakong:OpenApi:*), the token (Bakong:Tokens:*) and the call audit (Bakong:Audit:*), the
        // two databases beside Storage:Path (on PostgreSQL, tables of its database). Mode and base URL are the gateway's keys and win over the sections'.
        var environment = bakong.Environment;
        var baseUrl = bakong.BaseUri
            ?? (sandboxSocket ? SandboxSocket.BaseUrl : bakong.HostsSandbox ? GatewayEndpoints.SandboxBaseUrl(configuration) : null);
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
            o.DatabasePath = Beside(storage.Value.Path, BakongDataDirectory.TokensFileName);
        });
        services.AddBakongCallAudit(configuration.GetSection("Bakong:Audit"));
        services.AddOptions<BakongCallAuditOptions>().PostConfigure<IOptions<PaymentStorageOptions>>(
            (o, storage) => o.DatabasePath = Beside(storage.Value.Path, BakongDataDirectory.AuditFileName));

        services.AddPaymentPoller(configuration);

        // Serial displays (Displays:*): the port owners and a health check per display; the bridge, one more change
        // sink, makes them show their terminals' payments.
        var displays = services.AddBakongDisplays(configuration);
        services.AddDisplayBridge();

        // gRPC: the payment service (and its REST transcoding), health (grpc.health.v1 over the health checks below) and reflection.
        // REST: the same service as JSON over HTTP/1.1 on the Web endpoint, by the google.api.http options in the proto.
        // Its error bodies are JSON google.rpc.Status with the same details, which need their types registered.
        // Every gRPC call is authenticated (Auth:Mode) before its service runs; errors thrown by either are mapped outside.
        var auth = GatewayAuthOptions.Read(configuration, bakong);
        services.AddSingleton(auth);
        services.AddSingleton<CallerAuthentication>();
        if (auth.Effective == AuthMode.ApiKeys)
        {
            // PostgreSQL's api_clients table with Storage:Provider PostgreSql (every replica sees every client), else
            // bakong-clients.db beside Storage:Path, held open (and locked) for the gateway's life.
            if (PaymentStorageOptions.ProviderOf(configuration) == StorageProvider.PostgreSql)
            {
                services.AddPostgreSqlClientStore();
            }
            else
            {
                services.AddSingleton(sp => new ClientStore(
                    Beside(sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path, BakongDataDirectory.ClientsFileName),
                    sp.GetRequiredService<TimeProvider>()));
                services.AddSingleton<IClientStore>(sp => sp.GetRequiredService<ClientStore>());
                services.AddSingleton<IStoreSnapshot>(sp => sp.GetRequiredService<ClientStore>());
            }
        }

        // What one caller may take (Limits:*), checked once the caller is known; and the connection limits of Kestrel.
        services.AddOptionsWithValidateOnStart<GatewayLimitsOptions, GatewayLimitsOptionsValidator>()
            .Bind(configuration.GetSection(GatewayLimitsOptions.Section));
        services.AddSingleton<CallerLimits>();
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<GatewayLimitsOptions>>((kestrel, limits) => limits.Value.ApplyTo(kestrel));

        // Backups (bakong.admin.v1 Backup): the stores registered as IStoreSnapshot, and what the data belongs to.
        // The payment file's name too: Storage:Path may call it other than bakong.db, and bakong restore must write it so.
        services.AddSingleton(sp => new GatewayIdentity(
            bakong.Environment.ToString(),
            sp.GetRequiredService<IOptions<MerchantProfiles>>().Value.Profiles[0].BakongAccountId.Trim(),
            Path.GetFileName(sp.GetRequiredService<IOptions<PaymentStorageOptions>>().Value.Path) is var name
                && name != BakongDataDirectory.PaymentsFileName && GatewayIdentity.IsPaymentsFileName(name) ? name : null));
        services.AddSingleton<Admin.GatewayBackup>();

        // The API audit (creates, cancels, admin actions) is outermost: it records the status the caller gets, and so
        // does the count of refusals just inside it (a singleton, as its counter is).
        services.AddSingleton<RefusalMetrics>();
        services.AddGrpc(o =>
            {
                o.Interceptors.Add<ApiAuditInterceptor>();
                o.Interceptors.Add<RefusalMetrics>();
                o.Interceptors.Add<RpcErrorInterceptor>();
                o.Interceptors.Add<AuthenticationInterceptor>();
                o.Interceptors.Add<LimitsInterceptor>();
            })
            .AddJsonTranscoding(o => o.TypeRegistry = RpcErrors.DetailTypes);
        var grpc = GatewayGrpcOptions.Read(configuration, bakong);
        services.AddSingleton(grpc);
        if (grpc.ReflectionEnabled)
        {
            services.AddGrpcReflection();
        }

        services.AddRestOpenApi();
        services.AddSingleton<BakongTokenGate>();
        services.AddHttpClient(BakongHealthCheck.HttpClientName).RemoveAllLoggers();
        services.AddGrpcHealthChecks(o =>
            {
                // "" and the service's own name both mean: can payments be served (store, Bakong, token), as /readyz
                // does over HTTP. A display is its own service (bakong.display.<TerminalId>).
                o.Services.Map("", c => HttpHealthEndpoints.ServesPayments(c.Tags));
                o.Services.Map("bakong.payments.v1.PaymentService", c => HttpHealthEndpoints.ServesPayments(c.Tags));
                foreach (var terminalId in displays)
                {
                    var name = DisplayHealthCheck.NameOf(terminalId);
                    o.Services.Map(name, c => c.Name == name);
                }
            })
            .AddCheck<PaymentStoreHealthCheck>(PaymentStoreHealthCheck.Name, tags: ["ready"])
            .AddCheck<BakongHealthCheck>(BakongHealthCheck.Name, tags: ["ready", "bakong"]);

        // Every gRPC method above answers a request message that is not protobuf with INVALID_ARGUMENT, not UNKNOWN.
        services.AddGrpcRequestParsing();

        // The network: plaintext off loopback (refused in Sit/Production unless Network:AllowPlaintext), and the Host
        // names answered (AllowedHosts, else the loopback names and the endpoints' own), read now to fail the start.
        var network = GatewayNetworkOptions.Read(configuration, bakong);
        services.AddSingleton(network);
        services.Configure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(network.Configure);

        // Mutual TLS (Network:ClientCertificates, Network:ClientCertificateAuthority): whether the https endpoints ask
        // for a client certificate and which pass the handshake; which client a certificate is is Access/'s rule.
        var clientCertificates = GatewayClientCertificateOptions.Read(configuration);
        services.AddSingleton(clientCertificates);
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<TimeProvider, ILoggerFactory>((kestrel, time, loggers) =>
                clientCertificates.ApplyTo(kestrel, time, loggers.CreateLogger("Bakong.Gateway.ClientCertificates")));

        // Browsers: gRPC-Web on the web endpoint, for the kiosk page, the operator dashboard and for kiosk apps on the origins Cors:AllowedOrigins lists.
        services.AddGrpcWebCors(configuration);
        return services;
    }

    /// <summary>Maps the endpoints and logs the mode the gateway runs in.</summary>
    public static WebApplication MapGateway(this WebApplication app, GatewayBakongOptions bakong)
    {
        // The sandbox's private socket (SandboxSocket) answers the sandbox's paths only.
        var sandboxSocket = app.Services.GetService<SandboxSocket>();
        if (sandboxSocket is not null)
        {
            app.Use((context, next) => !SandboxSocket.CameThrough(context) || context.Request.Path.StartsWithSegments(SandboxPrefix)
                ? next(context)
                : Results.NotFound().ExecuteAsync(context));
        }

        // One error format on the Web endpoint: google.rpc.Status JSON (docs/rest.md), also where no body was written.
        app.UseStatusJsonForBodylessErrors(SandboxPrefix);
        app.UseJsonCharsetCheck();
        app.UseJsonWrites();
        app.UseRestBodyErrors();
        app.UseCors();
        app.UseGrpcWeb();
        app.UseRestOpenApi();
        app.MapGrpcService<PaymentGrpcService>().EnableGrpcWeb();
        app.MapGrpcService<DisplayGrpcService>().EnableGrpcWeb(); // the dashboard's displays section
        app.MapGrpcService<Admin.AdminGrpcService>().EnableGrpcWeb(); // the dashboard at /admin
        app.MapGrpcHealthChecksService().EnableGrpcWeb();
        app.MapHttpHealth();
        if (app.Services.GetRequiredService<GatewayGrpcOptions>().ReflectionEnabled)
        {
            app.MapGrpcReflectionService();
        }

        app.MapQrImages();
        app.MapSettlementCsv();
        app.MapKiosk();
        if (bakong.HostsSandbox)
        {
            app.MapBakongSandbox(SandboxPrefix);
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bakong.Gateway");
        var bakongUrl = app.Services.GetRequiredService<IOptions<BakongOpenApiOptions>>().Value.ResolveBaseAddress();
        if (bakong.Environment == BakongEnvironment.Sandbox)
        {
            // The sandbox's address for people: the Web endpoint's, also when the gateway itself uses the socket.
            var why = bakong.IsModeDefaulted ? "Bakong:Mode is not set, so Sandbox is the default" : "Bakong:Mode is Sandbox";
            GatewayLog.SandboxMode(logger, bakong.HostsSandbox ? GatewayEndpoints.SandboxBaseUrl(app.Configuration) : bakongUrl, why);
            if (sandboxSocket is not null)
            {
                GatewayLog.SandboxSocket(logger, sandboxSocket.Path);
            }
        }
        else
        {
            GatewayLog.BakongMode(logger, bakong.Environment, bakongUrl);
        }

        var storage = app.Services.GetRequiredService<IOptions<PaymentStorageOptions>>().Value;
        var payments = Path.GetFullPath(storage.Path);
        var tokens = app.Services.GetRequiredService<IOptions<BakongTokenOptions>>().Value.DatabasePath;
        var audit = app.Services.GetRequiredService<IOptions<BakongCallAuditOptions>>().Value.DatabasePath;
        GatewayLog.Storage(
            logger,
            storage.Provider == StorageProvider.PostgreSql ? PostgresStorageServiceCollectionExtensions.DescribePostgreSql(storage.ConnectionString!) : payments,
            tokens,
            audit);
        var dataDirectory = Path.GetDirectoryName(payments) ?? ".";
        if (PrivateFiles.IsOpenToOthers(dataDirectory))
        {
            // Not changed here: Storage:Path may be in a folder others share. The files themselves are 0600.
            NetworkLog.DataDirectoryOpen(logger, dataDirectory);
        }

        LogNetwork(app, logger);

        // Which environment and merchant account this data directory now serves: bakong restore compares backups with it.
        try
        {
            app.Services.GetRequiredService<GatewayIdentity>().Write(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The stores say it louder if the directory cannot be written at all.
            GatewayLog.IdentityNotRecorded(logger, Path.Combine(dataDirectory, BakongDataDirectory.IdentityFileName), e.Message);
        }

        // Opens the client store now (with API keys): a store held by a running 'bakong clients' fails the start, not a call.
        var authentication = app.Services.GetRequiredService<CallerAuthentication>();
        var auth = app.Services.GetRequiredService<GatewayAuthOptions>();
        if (authentication.Store is { } clients)
        {
            var active = clients.List().Where(c => !c.IsRevoked).ToList();
            AccessLog.AuthApiKeys(logger, active.Count, clients.Location);
            if (active.Count == 0)
            {
                AccessLog.NoClients(logger);
            }

            var bound = active.Count(c => c.CertificateThumbprint is not null);
            if (bound > 0 && app.Services.GetRequiredService<GatewayClientCertificateOptions>().Policy == ClientCertificatePolicy.None)
            {
                NetworkLog.BoundClientsWithoutCertificates(logger, bound);
            }
        }
        else
        {
            AccessLog.AuthNone(logger, auth.IsDefaulted ? "the default in Sandbox mode with every endpoint on loopback" : "set explicitly");
        }

        return app;
    }

    private static void LogNetwork(WebApplication app, ILogger logger)
    {
        var network = app.Services.GetRequiredService<GatewayNetworkOptions>();
        app.Services.GetRequiredService<GatewayClientCertificateOptions>().Log(logger);
        if (network.PlaintextEndpoints.Count > 0 && logger.IsEnabled(LogLevel.Warning))
        {
            var why = app.Configuration.GetValue<bool>(GatewayNetworkOptions.AllowPlaintextKey)
                ? GatewayNetworkOptions.AllowPlaintextKey + " is set"
                : "allowed in Sandbox mode; Sit and Production refuse it unless " + GatewayNetworkOptions.AllowPlaintextKey + " is set";
            NetworkLog.PlaintextOffLoopback(logger, string.Join(", ", network.PlaintextEndpoints), why);
        }

        if (network.AnyHost)
        {
            NetworkLog.AnyHost(logger);
            return;
        }

        var hosts = string.Join(';', app.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>>().Value.AllowedHosts);
        var from = network.DerivedHosts is null ? "AllowedHosts" : "AllowedHosts is not set: the loopback names and the endpoints' hosts";
        NetworkLog.AllowedHosts(logger, hosts, from);
    }

    private static string Beside(string storagePath, string fileName) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storagePath)) ?? ".", fileName);

    private static void AddGrpcWebCors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<GatewayCorsOptions, GatewayCorsOptionsValidator>()
            .Bind(configuration.GetSection(GatewayCorsOptions.Section));
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<GatewayCorsOptions>>((cors, allowed) =>
            cors.AddDefaultPolicy(policy =>
            {
                if (allowed.Value.AllowsAnyOrigin)
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins([.. allowed.Value.AllowedOrigins]);
                }

                policy.WithMethods("GET", "POST")
                    .WithHeaders(GatewayCorsOptions.AllowedHeaders)
                    .WithExposedHeaders(GatewayCorsOptions.ExposedHeaders);
            }));
    }
}
