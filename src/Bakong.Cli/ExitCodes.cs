namespace Bakong.Cli;

/// <summary>The process exit codes of the <c>khqr</c> commands, and of <c>bakong</c> itself.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary><c>khqr verify</c>: the string is not a valid KHQR.</summary>
    public const int Invalid = 1;

    /// <summary><c>bakong</c> with no command at all: the usage is printed (on stderr).</summary>
    public const int NoCommand = 1;

    /// <summary>The user's input or command line is wrong: an unknown option, a missing value, a field the SDK rejects.</summary>
    public const int BadInput = 2;
}
