using System.Collections.Frozen;
using Bakong.Khqr;
using Microsoft.Extensions.Configuration;

namespace Bakong.Payments.Configuration;

/// <summary>
/// One merchant profile (<c>Merchants:N:*</c>, or the single <c>Merchant:*</c> section as the profile
/// <see cref="Payment.DefaultMerchantProfileId"/>): the receiving account and everything of the shop a payment's KHQR
/// carries, and the terminals it serves. Bound from configuration; checked by <see cref="MerchantProfilesValidator"/>.
/// </summary>
public sealed class MerchantProfile
{
    /// <summary>The longest profile id: it is stored on every payment and sent in webhooks.</summary>
    public const int MaxIdLength = 32;

    /// <summary>Names this profile on payments, webhooks and reports; an identifier (<see cref="Identifier"/>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The receiving Bakong account, <c>name@bank</c>; settlement checks Bakong's receiver against it.</summary>
    public string BakongAccountId { get; set; } = "";

    /// <summary><c>individual</c> (tag 29) or <c>merchant</c> (tag 30); empty: merchant when <see cref="MerchantId"/> is set.</summary>
    public string? Type { get; set; }

    /// <summary>A merchant QR's merchant id (tag 30 sub-tag 01).</summary>
    public string? MerchantId { get; set; }

    /// <summary>Required for a merchant QR, optional for an individual one.</summary>
    public string? AcquiringBank { get; set; }

    /// <summary>Individual QR only: phone or account number (tag 29 sub-tag 01).</summary>
    public string? AccountInformation { get; set; }

    /// <summary>Tag 59.</summary>
    public string Name { get; set; } = "";

    /// <summary>Tag 60.</summary>
    public string City { get; set; } = "Phnom Penh";

    /// <summary>Tag 64 sub-tag 01 (with language preference <c>km</c>): the name Khmer banking apps show.</summary>
    public string? NameKhmer { get; set; }

    /// <summary>Tag 64 sub-tag 02.</summary>
    public string? CityKhmer { get; set; }

    /// <summary>Tag 52, up to four digits.</summary>
    public string CategoryCode { get; set; } = "5999";

    /// <summary>Tag 62 sub-tag 02.</summary>
    public string? MobileNumber { get; set; }

    /// <summary>Tag 62 sub-tag 03, unless the request names its own store label.</summary>
    public string? StoreLabel { get; set; }

    /// <summary>The currency a request means when it names none: <c>KHR</c> or <c>USD</c>.</summary>
    public string DefaultCurrency { get; set; } = "KHR";

    /// <summary>The language of this profile's display and kiosk screens: <c>en</c> or <c>km</c> (<see cref="Khmer"/>).</summary>
    public string Language { get; set; } = "en";

    /// <summary>The <see cref="Language"/> value for Khmer.</summary>
    public const string Khmer = "km";

    /// <summary>Tag 15, the UnionPay merchant account; put in riel QRs only (the SDK refuses it with USD).</summary>
    public string? UpiAccount { get; set; }

    /// <summary>The terminal ids this profile serves; empty: every terminal no other profile lists (at most one such profile).</summary>
    public List<string> Terminals { get; } = [];

    /// <summary>Where this profile was configured (<c>Merchants:1</c> or <c>Merchant</c>): errors name its keys from here.</summary>
    public string ConfigurationKey { get; internal set; } = MerchantProfiles.LegacySection;

    /// <summary>
    /// The shop's name on a customer's screen (display, kiosk) in <paramref name="language"/>: <see cref="NameKhmer"/>
    /// for <c>km</c> when it is set, else <see cref="Name"/>.
    /// </summary>
    public string NameIn(string language) => language == Khmer && !string.IsNullOrEmpty(NameKhmer) ? NameKhmer : Name;

    public bool IsMerchantQr => string.IsNullOrEmpty(Type)
        ? !string.IsNullOrEmpty(MerchantId)
        : string.Equals(Type, "merchant", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The profile's part of a payment's KHQR, in <paramref name="currency"/>: the one place a profile becomes tags, for
    /// creation and for the check at start alike. The payment adds amount, bill number, labels, purpose and expiry.
    /// </summary>
    public KhqrRequest KhqrTemplate(KhqrCurrency currency) => new()
    {
        Type = IsMerchantQr ? KhqrMerchantType.Merchant : KhqrMerchantType.Individual,
        BakongAccountId = BakongAccountId,
        MerchantName = Name,
        MerchantCity = City,
        MerchantId = IsMerchantQr ? MerchantId : null,
        AcquiringBank = AcquiringBank,
        AccountInformation = IsMerchantQr ? null : AccountInformation,
        MerchantCategoryCode = CategoryCode,
        Currency = currency,
        MobileNumber = MobileNumber,
        StoreLabel = StoreLabel,
        LanguagePreference = string.IsNullOrEmpty(NameKhmer) ? null : "km",
        MerchantNameAlternateLanguage = NameKhmer,
        MerchantCityAlternateLanguage = CityKhmer,

        // A UnionPay account is riel only (SDK error 44): a dollar payment of the same profile leaves it out.
        UpiMerchantAccount = currency == KhqrCurrency.Khr ? UpiAccount : null,
    };
}

/// <summary>
/// <c>Merchants</c> — the gateway's merchant profiles, and which one serves a terminal. The single <c>Merchant</c>
/// section of earlier versions is read as one profile (id <c>default</c>) when <c>Merchants</c> is not set; once it is,
/// <c>Merchant</c> (appsettings.json's demo shop) is ignored.
/// </summary>
public sealed class MerchantProfiles
{
    public const string Section = "Merchants";

    public const string LegacySection = "Merchant";

    private FrozenDictionary<string, MerchantProfile>? _byTerminal;

    public List<MerchantProfile> Profiles { get; } = [];

    /// <summary>The profile with no terminal list: it serves every terminal the others do not list. Null when none.</summary>
    public MerchantProfile? Default => Profiles.FirstOrDefault(p => p.Terminals.Count == 0);

    /// <summary>The profile that serves <paramref name="terminalId"/>: the one that lists it, else the <see cref="Default"/>.</summary>
    public MerchantProfile? ForTerminal(string terminalId)
    {
        ArgumentNullException.ThrowIfNull(terminalId);
        _byTerminal ??= Profiles
            .SelectMany(p => p.Terminals.Select(t => (Terminal: t, Profile: p)))
            .DistinctBy(x => x.Terminal, StringComparer.Ordinal)
            .ToFrozenDictionary(x => x.Terminal, x => x.Profile, StringComparer.Ordinal);
        return _byTerminal.TryGetValue(terminalId, out var profile) ? profile : Default;
    }

    /// <summary>The profile named <paramref name="id"/>, or null.</summary>
    public MerchantProfile? Find(string? id) => Profiles.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.Ordinal));

    /// <summary>
    /// Whether <paramref name="accountId"/> is one of our receiving accounts (any profile's, compared as
    /// <see cref="Payment.MismatchOf"/> compares a receiver): the one answer to "was this paid to us".
    /// </summary>
    public bool IsOurAccount(string? accountId) =>
        !string.IsNullOrEmpty(accountId)
        && Profiles.Any(p => string.Equals(p.BakongAccountId.Trim(), accountId.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Every profile's receiving account, each once.</summary>
    public IReadOnlyList<string> Accounts =>
        [.. Profiles.Select(p => p.BakongAccountId.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>Reads <c>Merchants</c> from <paramref name="root"/>, or the single <c>Merchant</c> section when it is empty.</summary>
    public static void Load(MerchantProfiles profiles, IConfiguration root)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(root);
        profiles.Profiles.Clear();
        profiles._byTerminal = null;
        var list = root.GetSection(Section).GetChildren().ToList();
        if (list.Count == 0)
        {
            var single = new MerchantProfile { Id = Payment.DefaultMerchantProfileId, ConfigurationKey = LegacySection };
            root.GetSection(LegacySection).Bind(single);
            profiles.Profiles.Add(single);
            return;
        }

        foreach (var section in list)
        {
            var profile = new MerchantProfile { ConfigurationKey = Section + ":" + section.Key };
            section.Bind(profile);
            profiles.Profiles.Add(profile);
        }
    }
}
