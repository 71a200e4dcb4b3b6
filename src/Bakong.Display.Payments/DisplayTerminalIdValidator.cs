using Bakong.Payments;
using Microsoft.Extensions.Options;

namespace Bakong.Display.Payments;

/// <summary>
/// The payments' rule on <c>Displays:N:TerminalId</c>, beside Bakong.Display's own: CreatePayment refuses a longer
/// terminal_id, so no payment could ever reach a display bound to one.
/// </summary>
internal sealed class DisplayTerminalIdValidator : IValidateOptions<DisplaysOptions>
{
    public ValidateOptionsResult Validate(string? name, DisplaysOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        for (var i = 0; i < options.Displays.Count; i++)
        {
            if (options.Displays[i].TerminalId.Length > PaymentLimits.TerminalId)
            {
                errors.Add($"Displays:{i}:TerminalId must be at most " + PaymentLimits.TerminalId + " characters (the terminal_id limit of CreatePayment)");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
