using System.Reflection;

namespace Bakong.Cli.Tests;

public sealed class DependencyTests
{
    [Fact]
    public void The_bakong_command_does_not_carry_the_payments_domain()
    {
        // What the bakong assembly needs, through every Bakong.* assembly it needs in turn: the display commands take the
        // protocol library, which must not bring the payments (and their store) along.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([typeof(CliApp).Assembly]);
        while (pending.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("Bakong.", StringComparison.Ordinal)))
            {
                if (seen.Add(reference.Name!))
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
            }
        }

        Assert.Contains("Bakong.Display", seen);
        Assert.DoesNotContain("Bakong.Payments", seen);
    }

    [Fact]
    public void The_bakong_tool_carries_no_native_graphics_library()
    {
        // SkiaSharp's native builds for 25 platforms were 471 MB of a 476 MB tool, for the emulator's screenshots alone.
        var references = typeof(CliApp).Assembly.GetReferencedAssemblies().Select(r => r.Name);

        Assert.DoesNotContain(references, name => name!.StartsWith("SkiaSharp", StringComparison.Ordinal));
    }
}
