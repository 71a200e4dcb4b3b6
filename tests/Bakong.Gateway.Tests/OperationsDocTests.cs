using System.Collections;
using System.Reflection;
using Bakong.Display;
using Bakong.OpenApi.Audit;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Configuration;

namespace Bakong.Gateway.Tests;

/// <summary>
/// docs/operations.md says it lists every setting: each key the gateway binds appears there in full, in backticks
/// (<c>`Polling:FastInterval`</c>). The keys are read from the options classes themselves, so a new property or a new
/// options class with a <c>Section</c> fails this test until it is documented.
/// </summary>
public sealed class OperationsDocTests
{
    /// <summary>Sections the gateway binds by name (GatewayHost) rather than through a constant on the class.</summary>
    private static readonly (string Section, Type Options)[] s_namedInTheHost =
    [
        ("Bakong:Tokens", typeof(BakongTokenOptions)),
        ("Bakong:Audit", typeof(BakongCallAuditOptions)),
    ];

    [Fact]
    public void Every_setting_the_gateway_binds_is_documented_in_full_in_operations_md()
    {
        var keys = BoundKeys();
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "operations.md"));

        // Not vacuous: the discovery finds every kind of key (gateway, library, nested, list, array of displays).
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "Bakong:Mode", "Bakong:BaseUrl", "Bakong:OpenApi:RetryCount", "Bakong:Tokens:AutoRenew", "Bakong:Audit:Retention",
                "Storage:Path", "Merchants:N:Name", "Merchants:N:Terminals", "Payments:MaxExpiry", "Polling:FastInterval", "Webhooks:MaxConcurrency",
                "Telemetry:Otlp:Endpoint", "Cors:AllowedOrigins", "Displays:N:PortName", "Kestrel:Endpoints:Web:Url",
            },
            keys);
        var missing = keys.Where(k => !doc.Contains("`" + k + "`", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Not in docs/operations.md: " + string.Join(", ", missing));
    }

    /// <summary>Every key the gateway binds, written with colons (<c>Storage:DueLease</c>; a display's as <c>Displays:N:…</c>).</summary>
    internal static HashSet<string> BoundKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var host = typeof(Program).Assembly;
        var assemblies = host.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("Bakong.", StringComparison.Ordinal))
            .Select(Assembly.Load)
            .Append(host);
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal)))
        {
            var field = type.GetField("Section", BindingFlags.Public | BindingFlags.Static) ?? type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
            if (field?.GetRawConstantValue() is not string section)
            {
                continue;
            }

            if (type == typeof(DisplaysOptions))
            {
                // The section is the array itself: Displays:0:PortName, Displays:1:PortName, … (written Displays:N:…).
                AddKeys(keys, section + ":N", typeof(DisplayPortOptions));
            }
            else
            {
                AddKeys(keys, section, type);
            }
        }

        // The merchant profiles: a list of its own (Merchants:0:Name, …, written Merchants:N:…); the single Merchant
        // section of earlier versions takes the same keys and is documented as such.
        AddKeys(keys, MerchantProfiles.Section + ":N", typeof(MerchantProfile));

        foreach (var (section, type) in s_namedInTheHost)
        {
            AddKeys(keys, section, type);
        }

        // The Kestrel endpoints the gateway reads itself (GatewayEndpoints.*UrlKey).
        foreach (var field in host.GetType("Bakong.Gateway.Configuration.GatewayEndpoints", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.Name.EndsWith("UrlKey", StringComparison.Ordinal)))
        {
            keys.Add((string)field.GetRawConstantValue()!);
        }

        return keys;
    }

    /// <summary>What the configuration binder fills: settable properties (nested classes recursively) and lists bound through their getter.</summary>
    private static void AddKeys(HashSet<string> keys, string prefix, Type options)
    {
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = prefix + ":" + property.Name;
            if (property.SetMethod is { IsPublic: true })
            {
                if (IsValue(type))
                {
                    keys.Add(key);
                }
                else
                {
                    AddKeys(keys, key, type);
                }
            }
            else if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
            {
                keys.Add(key);
            }
        }
    }

    private static bool IsValue(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bakong.Grpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Bakong.Grpc.sln not found above " + AppContext.BaseDirectory);
    }
}
