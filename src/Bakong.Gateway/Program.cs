using Bakong.Gateway;
using Bakong.Gateway.Configuration;

var builder = WebApplication.CreateBuilder(args);

// Read now, not at start: whether the simulated Bakong is hosted here shapes the services and endpoints.
var bakong = GatewayBakongOptions.Read(builder.Configuration);
builder.Services.AddGateway(builder.Configuration, bakong);

var app = builder.Build();
app.MapGateway(bakong);
await app.RunAsync().ConfigureAwait(false);

/// <summary>The gateway's entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
