using Bakong.Gateway;
using Bakong.Gateway.Configuration;
using Bakong.Gateway.Telemetry;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,

    // The application's folder, not the working directory: appsettings.json is found however the gateway is started
    // (systemd starts it in /, the Windows service manager in System32, an operator anywhere). A test host
    // (WebApplicationFactory) chooses its own content root and refuses a different one.
    ContentRootPath = StartupFailure.IsOwnProcess ? AppContext.BaseDirectory : null,
});

// Under systemd: Type=notify readiness and stopping, journald log levels. As a Windows service: the service control
// manager's start and stop. Each does nothing when the gateway runs under neither.
builder.Services.AddSystemd();
builder.Services.AddWindowsService();
try
{
    // Read now, not at start: whether the simulated Bakong is hosted here shapes the services and endpoints.
    var bakong = GatewayBakongOptions.Read(builder.Configuration);
    var telemetry = TelemetryOptions.Read(builder.Configuration);
    builder.Services.AddGateway(builder.Configuration, bakong);
    builder.Services.AddGatewayTelemetry(telemetry);

    var app = builder.Build();
    StartupFailure.ValidateOptions(app.Services);
    app.MapGatewayTelemetry(telemetry);
    app.MapGateway(bakong);

    // Sit/Production: Bakong must not say the receiving account does not exist (before anything is served).
    await MerchantAccountCheck.RunAsync(app.Services, bakong, CancellationToken.None).ConfigureAwait(false);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (Exception e) when (StartupFailure.IsOwnProcess && StartupFailure.Describe(e) is { } lines)
{
    foreach (var line in lines)
    {
        await Console.Error.WriteLineAsync(line).ConfigureAwait(false);
    }

    return StartupFailure.ExitCode;
}

/// <summary>The gateway's entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
