using Bakong.Payments.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Bakong.Gateway.Tests;

/// <summary>Values a fuzzer sends that the contract rules out: INVALID_ARGUMENT naming the field, never UNKNOWN.</summary>
public sealed class RequestValidationTests : GatewayTest
{
    private const long MinTimestampSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
    private const long MaxTimestampSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

    public static TheoryData<string, long, int> TimesOutOfRange => new()
    {
        { "start_create_time", MaxTimestampSeconds + 1, 0 },
        { "start_create_time", MinTimestampSeconds - 1, 0 },
        { "start_create_time", long.MaxValue, 0 },
        { "end_create_time", 0, -1 },
        { "end_create_time", 0, 1_000_000_000 },
        { "end_create_time", long.MinValue, 0 },
    };

    [Theory]
    [MemberData(nameof(TimesOutOfRange))]
    public async Task List_with_a_time_outside_the_timestamp_range_is_invalid_argument_naming_the_field(string field, long seconds, int nanos)
    {
        var time = new Timestamp { Seconds = seconds, Nanos = nanos };
        var request = field == "start_create_time" ? new ListPaymentsRequest { StartCreateTime = time } : new ListPaymentsRequest { EndCreateTime = time };

        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.ListPaymentsAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task List_from_the_first_to_the_last_valid_timestamp_finds_every_payment()
    {
        var created = await Gateway.CreateAsync(Requests.Create("whole-range"));

        var page = await Gateway.Payments.ListPaymentsAsync(
            new ListPaymentsRequest
            {
                StartCreateTime = new Timestamp { Seconds = MinTimestampSeconds },
                EndCreateTime = new Timestamp { Seconds = MaxTimestampSeconds, Nanos = 999_999_999 },
            },
            cancellationToken: Ct);

        Assert.Equal(created.PaymentId, Assert.Single(page.Payments).PaymentId);
    }

    public static TheoryData<long, int> DurationsOutOfRange => new()
    {
        { long.MaxValue, 0 },
        { long.MinValue, 0 },
        { 315_576_000_001, 0 },
        { 60, -1 },
        { 60, 1_000_000_000 },
        { -60, 0 },
    };

    [Theory]
    [MemberData(nameof(DurationsOutOfRange))]
    public async Task Create_with_an_expires_in_outside_the_duration_range_is_invalid_argument_naming_it(long seconds, int nanos)
    {
        var request = Requests.Create("expires-" + seconds + "-" + nanos);
        request.ExpiresIn = new Duration { Seconds = seconds, Nanos = nanos };

        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Payments.CreatePaymentAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("expires_in", Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
