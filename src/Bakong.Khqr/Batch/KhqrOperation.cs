namespace Bakong.Khqr.Batch;

/// <summary>What a batch line asks for.</summary>
public enum KhqrOperation
{
    Generate,
    Verify,
    Decode,
}
