using Bakong.OpenApi.Storage;

namespace Bakong.OpenApi.Tests.Storage;

public sealed class BakongDataDirectoryTests
{
    [Fact]
    public void The_default_is_bakong_data_when_set_else_bakong_in_the_per_user_data_directory()
    {
        Assert.Equal("/srv/bakong", BakongDataDirectory.Resolve("/srv/bakong", "/home/sokha/.local/share", windows: false));
        Assert.Equal("/home/sokha/.local/share/bakong", BakongDataDirectory.Resolve(null, "/home/sokha/.local/share", windows: false));
        Assert.Equal("/home/sokha/.local/share/bakong", BakongDataDirectory.Resolve("  ", "/home/sokha/.local/share", windows: false));
        Assert.Equal(Path.Combine("/users/sokha/AppData/Local", "Bakong"), BakongDataDirectory.Resolve(null, "/users/sokha/AppData/Local", windows: true));
    }

    [Fact]
    public void Without_a_per_user_directory_the_default_is_data_in_the_working_directory()
    {
        Assert.Equal("data", BakongDataDirectory.Resolve(null, "", windows: false));
    }

    [Fact]
    public void In_tests_the_default_is_a_folder_of_the_test_process_never_the_real_per_user_one()
    {
        var perUser = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);

        Assert.Equal(Bakong.Testing.Hermetic.HermeticDataDirectory.Path, BakongDataDirectory.Default);
        Assert.False(
            perUser.Length > 0 && BakongDataDirectory.Default.StartsWith(perUser, StringComparison.Ordinal),
            $"The tests' default data directory {BakongDataDirectory.Default} is inside the real per-user one, {perUser}.");
    }
}
