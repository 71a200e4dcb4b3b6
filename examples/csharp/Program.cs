// Create a payment, watch it, have the sandbox pay it, print the result, with the Bakong.Grpc.Client package.
// BAKONG_GRPC=http://127.0.0.1:5080 BAKONG_WEB=http://127.0.0.1:5081 [BAKONG_KEY=bk_...] dotnet run --project examples/csharp
using System.Globalization;
using System.Net.Http.Json;
using Bakong.Grpc.Client;
using Bakong.Grpc.Payments.V1;
using Grpc.Core;
using Grpc.Net.Client;

var server = Environment.GetEnvironmentVariable("BAKONG_GRPC") ?? "http://127.0.0.1:5080";
var web = new Uri(Environment.GetEnvironmentVariable("BAKONG_WEB") ?? "http://127.0.0.1:5081");
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));

using var channel = GrpcChannel.ForAddress(server);

// The API key goes on every call (a Sandbox gateway on loopback needs none).
var payments = BakongGateway.Payments(channel, Environment.GetEnvironmentVariable("BAKONG_KEY"));

// Sent again, unchanged, if the gateway cannot be reached: the same request_id never makes a second QR.
var created = await payments.CreatePaymentWithRetryAsync(
    new CreatePaymentRequest
    {
        RequestId = "csharp-example-" + Guid.NewGuid().ToString("N"),
        TerminalId = "POS-01",
        OrderRef = "INV-CS-1",
        Amount = new Money { CurrencyCode = "KHR", Units = 4000 },
    },
    cancellationToken: cancel.Token);
var payment = created.Payment;
Console.WriteLine($"created {payment.PaymentId}: {payment.Amount.Units} {payment.Amount.CurrencyCode}, show this QR: {payment.Khqr}");

using var http = new HttpClient { BaseAddress = web };
var paying = false;
using var watch = payments.WatchPayment(new WatchPaymentRequest { PaymentId = payment.PaymentId }, cancellationToken: cancel.Token);
await foreach (var change in watch.ResponseStream.ReadAllAsync(cancel.Token))
{
    var state = change.Payment.State;
    Console.WriteLine($"watch: {state} (version {change.Payment.Version.ToString(CultureInfo.InvariantCulture)})");
    if (state == Payment.Types.State.Pending && !paying)
    {
        paying = true;
        // Play the customer: the sandbox's control API pays the QR.
        using var paid = await http.PostAsJsonAsync("/sandbox/control/pay", new { qr = payment.Khqr }, cancel.Token);
        paid.EnsureSuccessStatusCode();
    }
    else if (state != Payment.Types.State.Pending)
    {
        Console.WriteLine($"result: {state}");
        return state == Payment.Types.State.Paid ? 0 : 2;
    }
}

Console.Error.WriteLine("error: the watch ended before a result");
return 1;
