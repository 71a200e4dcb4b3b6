using System.Text.RegularExpressions;
using Bakong.Payments.Configuration;

namespace Bakong.Gateway.Tests;

/// <summary>
/// The compose files under deploy/docker cannot be run on the CI machine (no container engine), so what can be checked
/// without one is checked here: every gateway setting they give (or show in a comment) is a key the gateway binds, so
/// a renamed option or a typo (<c>Storage__DueLeas</c>) fails here instead of being ignored by the gateway at start.
/// </summary>
public sealed partial class ComposeFileTests
{
    /// <summary>Environment variables that are no options class's: read by the host or the image themselves.</summary>
    private static readonly HashSet<string> s_notOptions = new(StringComparer.Ordinal) { "BAKONG_DATA", "ASPNETCORE_URLS" };

    [Theory]
    [InlineData("compose.yaml")]
    [InlineData("compose.replicas.yaml")]
    public void Every_gateway_setting_in_a_compose_file_is_one_the_gateway_binds(string file)
    {
        var text = File.ReadAllText(Path.Combine(OperationsDocTests.RepositoryRoot(), "deploy", "docker", file));
        var bound = OperationsDocTests.BoundKeys();

        var keys = SettingKey().Matches(text).Select(m => m.Groups["key"].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(keys);
        var unknown = keys.Where(k => !s_notOptions.Contains(k) && !bound.Contains(AsConfigurationKey(k))).ToList();
        Assert.True(unknown.Count == 0, $"{file} sets what the gateway does not bind: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void The_two_replica_compose_file_gives_both_replicas_the_same_database_and_token_key_and_each_its_own_data()
    {
        var text = File.ReadAllText(Path.Combine(OperationsDocTests.RepositoryRoot(), "deploy", "docker", "compose.replicas.yaml"));

        // gateway-b merges gateway-a's settings anchor: one list of settings, not two that can drift apart.
        Assert.Contains("environment: &settings", text, StringComparison.Ordinal);
        Assert.Contains("<<: *settings", text, StringComparison.Ordinal);
        Assert.Contains("Storage__Provider: PostgreSql", text, StringComparison.Ordinal);
        Assert.Contains("Bakong__Tokens__KeyPath: /run/secrets/token_key", text, StringComparison.Ordinal);
        Assert.Contains("- data-a:/data", text, StringComparison.Ordinal);
        Assert.Contains("- data-b:/data", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>Displays__0__PortName</c> → <c>Displays:N:PortName</c>, as <see cref="OperationsDocTests.BoundKeys"/> writes them;
    /// the single <c>Merchant</c> section takes a profile's keys (<c>Merchant__Name</c> is <c>Merchants:N:Name</c>).
    /// </summary>
    private static string AsConfigurationKey(string variable)
    {
        var key = string.Join(':', variable.Split("__").Select(part => part.All(char.IsAsciiDigit) ? "N" : part));
        return key.StartsWith(MerchantProfiles.LegacySection + ":", StringComparison.Ordinal)
            ? MerchantProfiles.Section + ":N" + key[MerchantProfiles.LegacySection.Length..]
            : key;
    }

    // An environment entry (`Key__Sub: value`, `- Key__Sub=value`), set or commented out.
    [GeneratedRegex(@"^[ \t]*(?:#[ \t]*)?(?:-[ \t]*)?(?<key>[A-Za-z][A-Za-z0-9]*(?:__[A-Za-z0-9]+)+)[ \t]*[:=]", RegexOptions.Multiline)]
    private static partial Regex SettingKey();
}
