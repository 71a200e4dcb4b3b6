using Bakong.Payments.Reporting;

namespace Bakong.Payments.Tests.Reporting;

public sealed class BusinessDayTests
{
    [Fact]
    public void A_day_in_phnom_penh_runs_from_its_midnight_to_the_next_at_utc_plus_seven()
    {
        var day = BusinessDay.Of(new DateOnly(2026, 12, 2), TimeZoneInfo.FindSystemTimeZoneById("Asia/Phnom_Penh"));

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero), day.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 17, 0, 0, TimeSpan.Zero), day.End);
        Assert.True(day.Contains(day.Start));
        Assert.False(day.Contains(day.End));
    }

    [Fact]
    public void Consecutive_days_meet_even_when_daylight_saving_skips_midnight()
    {
        // São Paulo skipped from 00:00 to 01:00 on 2018-11-04: the day starts at 01:00 local (UTC-2), 03:00 UTC.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo");

        var before = BusinessDay.Of(new DateOnly(2018, 11, 3), zone);
        var skipped = BusinessDay.Of(new DateOnly(2018, 11, 4), zone);

        Assert.Equal(new DateTimeOffset(2018, 11, 4, 3, 0, 0, TimeSpan.Zero), skipped.Start);
        Assert.Equal(before.End, skipped.Start);
    }

    [Theory]
    [InlineData("2026-12-02", true)]
    [InlineData("2026-2-3", false)]
    [InlineData("2026-02-30", false)]
    [InlineData("02/12/2026", false)]
    [InlineData(" 2026-12-02", false)]
    [InlineData(null, false)]
    public void Only_a_yyyy_mm_dd_date_is_read(string? text, bool valid) => Assert.Equal(valid, BusinessDay.TryParseDate(text, out _));
}
