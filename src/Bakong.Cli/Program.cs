using System.Text;
using Bakong.Cli;

if (OperatingSystem.IsWindows())
{
    // The terminal QR is drawn with Unicode half blocks.
    Console.OutputEncoding = Encoding.UTF8;
}

var context = new CliContext(TimeProvider.System, Console.In, Console.Out, Console.Error);
return await CliApp.RunAsync(args, context, CancellationToken.None).ConfigureAwait(false);
