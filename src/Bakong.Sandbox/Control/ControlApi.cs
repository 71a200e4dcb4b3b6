using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bakong.Sandbox.Control;

/// <summary>
/// The control API beside the simulated Bakong: plays the customer (pay, fail) and the merchant (a transfer: a refund), the mailbox, token issue, and the
/// faults. Documented with curl examples in README.md. Invalid requests: 400; conflicts (paid twice, expired QR): 409.
/// </summary>
internal static class ControlApi
{
    public static void Map(IEndpointRouteBuilder control)
    {
        control.MapGet("/mailbox", (SandboxState state, string? email) => Json(state.Mailbox(email)));

        control.MapPost("/tokens", (SandboxState state, SandboxTokenRequest? request) => Run(() =>
            state.IssueToken(request?.Email, request?.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null)));
        control.MapPost("/tokens/expire", (SandboxState state) =>
        {
            state.ExpireAllTokens();
            return Json(new { tokensExpiredAtMs = state.TokensExpiredAtMs });
        });

        control.MapPost("/qrs", (SandboxState state, SandboxQrRequest request) => Run(() => state.RegisterQr(request.Qr ?? string.Empty)));
        control.MapPost("/pay", (SandboxState state, SandboxPayRequest request) => Run(() => state.Pay(request)));
        control.MapPost("/fail", (SandboxState state, SandboxFailRequest request) => Run(() => state.Fail(request)));
        control.MapPost("/transfers", (SandboxState state, SandboxTransferRequest request) => Run(() => state.Transfer(request)));
        control.MapGet("/payments", (SandboxState state) => Json(state.Payments));

        // What the gateways asked Bakong: counted here, on Bakong's side, across every gateway that uses this sandbox.
        control.MapGet("/calls", (SandboxState state, string? endpoint) => Json(new { totals = state.CallTotals, calls = state.Calls(endpoint) }));
        control.MapPost("/accounts", (SandboxState state, SandboxAccountRequest request) => Run(() =>
        {
            state.AddAccount(request.AccountId ?? string.Empty);
            return new { accountId = request.AccountId };
        }));

        control.MapGet("/faults", (SandboxState state) => FaultsView(state));
        control.MapPut("/faults", (SandboxState state, JsonElement body) => Run(() =>
        {
            var faults = body.Deserialize<SandboxFaults>(SandboxJson.Options) ?? SandboxFaults.None;
            var actions = body.Deserialize<FaultActions>(SandboxJson.Options);
            if (actions?.Seed is { } seed)
            {
                state.Reseed(seed);
            }

            state.Faults = faults;
            if (actions?.ExpireAllTokensNow == true)
            {
                state.ExpireAllTokens();
            }

            return FaultsNode(state);
        }));
        control.MapDelete("/faults", (SandboxState state) =>
        {
            state.Faults = SandboxFaults.None;
            return FaultsView(state);
        });

        control.MapPost("/reset", (SandboxState state) =>
        {
            state.Reset();
            return Results.NoContent();
        });
    }

    private static IResult Run<T>(Func<T> action)
    {
        try
        {
            return Json(action());
        }
        catch (ArgumentException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (InvalidOperationException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status409Conflict);
        }
        catch (JsonException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static IResult Json<T>(T value) => Results.Json(value, SandboxJson.Options);

    private static IResult FaultsView(SandboxState state) => Json(FaultsNode(state));

    // What PUT accepts, plus read-only facts: GET, edit, PUT back works.
    private static JsonObject FaultsNode(SandboxState state)
    {
        var node = JsonSerializer.SerializeToNode(state.Faults, SandboxJson.Options)!.AsObject();
        node["heldRequests"] = state.HeldRequests;
        node["tokensExpiredAtMs"] = state.TokensExpiredAtMs;
        return node;
    }

    private sealed record FaultActions(bool ExpireAllTokensNow, int? Seed);
}
