using System.Collections;
using Bakong.Cli.Khqr;
using QRCoder;

namespace Bakong.Cli.Tests.Khqr;

public sealed class TerminalQrTests
{
    private const string Payload = "00020101021229130009shop@aclb520459995303840540512.505802KH5912Sokha Coffee6010Phnom Penh62090105INV-199340013179574904052801131795749340525630479CF";

    [Fact]
    public void The_drawing_uses_only_half_blocks_spaces_and_newlines()
    {
        var drawing = TerminalQr.Render(Payload);

        Assert.All(drawing, c => Assert.Contains(c, "▀▄█ \n"));
        Assert.EndsWith("\n", drawing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_drawing_is_the_module_matrix_with_its_quiet_zone_two_rows_per_line(bool darkOnLight)
    {
        var drawing = TerminalQr.Render(Payload, darkOnLight);

        using var data = QRCodeGenerator.GenerateQrCode(Payload, QRCodeGenerator.ECCLevel.M, forceUtf8: true);
        var modules = data.ModuleMatrix;
        var lines = drawing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((modules.Count + 1) / 2, lines.Length);
        for (var y = 0; y < modules.Count; y++)
        {
            for (var x = 0; x < modules.Count; x++)
            {
                var cell = lines[y / 2][x];
                var drawn = y % 2 == 0 ? cell is '▀' or '█' : cell is '▄' or '█';
                Assert.Equal(modules[y][x] == darkOnLight, drawn);
            }
        }

        // The four-module quiet zone: light all round, so drawn on a dark terminal and blank on a light one.
        Assert.All(TopRows(modules, 4), row => Assert.All(row.Cast<bool>(), dark => Assert.False(dark)));
        var quietLine = darkOnLight ? new string(' ', modules.Count) : new string('█', modules.Count);
        Assert.Equal(quietLine, lines[0]);
        Assert.Equal(quietLine, lines[1]);
    }

    private static IEnumerable<BitArray> TopRows(List<BitArray> modules, int count) => modules.Take(count);
}
