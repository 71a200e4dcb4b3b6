using System.Net;
using System.Text.Json;

namespace Bakong.Sandbox.Tests;

public sealed class ListTests
{
    [Fact]
    public async Task An_md5_list_of_51_items_is_refused_with_error_5()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();

        var answer = await sandbox.BakongAsync("check_transaction_by_md5_list", Md5s(51), token);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("""{"responseCode":1,"responseMessage":"Maximum 50 items allowed.","errorCode":5,"data":null}""", answer.Body);
    }

    [Fact]
    public async Task An_md5_list_of_50_items_answers_one_item_per_md5_in_order()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var md5s = Md5s(50);

        var answer = await sandbox.BakongAsync("check_transaction_by_md5_list", md5s, token);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(0, answer.ResponseCode);
        var items = answer.Data.EnumerateArray().ToList();
        Assert.Equal(md5s, items.Select(i => i.GetProperty("md5").GetString()));
        Assert.All(items, i => Assert.Equal("NOT_FOUND", i.GetProperty("status").GetString()));
        Assert.All(items, i => Assert.Equal(JsonValueKind.Null, i.GetProperty("data").ValueKind));
    }

    [Fact]
    public async Task An_md5_list_reports_success_not_found_static_qr_and_failed_per_item()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var paid = sandbox.DynamicQr(1m);
        var failed = sandbox.DynamicQr(2m);
        var unpaid = sandbox.DynamicQr(3m);
        var fixedQr = sandbox.StaticQr();
        await sandbox.PayAsync(new { qr = paid.Qr });
        await sandbox.ControlOkAsync("control/fail", new { qr = failed.Qr });
        await sandbox.ControlOkAsync("control/qrs", new { qr = fixedQr.Qr });

        var answer = await sandbox.BakongAsync("check_transaction_by_md5_list", new[] { paid.Md5, unpaid.Md5, fixedQr.Md5, failed.Md5 }, token);

        var items = answer.Data.EnumerateArray().ToList();
        Assert.Equal(["SUCCESS", "NOT_FOUND", "STATIC_QR", "FAILED"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(["md5", "status", "message", "data"], items[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1m, items[0].GetProperty("data").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task A_hash_list_reports_each_hash()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();
        var qr = sandbox.DynamicQr(1m);
        await sandbox.PayAsync(new { qr = qr.Qr });
        var hash = sandbox.State.Payments.Single().Transaction.Hash;
        var unknown = new string('0', 64);

        var answer = await sandbox.BakongAsync("check_transaction_by_hash_list", new[] { hash, unknown }, token);

        var items = answer.Data.EnumerateArray().ToList();
        Assert.Equal([hash, unknown], items.Select(i => i.GetProperty("hash").GetString()));
        Assert.Equal(["SUCCESS", "NOT_FOUND"], items.Select(i => i.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_list_endpoint_wants_a_bare_json_array()
    {
        await using var sandbox = await SandboxHarness.StartAsync();
        var token = await sandbox.TokenAsync();

        var answer = await sandbox.BakongAsync("check_transaction_by_md5_list", new { md5List = Md5s(2) }, token);

        Assert.Equal((HttpStatusCode.BadRequest, 5), (answer.Status, answer.ErrorCode));
    }

    private static string[] Md5s(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture))];
}
