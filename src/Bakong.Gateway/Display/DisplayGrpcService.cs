using Bakong.Display;
using Bakong.Display.Link;
using Bakong.Grpc.Display.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static Bakong.Grpc.Display.V1.Display.Types;

namespace Bakong.Gateway.Display;

/// <summary><c>bakong.display.v1.DisplayService</c>: the configured displays and their links, for <c>bakong display status</c>.</summary>
internal sealed class DisplayGrpcService(IDisplayStatusReader displays) : DisplayService.DisplayServiceBase
{
    public override Task<ListDisplaysResponse> ListDisplays(ListDisplaysRequest request, ServerCallContext context)
    {
        var response = new ListDisplaysResponse();
        foreach (var (terminalId, portName, s) in displays.ReadAll())
        {
            // The full name: inside Bakong.Gateway, `Display` is this namespace.
            response.Displays.Add(new Bakong.Grpc.Display.V1.Display
            {
                TerminalId = terminalId,
                PortName = portName,
                LinkState = s.State switch
                {
                    DisplayLinkState.Connecting => LinkState.Connecting,
                    DisplayLinkState.Online => LinkState.Online,
                    DisplayLinkState.Offline => LinkState.Offline,
                    DisplayLinkState.Incompatible => LinkState.Incompatible,
                    _ => LinkState.Disconnected,
                },
                BootId = s.BootId ?? 0,
                FirmwareVersion = s.FirmwareVersion ?? "",
                Model = s.Model ?? "",
                Serial = s.Serial ?? "",
                LastAckTime = s.LastAckTime is { } ack ? Timestamp.FromDateTimeOffset(ack) : null,
                Retransmits = s.Retransmits,
                FramesDropped = s.FramesDropped,
                Reconnects = s.Reconnects,
                LastError = s.Problem ?? (s.State == DisplayLinkState.Online ? "" : s.LastError ?? ""),
            });
        }

        return Task.FromResult(response);
    }
}
