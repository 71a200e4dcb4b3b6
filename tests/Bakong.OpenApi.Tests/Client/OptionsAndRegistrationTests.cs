using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Client;
using Bakong.OpenApi.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bakong.OpenApi.Tests.Client;

public sealed class OptionsAndRegistrationTests
{
    [Theory]
    [InlineData(BakongEnvironment.Sit, null, "https://sit-api-bakong.nbc.gov.kh/")]
    [InlineData(BakongEnvironment.Production, null, "https://api-bakong.nbc.gov.kh/")]
    [InlineData(BakongEnvironment.Sandbox, "http://127.0.0.1:5080", "http://127.0.0.1:5080/")]
    [InlineData(BakongEnvironment.Production, "http://127.0.0.1:5080/bakong", "http://127.0.0.1:5080/bakong/")]
    public void Base_address_comes_from_the_environment_preset_unless_a_base_url_is_set(BakongEnvironment environment, string? baseUrl, string expected)
    {
        var options = new BakongOpenApiOptions { Environment = environment, BaseUrl = baseUrl is null ? null : new Uri(baseUrl) };

        Assert.Equal(new Uri(expected), options.ResolveBaseAddress());
        Assert.True(new BakongOpenApiOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Defaults_are_a_4_second_attempt_within_10_seconds()
    {
        var options = new BakongOpenApiOptions();

        Assert.Equal(TimeSpan.FromSeconds(4), options.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.TotalTimeout);
    }

    public static TheoryData<Action<BakongOpenApiOptions>, string> BadOptions => new()
    {
        { o => o.Environment = BakongEnvironment.Sandbox, "BaseUrl is required" },
        { o => o.BaseUrl = new Uri("ftp://example.org"), "absolute http or https" },
        { o => o.AttemptTimeout = TimeSpan.FromSeconds(20), "must not exceed TotalTimeout" },
        { o => o.RetryCount = 11, "RetryCount" },
        { o => o.MaxConcurrentCalls = 0, "MaxConcurrentCalls" },
        { o => o.CircuitBreakerFailureRatio = 0, "CircuitBreakerFailureRatio" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_fail_validation_with_a_clear_message(Action<BakongOpenApiOptions> spoil, string expected)
    {
        var options = new BakongOpenApiOptions { Environment = BakongEnvironment.Sit };
        spoil(options);

        var result = new BakongOpenApiOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }

    [Fact]
    public async Task Di_binds_the_section_and_serves_typed_clients_against_the_configured_host()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Bakong:OpenApi:Environment"] = "Sandbox",
                ["Bakong:OpenApi:BaseUrl"] = "http://127.0.0.1:5999",
                ["Bakong:OpenApi:RetryCount"] = "1",
                ["Bakong:OpenApi:Md5ListFallbackDuration"] = "00:10:00",
            })
            .Build();
        var handler = new StubHandler(_ => StubHandler.Json("""{ "data": null, "errorCode": 1, "responseCode": 1, "responseMessage": "Transaction could not be found." }"""));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IBakongTokenSource>(new FakeTokenSource(new BakongToken(ClientHarness.TokenValue, null), null));
        services.AddSingleton<IBakongCallAudit, RecordingAudit>();
        services.AddBakongOpenApiClient(configuration.GetSection(BakongOpenApiOptions.SectionName));
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => handler));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<BakongOpenApiOptions>>().Value;
        var result = await provider.GetRequiredService<IBakongClient>().CheckTransactionByMd5Async("abc", TestContext.Current.CancellationToken);
        await provider.GetRequiredService<IBakongRegistrationApi>().RenewTokenAsync("me@shop.kh", TestContext.Current.CancellationToken);

        Assert.Equal(1, options.RetryCount);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Md5ListFallbackDuration);
        Assert.IsType<TransactionCheck.NotFound>(result.Value);
        Assert.Equal(["/v1/check_transaction_by_md5", "/v1/renew_token"], handler.Requests.Select(r => r.Path));
        Assert.Equal(2, ((RecordingAudit)provider.GetRequiredService<IBakongCallAudit>()).Records.Count);
        Assert.Same(provider.GetRequiredService<BakongResilience>(), provider.GetRequiredService<BakongResilience>());
    }

    [Fact]
    public void Di_rejects_invalid_options_when_they_are_first_read()
    {
        var services = new ServiceCollection();
        services.AddBakongOpenApiClient(o => o.Environment = BakongEnvironment.Sandbox);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BakongOpenApiOptions>>().Value);

        Assert.Contains("BaseUrl is required", error.Message);
    }
}
