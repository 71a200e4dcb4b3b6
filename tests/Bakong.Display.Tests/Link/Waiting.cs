using Bakong.Display.Link;

namespace Bakong.Display.Tests.Link;

internal static class Waiting
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<DeviceScreen> WaitForScreenAsync(this DeviceLinkSession device, Func<DeviceScreen, bool> predicate)
    {
        var reached = new TaskCompletionSource<DeviceScreen>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(DeviceScreen screen)
        {
            if (predicate(screen))
            {
                reached.TrySetResult(screen);
            }
        }

        device.ScreenChanged += OnChanged;
        try
        {
            OnChanged(device.Screen);
            return await reached.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }
        finally
        {
            device.ScreenChanged -= OnChanged;
        }
    }

    public static async Task<DisplayLinkStatus> WaitForStatusAsync(this DisplayController controller, Func<DisplayLinkStatus, bool> predicate)
    {
        var reached = new TaskCompletionSource<DisplayLinkStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(DisplayLinkStatus status)
        {
            if (predicate(status))
            {
                reached.TrySetResult(status);
            }
        }

        controller.StatusChanged += OnChanged;
        try
        {
            OnChanged(controller.Status);
            return await reached.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }
        finally
        {
            controller.StatusChanged -= OnChanged;
        }
    }
}
