using Microsoft.Extensions.Options;

namespace Bakong.Gateway.Configuration;

/// <summary>Options the host needs while it is being put together, before <c>ValidateOnStart</c> could run.</summary>
internal static class StartupOptions
{
    /// <summary>Binds <paramref name="section"/> and validates it now.</summary>
    /// <exception cref="OptionsValidationException">The section is not valid; the message names every bad key.</exception>
    public static TOptions Read<TOptions>(IConfiguration configuration, string section, IValidateOptions<TOptions> validator)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(validator);
        var options = new TOptions();
        configuration.GetSection(section).Bind(options);
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures);
        }

        return options;
    }
}
