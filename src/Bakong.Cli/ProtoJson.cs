using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Bakong.Cli;

/// <summary>
/// A proto message as the gateway's REST (JSON transcoding) writes it, for every <c>--json</c> that prints one: proto
/// JSON names (lowerCamelCase), enums by their proto names (<c>STATE_PAID</c>), every field even when it holds its
/// default, int64 as a JSON number. Google.Protobuf's formatter writes int64 as a string; the transcoding, which the
/// CLI cannot reference, writes a number, so those are turned back into numbers here.
/// </summary>
internal static class ProtoJson
{
    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static JsonNode ToNode(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var node = JsonNode.Parse(s_formatter.Format(message))!;
        Int64sAsNumbers(node, message.Descriptor);
        return node;
    }

    /// <summary>One line of JSON: the message as REST writes it.</summary>
    public static string Line(IMessage message) => ToNode(message).ToJsonString(Payments.PaymentText.JsonLine);

    private static void Int64sAsNumbers(JsonNode? node, MessageDescriptor descriptor)
    {
        // Well-known types (Timestamp, Duration, ...) have JSON forms of their own: strings, left as they are.
        if (node is not JsonObject body || descriptor.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal))
        {
            return;
        }

        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (!body.TryGetPropertyValue(field.JsonName, out var value) || value is null || field.IsMap)
            {
                continue;
            }

            if (field.IsRepeated && value is JsonArray items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    Convert(items[i], field, number => items[i] = number);
                }
            }
            else
            {
                Convert(value, field, number => body[field.JsonName] = number);
            }
        }
    }

    /// <summary>Gives <paramref name="replace"/> the number an int64's string stands for; descends into a message.</summary>
    private static void Convert(JsonNode? value, FieldDescriptor field, Action<JsonNode> replace)
    {
        switch (field.FieldType)
        {
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 when value is JsonValue v && v.TryGetValue(out string? text) && long.TryParse(text, CultureInfo.InvariantCulture, out var signed):
                replace(JsonValue.Create(signed));
                break;
            case FieldType.UInt64 or FieldType.Fixed64 when value is JsonValue v && v.TryGetValue(out string? text) && ulong.TryParse(text, CultureInfo.InvariantCulture, out var unsigned):
                replace(JsonValue.Create(unsigned));
                break;
            case FieldType.Message:
                Int64sAsNumbers(value, field.MessageType);
                break;
        }
    }
}
