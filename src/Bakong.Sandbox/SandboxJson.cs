using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakong.Sandbox;

/// <summary>Bakong's JSON: camelCase, nulls written out (<c>"errorCode": null</c>, <c>"data": null</c>).</summary>
internal static class SandboxJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
