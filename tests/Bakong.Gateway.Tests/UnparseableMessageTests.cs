using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace Bakong.Gateway.Tests;

/// <summary>
/// Request messages that are not protobuf, sent as raw gRPC frames (what a fuzzer or a broken client sends): every
/// method of every service the gateway hosts answers INVALID_ARGUMENT, and none of them logs a warning or an error.
/// </summary>
public sealed class UnparseableMessageTests(SharedGateway shared) : SharedGatewayTest(shared)
{
    /// <summary>Each method, with the number of a string field of its request (null when the request has none).</summary>
    private static readonly (string Path, int? StringField)[] s_methods =
    [
        ("/bakong.payments.v1.PaymentService/CreatePayment", 1),
        ("/bakong.payments.v1.PaymentService/GetPayment", 1),
        ("/bakong.payments.v1.PaymentService/WatchPayment", 1),
        ("/bakong.payments.v1.PaymentService/CancelPayment", 1),
        ("/bakong.payments.v1.PaymentService/ListPayments", 2),
        ("/bakong.display.v1.DisplayService/ListDisplays", null),
        ("/grpc.health.v1.Health/Check", 1),
        ("/grpc.health.v1.Health/Watch", 1),
        ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", 1),
        ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", 1),
    ];

    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var (path, stringField) in s_methods)
            {
                foreach (var malformation in new[] { "truncated varint", "field number 0", "invalid UTF-8", "bad wire type" })
                {
                    if (malformation != "invalid UTF-8" || stringField is not null)
                    {
                        cases.Add(path, malformation);
                    }
                }
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_unparseable_request_message_is_invalid_argument_and_logs_no_warning_or_error(string path, string malformation)
    {
        var stringField = s_methods.Single(m => m.Path == path).StringField ?? 1;
        byte[] message = malformation switch
        {
            "truncated varint" => [0x08, 0xFF, 0xFF], // field 1, a varint whose last byte never comes
            "field number 0" => [0x02, 0x00],
            "invalid UTF-8" => [(byte)((stringField << 3) | 2), 0x02, 0xC3, 0x28],
            _ => [0x0E, 0x01], // field 1, wire type 6
        };

        // The class's first test starts the shared host with these; the others set the same values, which is harmless.
        Gateway.Settings["Logging:LogLevel:Bakong.Gateway"] = "Debug";
        Gateway.Logs.MinimumLevel = LogLevel.Debug;
        _ = Gateway.Server;
        var before = Gateway.Logs.Entries.Count;

        var (status, detail) = await SendAsync(path, message);

        Assert.True(status == "3", "grpc-status " + status + ": " + detail);
        Assert.Equal("The request message could not be parsed.", detail);

        // What the call logged (the background services' start-up warnings are not this test's business).
        var logged = Gateway.Logs.Entries.Skip(before)
            .Where(e => e.Category.StartsWith("Grpc.", StringComparison.Ordinal) || e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || e.Category.StartsWith("Bakong.Gateway", StringComparison.Ordinal));
        Assert.Empty(logged.Where(e => e.Level >= LogLevel.Warning || e.Exception is not null).Select(e => e.Category + " " + e.EventName));
        Assert.Equal(LogLevel.Debug, Assert.Single(logged, e => e.EventName == "UnparseableRequest").Level);
    }

    /// <summary>Sends one gRPC frame (1 byte compressed flag, 4 bytes big-endian length, the message) and reads the status.</summary>
    private async Task<(string? Status, string? Detail)> SendAsync(string path, byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        using var http = new HttpClient(Gateway.Server.CreateHandler()) { BaseAddress = Gateway.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));

        using var response = await http.SendAsync(request, Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // A call that fails before its first message is "trailers-only": the status is in the headers.
        return (Header("grpc-status"), Header("grpc-message"));

        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.Single()
            : response.Headers.TryGetValues(name, out var header) ? header.Single()
            : null;
    }
}
