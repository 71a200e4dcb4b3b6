namespace Bakong.Sandbox;

internal enum BakongEndpointKind
{
    RequestToken,
    Verify,
    RenewToken,
    Deeplink,
    Md5,
    Md5List,
    Hash,
    ShortHash,
    HashList,
    InstructionRef,
    ExternalRef,
    Account,
}

/// <summary>One Bakong endpoint: its path under <c>/v1/</c> and whether it wants a bearer token.</summary>
internal sealed record BakongEndpoint(BakongEndpointKind Kind, string Name, bool RequiresToken)
{
    // check_bakong_account takes no token here: the official JS and PHP SDKs call it without one.
    public static readonly IReadOnlyList<BakongEndpoint> All =
    [
        new(BakongEndpointKind.RequestToken, "request_token", false),
        new(BakongEndpointKind.Verify, "verify", false),
        new(BakongEndpointKind.RenewToken, "renew_token", false),
        new(BakongEndpointKind.Deeplink, "generate_deeplink_by_qr", false),
        new(BakongEndpointKind.Md5, "check_transaction_by_md5", true),
        new(BakongEndpointKind.Md5List, "check_transaction_by_md5_list", true),
        new(BakongEndpointKind.Hash, "check_transaction_by_hash", true),
        new(BakongEndpointKind.ShortHash, "check_transaction_by_short_hash", true),
        new(BakongEndpointKind.HashList, "check_transaction_by_hash_list", true),
        new(BakongEndpointKind.InstructionRef, "check_transaction_by_instruction_ref", true),
        new(BakongEndpointKind.ExternalRef, "check_transaction_by_external_ref", true),
        new(BakongEndpointKind.Account, "check_bakong_account", false),
    ];
}
