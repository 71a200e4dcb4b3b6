using Bakong.Display.Link;

namespace Bakong.Display.Tests.Link;

internal static class Waiting
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Task<DeviceScreen> WaitForScreenAsync(this DeviceLinkSession device, Func<DeviceScreen, bool> predicate) =>
        WaitAsync(h => device.ScreenChanged += h, h => device.ScreenChanged -= h, () => device.Screen, predicate);

    public static Task<DisplayLinkStatus> WaitForStatusAsync(this DisplayController controller, Func<DisplayLinkStatus, bool> predicate) =>
        WaitAsync(h => controller.StatusChanged += h, h => controller.StatusChanged -= h, () => controller.Status, predicate);

    /// <summary>The current value or the first one raised that satisfies <paramref name="predicate"/>, or a timeout failure.</summary>
    private static async Task<T> WaitAsync<T>(Action<Action<T>> subscribe, Action<Action<T>> unsubscribe, Func<T> current, Func<T, bool> predicate)
    {
        var reached = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(T value)
        {
            if (predicate(value))
            {
                reached.TrySetResult(value);
            }
        }

        subscribe(OnChanged);
        try
        {
            OnChanged(current());
            return await reached.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }
        finally
        {
            unsubscribe(OnChanged);
        }
    }
}
