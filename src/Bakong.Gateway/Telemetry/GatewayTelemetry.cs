using Bakong.Display;
using Bakong.Gateway.Configuration;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Notifications;
using Bakong.Payments.Watching;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bakong.Gateway.Telemetry;

/// <summary>
/// OpenTelemetry for the gateway: the domain's and the Bakong client's meters and activity sources (which know nothing
/// of OpenTelemetry), ASP.NET Core (gRPC, REST) and HttpClient instrumentation, the Prometheus scrape endpoint and,
/// when configured, OTLP export.
/// </summary>
internal static class GatewayTelemetry
{
    public const string MetricsPath = "/metrics";

    /// <summary>The meters and activity sources of our own code, by area.</summary>
    public static readonly string[] Meters =
        [PaymentWatchHub.MeterName, BakongTokenManager.MeterName, DisplayServiceCollectionExtensions.MeterName, Access.RefusalMetrics.MeterName];

    public static readonly string[] Sources = [PaymentWatchHub.MeterName, BakongTokenManager.MeterName];

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithTracing(tracing => tracing
                .AddSource(Sources)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => context.Request.Path != MetricsPath)
                // A Telegram Bot API call's URL holds the bot token (/bot<token>/sendMessage): no span for it, as the
                // url.full attribute would export the token.
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => !TelegramAnnouncements.CarriesBotToken(request)));
        if (options.Otlp.EndpointUri is { } endpoint)
        {
            telemetry.UseOtlpExporter(options.Otlp.Protocol, endpoint);
        }

        return services;
    }

    /// <summary><c>/metrics</c> for Prometheus, on the Web endpoint only (a request that arrives on the Grpc endpoint's port is passed on: 404).</summary>
    public static WebApplication MapGatewayTelemetry(this WebApplication app, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Prometheus)
        {
            var grpcPort = GatewayEndpoints.GrpcPort(app.Configuration);
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                context.Request.Path == MetricsPath && (grpcPort is null || context.Connection.LocalPort != grpcPort));
        }

        return app;
    }
}
