#!/usr/bin/env node
// Generates ../../../Bakong.Payments.Tests/Profiles/sdk-1.0.20-profiles.jsonl: what the official JavaScript SDK
// bakong-khqr 1.0.20 (pinned in package.json / package-lock.json) generates for the payments of a gateway with two
// merchant profiles (one individual, one merchant account) serving four terminals. The payments tests create the same
// payments with the gateway's PaymentCreation and compare the QR and md5 byte for byte.
//
// The mapping from a profile and a request to the SDK's input is written out here on its own, as the gateway documents
// it (docs/khqr.md), not taken from the C# code: the profile's store label unless the request names one, tag 64 with
// language preference "km" when the profile has a Khmer name, the UnionPay account in riel QRs only.
//
// Deterministic: fixed cases, a fixed clock per case (Date.now is replaced while the SDK runs).
//
// Usage: node generate-profile-vectors.cjs [--out <file>]
"use strict";

const fs = require("fs");
const path = require("path");
const sdkPkg = require("bakong-khqr/package.json");
const { BakongKHQR, IndividualInfo, MerchantInfo } = require("bakong-khqr");
if (sdkPkg.version !== "1.0.20") throw new Error("expected bakong-khqr 1.0.20, found " + sdkPkg.version);

// The two profiles, as Merchants:N of the gateway's configuration.
const profiles = {
    market: {
        Id: "market",
        Type: "individual",
        BakongAccountId: "sokha_market@aclb",
        AccountInformation: "012345678",
        AcquiringBank: "ACLEDA Bank",
        Name: "Sokha Market",
        City: "Siem Reap",
        NameKhmer: "ផ្សារសុខា",
        CityKhmer: "សៀមរាប",
        CategoryCode: "5411",
        MobileNumber: "85512345678",
        StoreLabel: "Stall 12",
        DefaultCurrency: "KHR",
        Language: "km",
        UpiAccount: "3954000000012345",
        Terminals: ["POS-A1", "POS-A2"],
    },
    cafe: {
        Id: "cafe",
        Type: "merchant",
        BakongAccountId: "riverside_cafe@abaa",
        MerchantId: "RC-0001",
        AcquiringBank: "ABA Bank",
        Name: "Riverside Cafe",
        City: "Phnom Penh",
        NameKhmer: "កាហ្វេមាត់ទន្លេ",
        CategoryCode: "5814",
        StoreLabel: "Riverside",
        DefaultCurrency: "USD",
        Language: "en",
        Terminals: ["POS-B1", "POS-B2"],
    },
};

// One payment per terminal, and a dollar payment of the individual profile (no UnionPay account in it). Amounts in
// major units; currency empty means the profile's default.
const BASE_NOW = 1767225600000; // 2026-01-01T00:00:00Z
const EXPIRES_IN_MS = 300000;
const cases = [
    { terminal: "POS-A1", currency: "", amount: "15000", billNumber: "INV-A1-0001", terminalLabel: "Counter 1", purposeOfTransaction: "Groceries" },
    { terminal: "POS-A2", currency: "USD", amount: "3.75", billNumber: "INV-A2-0002", storeLabel: "Stall 12 East" },
    { terminal: "POS-B1", currency: "", amount: "4.50", billNumber: "B1/2026/001", terminalLabel: "Bar", purposeOfTransaction: "Coffee" },
    { terminal: "POS-B2", currency: "KHR", amount: "20000", billNumber: "B2-77", purposeOfTransaction: "Lunch set" },
];

function profileOf(terminal) {
    for (const p of Object.values(profiles)) if (p.Terminals.includes(terminal)) return p;
    throw new Error("no profile serves " + terminal);
}

function sdkInputOf(profile, c, now) {
    const currency = c.currency || profile.DefaultCurrency;
    const input = {
        type: profile.Type,
        bakongAccountID: profile.BakongAccountId,
        merchantName: profile.Name,
        merchantCity: profile.City,
    };
    if (profile.Type === "merchant") input.merchantID = profile.MerchantId;
    if (profile.AcquiringBank) input.acquiringBank = profile.AcquiringBank;
    if (profile.Type === "individual" && profile.AccountInformation) input.accountInformation = profile.AccountInformation;
    input.currency = currency === "KHR" ? 116 : 840;
    input.amount = Number(c.amount);
    input.billNumber = c.billNumber;
    if (profile.MobileNumber) input.mobileNumber = profile.MobileNumber;
    const storeLabel = c.storeLabel || profile.StoreLabel;
    if (storeLabel) input.storeLabel = storeLabel;
    if (c.terminalLabel) input.terminalLabel = c.terminalLabel;
    if (c.purposeOfTransaction) input.purposeOfTransaction = c.purposeOfTransaction;
    if (profile.NameKhmer) {
        input.languagePreference = "km";
        input.merchantNameAlternateLanguage = profile.NameKhmer;
    }
    if (profile.CityKhmer) input.merchantCityAlternateLanguage = profile.CityKhmer;
    if (profile.UpiAccount && currency === "KHR") input.upiMerchantAccount = profile.UpiAccount;
    input.expirationTimestamp = now + EXPIRES_IN_MS;
    input.merchantCategoryCode = profile.CategoryCode;
    return input;
}

function callGenerate(sdkInput) {
    const { type, bakongAccountID, merchantName, merchantCity, merchantID, acquiringBank, ...rest } = sdkInput;
    if (type === "merchant") {
        return new BakongKHQR().generateMerchant(new MerchantInfo(bakongAccountID, merchantName, merchantCity, merchantID, acquiringBank, rest));
    }
    const optional = { ...rest };
    if (acquiringBank !== undefined) optional.acquiringBank = acquiringBank;
    return new BakongKHQR().generateIndividual(new IndividualInfo(bakongAccountID, merchantName, merchantCity, optional));
}

const realDateNow = Date.now;
const lines = [];
cases.forEach((c, i) => {
    const now = BASE_NOW + (i + 1) * 60000;
    const profile = profileOf(c.terminal);
    const input = sdkInputOf(profile, c, now);
    Date.now = () => now;
    let r;
    try {
        r = callGenerate(input);
    } finally {
        Date.now = realDateNow;
    }
    if (r.status.code !== 0 || typeof r.data.qr !== "string") throw new Error("SDK refused case " + (i + 1) + ": " + JSON.stringify(r.status));
    const request = { terminalId: c.terminal, currency: c.currency, amount: c.amount, billNumber: c.billNumber, expiresInMs: EXPIRES_IN_MS };
    for (const k of ["storeLabel", "terminalLabel", "purposeOfTransaction"]) if (c[k]) request[k] = c[k];
    lines.push({ id: "profile-" + (i + 1), now, profile: profile.Id, request, input, sdk: { qr: r.data.qr, md5: r.data.md5 } });
});

const outArg = process.argv.indexOf("--out");
const out = outArg > 0 ? process.argv[outArg + 1] : path.join(__dirname, "../../../Bakong.Payments.Tests/Profiles/sdk-1.0.20-profiles.jsonl");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ profiles: Object.values(profiles) }) + "\n" + lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
console.log("wrote " + lines.length + " cases to " + out);
