using System.Net;

namespace Bakong.Sandbox.Tests;

/// <summary>
/// <c>GET control/calls</c>: the Bakong calls the sandbox answered, with the md5s of each list call and a total per
/// endpoint, so a test of several gateways on one sandbox counts what they asked together, from Bakong's side.
/// </summary>
public sealed class CallLogTests
{
    [Fact]
    public async Task The_call_log_lists_each_md5_list_call_with_its_md5s_and_counts_calls_per_endpoint()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var first = new[] { sandbox.DynamicQr(1m).Md5, sandbox.DynamicQr(2m).Md5 };
        var second = new[] { sandbox.DynamicQr(3m).Md5 };

        await sandbox.BakongAsync("check_transaction_by_md5_list", first, token);
        sandbox.Time.Advance(TimeSpan.FromSeconds(2));
        await sandbox.BakongAsync("check_transaction_by_md5_list", second, token);
        await sandbox.BakongAsync("check_transaction_by_md5", new { md5 = second[0] }, token);
        var (status, body) = await sandbox.SendAsync(HttpMethod.Get, "control/calls?endpoint=check_transaction_by_md5_list");

        Assert.Equal(HttpStatusCode.OK, status);
        var log = SandboxHarness.Json(body);
        var calls = log.GetProperty("calls").EnumerateArray().ToList();
        Assert.Equal([first, second], calls.Select(c => c.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToArray()));
        Assert.Equal(2000, calls[1].GetProperty("atMs").GetInt64() - calls[0].GetProperty("atMs").GetInt64());
        Assert.Equal(2, log.GetProperty("totals").GetProperty("check_transaction_by_md5_list").GetInt64());
        Assert.Equal(1, log.GetProperty("totals").GetProperty("check_transaction_by_md5").GetInt64());
    }

    [Fact]
    public async Task A_reset_clears_the_call_log()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        await sandbox.BakongAsync("check_transaction_by_md5_list", new[] { sandbox.DynamicQr(1m).Md5 }, token);

        var (status, _) = await sandbox.SendAsync(HttpMethod.Post, "control/reset");

        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Empty(sandbox.State.Calls());
        Assert.Empty(sandbox.State.CallTotals);
    }
}
