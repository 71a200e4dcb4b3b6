using Bakong.Gateway.Access;
using Bakong.Gateway.Rpc;
using Bakong.Grpc.Admin.V1;
using Bakong.OpenApi.Tokens;
using Bakong.Payments.Notifications;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TelegramStatus = Bakong.Payments.Notifications.TelegramStatus;
using TelegramTestResult = Bakong.Payments.Notifications.TelegramTestResult;

namespace Bakong.Gateway.Admin;

/// <summary>
/// The Telegram announcements in the admin API: their status, the bot token, a test message. The rules are
/// <see cref="TelegramAnnouncements"/>'s and <see cref="StoredSecrets"/>'; this only maps them. The bot token never
/// leaves: not in a response, an error, a log line or the API audit (whose target for these calls is empty).
/// </summary>
internal sealed partial class AdminGrpcService
{
    public override Task<GetTelegramStatusResponse> GetTelegramStatus(GetTelegramStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new GetTelegramStatusResponse { Telegram = ToProto(services.GetRequiredService<TelegramAnnouncements>().GetStatus()) });

    public override Task<SetTelegramTokenResponse> SetTelegramToken(SetTelegramTokenRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var token = StoredSecrets.ReadTelegramBotToken(request.Token)
            ?? throw RpcErrors.InvalidArgument("token", StoredSecrets.NotATelegramBotTokenMessage);
        var status = services.GetRequiredService<TelegramAnnouncements>().SetToken(token, context.Caller().Id);
        return Task.FromResult(new SetTelegramTokenResponse { Telegram = ToProto(status) });
    }

    public override async Task<SendTelegramTestResponse> SendTelegramTest(SendTelegramTestRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var announcements = services.GetRequiredService<TelegramAnnouncements>();
        var results = await announcements.SendTestAsync(context.CancellationToken).ConfigureAwait(false);
        if (results is null)
        {
            var status = announcements.GetStatus();
            throw RpcErrors.TelegramNotReady(!status.Enabled
                ? "Telegram announcements are off: set Notifications:Telegram:Enabled (and its Chats) and restart the gateway."
                : status.TokenUnreadable
                    ? "The Telegram bot token cannot be decrypted with the token key (was the key file replaced?): set it again with 'bakong notify telegram set-token'."
                    : "No Telegram bot token is set: set it with 'bakong notify telegram set-token'.");
        }

        var response = new SendTelegramTestResponse();
        response.Results.AddRange(results.Select(ToProto));
        return response;
    }

    private static Grpc.Admin.V1.TelegramStatus ToProto(TelegramStatus status)
    {
        var proto = new Grpc.Admin.V1.TelegramStatus { Enabled = status.Enabled, TokenSet = status.TokenSet, TokenUnreadable = status.TokenUnreadable };
        if (status.TokenSetAt is { } setAt)
        {
            proto.TokenSetTime = Timestamp.FromDateTimeOffset(setAt);
        }

        foreach (var chat in status.Chats)
        {
            var item = new TelegramChat { ChatId = chat.ChatId, Language = chat.Language, LastError = chat.LastError ?? string.Empty };
            item.TerminalIds.AddRange(chat.Terminals);
            if (chat.LastDelivery is { } delivered)
            {
                item.LastDeliveryTime = Timestamp.FromDateTimeOffset(delivered);
            }

            if (chat.LastErrorAt is { } failed)
            {
                item.LastErrorTime = Timestamp.FromDateTimeOffset(failed);
            }

            proto.Chats.Add(item);
        }

        return proto;
    }

    private static Grpc.Admin.V1.TelegramTestResult ToProto(TelegramTestResult result) =>
        new() { ChatId = result.ChatId, Sent = result.Sent, Failure = result.Failure ?? string.Empty };
}
