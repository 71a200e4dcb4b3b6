using System.Globalization;
using System.Text.Json;
using Bakong.Gateway.Rpc;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace Bakong.Gateway.Rest;

/// <summary>
/// REST's "Request JSON payload is not correctly formatted." says nothing of where (<c>"units":12.5</c>), and for some
/// bodies the transcoding answers the parser's own text instead, quoting what was sent. The
/// transcoding has no hook for it: it refuses the body before any interceptor runs, and keeps the
/// <see cref="JsonException"/> to itself. So for a transcoded route that takes a body, the body is kept (buffered) and
/// the answer held; when that answer is this error, the body is read again against the method's request message and
/// the error is replaced by one whose <c>google.rpc.BadRequest</c> names the first bad field by its proto path
/// (<c>amount.units</c>) and the JSON type that field takes, or, for text that is not JSON, the line and byte. Only
/// the contract's own field names are written: never a value or an unknown name the client sent. Any other answer
/// passes unchanged.
/// </summary>
internal static class RestBodyErrors
{
    /// <summary>The transcoding's text for a body it could not read (Microsoft.AspNetCore.Grpc.JsonTranscoding).</summary>
    public const string TranscodingMessage = "Request JSON payload is not correctly formatted.";

    /// <summary>Nesting deeper than any request message: a deeper body is refused without a walk.</summary>
    private const int MaxDepth = 16;

    /// <summary>A larger error answer is not the one to replace (it is under 100 bytes).</summary>
    private const int MaxErrorLength = 1024;

    public static IApplicationBuilder UseRestBodyErrors(this IApplicationBuilder app) =>
        app.Use(next => context => HandleAsync(context, next));

    private static async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        var rule = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (rule is null || string.IsNullOrEmpty(rule.HttpRule.Body) || context.Request.ContentLength == 0)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Request.EnableBuffering();
        var original = context.Response.Body;
        using var held = new MemoryStream();
        context.Response.Body = held;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (context.Response.StatusCode == StatusCodes.Status400BadRequest && held.Length <= MaxErrorLength
            && IsUnreadableBodyError(held) && await DescribeAsync(context, rule).ConfigureAwait(false) is { } status)
        {
            var json = System.Text.Encoding.UTF8.GetBytes(StatusJson.Serialize(status));
            context.Response.ContentLength = json.Length;
            await original.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        held.Position = 0;
        await held.CopyToAsync(original, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The transcoding refusing the body: INVALID_ARGUMENT without details (the gateway's own always name their
    /// fields in a BadRequest). Its message is <see cref="TranscodingMessage"/> or the parser's own text, which may
    /// quote the value sent (<c>The input string 'twelve' was not in a correct format.</c>): never passed on.
    /// </summary>
    private static bool IsUnreadableBodyError(MemoryStream held)
    {
        try
        {
            using var error = JsonDocument.Parse(held.GetBuffer().AsMemory(0, (int)held.Length));
            var root = error.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() == (int)StatusCode.InvalidArgument
                && (!root.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Array || details.GetArrayLength() == 0);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<Google.Rpc.Status?> DescribeAsync(HttpContext context, GrpcJsonTranscodingMetadata rule)
    {
        var request = rule.MethodDescriptor.InputType;
        var (message, prefix) = rule.HttpRule.Body == "*"
            ? (request, "")
            : request.FindFieldByName(rule.HttpRule.Body) is { MessageType: { } bodyType } bodyField
                ? (bodyType, bodyField.Name + ".")
                : (null, "");
        if (message is null)
        {
            return null;
        }

        context.Request.Body.Position = 0;
        try
        {
            using var body = await JsonDocument.ParseAsync(
                context.Request.Body, new JsonDocumentOptions { MaxDepth = MaxDepth }, context.RequestAborted).ConfigureAwait(false);
            return FirstBadField(body.RootElement, message, prefix, 0) is { } bad
                ? RpcErrors.InvalidArgument(bad.Field, bad.Description).GetRpcStatus()
                : new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = TranscodingMessage };
        }
        catch (JsonException e)
        {
            // Not JSON at all: there is no field to name, but there is a place.
            var where = e.LineNumber is { } line && e.BytePositionInLine is { } position
                ? " at line " + (line + 1).ToString(CultureInfo.InvariantCulture) + ", byte " + (position + 1).ToString(CultureInfo.InvariantCulture)
                : "";
            return new Google.Rpc.Status
            {
                Code = (int)StatusCode.InvalidArgument,
                Message = TranscodingMessage[..^1] + ": the body is not valid JSON" + where + ".",
            };
        }
    }

    /// <summary>The first value whose JSON kind its field cannot take, in the body's order; null when none is found.</summary>
    private static (string Field, string Description)? FirstBadField(JsonElement value, MessageDescriptor message, string path, int depth)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return (path.Length == 0 ? "(body)" : path.TrimEnd('.'), "must be a JSON object (" + message.Name + ")");
        }

        foreach (var property in value.EnumerateObject())
        {
            var field = message.Fields.InDeclarationOrder().FirstOrDefault(f => property.NameEquals(f.JsonName) || property.NameEquals(f.Name));
            if (field is null || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var name = path + field.Name;
            if (field.IsMap)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    return (name, "must be a JSON object (a map)");
                }

                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (var entry in property.Value.EnumerateObject())
                {
                    if (Check(entry.Value, valueField, name + ".value", depth) is { } bad)
                    {
                        return bad;
                    }
                }
            }
            else if (field.IsRepeated)
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    return (name, "must be a JSON array");
                }

                var index = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (Check(item, field, name + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", depth) is { } bad)
                    {
                        return bad;
                    }

                    index++;
                }
            }
            else if (Check(property.Value, field, name, depth) is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    private static (string Field, string Description)? Check(JsonElement value, FieldDescriptor field, string name, int depth)
    {
        var ok = field.FieldType switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64
                => value.ValueKind switch
                {
                    JsonValueKind.Number => value.TryGetInt64(out _),
                    JsonValueKind.String => long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                    _ => false,
                },
            FieldType.UInt32 or FieldType.Fixed32 or FieldType.UInt64 or FieldType.Fixed64
                => value.ValueKind switch
                {
                    JsonValueKind.Number => value.TryGetUInt64(out _),
                    JsonValueKind.String => ulong.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out _),
                    _ => false,
                },
            FieldType.Double or FieldType.Float => value.ValueKind is JsonValueKind.Number or JsonValueKind.String,
            FieldType.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            FieldType.String or FieldType.Bytes => value.ValueKind == JsonValueKind.String,
            FieldType.Enum => value.ValueKind switch
            {
                JsonValueKind.String => field.EnumType.FindValueByName(value.GetString()) is not null,
                JsonValueKind.Number => value.TryGetInt32(out _),
                _ => false,
            },
            FieldType.Message or FieldType.Group => true,
            _ => true,
        };
        if (!ok)
        {
            return (name, Expected(field));
        }

        if (field.FieldType != FieldType.Message)
        {
            return null;
        }

        return field.MessageType.FullName switch
        {
            // Well-known types written as strings (RFC 3339, "1.5s", "a,b") or as anything (Struct, Value, Any).
            "google.protobuf.Timestamp" or "google.protobuf.Duration" or "google.protobuf.FieldMask" =>
                value.ValueKind == JsonValueKind.String ? null : (name, "must be a JSON string (" + field.MessageType.Name + ")"),
            "google.protobuf.Struct" or "google.protobuf.Value" or "google.protobuf.ListValue" or "google.protobuf.Any" => null,
            _ when field.MessageType.File.Package == "google.protobuf" => null,
            _ => depth >= MaxDepth ? null : FirstBadField(value, field.MessageType, name + ".", depth + 1),
        };
    }

    private static string Expected(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32
            => "must be a whole number (" + field.FieldType.ToString().ToLowerInvariant() + ")",
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64
            => "must be a whole number (" + field.FieldType.ToString().ToLowerInvariant() + ", a JSON number or a string of digits)",
        FieldType.Double or FieldType.Float => "must be a number",
        FieldType.Bool => "must be true or false",
        FieldType.String => "must be a JSON string",
        FieldType.Bytes => "must be a base64 JSON string",
        FieldType.Enum => "must be one of " + string.Join(", ", field.EnumType.Values.Select(v => v.Name)),
        _ => "has the wrong JSON type",
    };
}
