#!/usr/bin/env node
// Generates ../sdk-1.0.20.jsonl: KHQR compatibility vectors recorded from the official
// JavaScript SDK bakong-khqr 1.0.20 (pinned in package.json / package-lock.json).
//
// Deterministic: seeded PRNG (no Math.random), a fixed clock per case (Date.now is replaced
// while the SDK runs), no dependence on the wall clock. Run it twice and diff: identical.
//
// Usage: node generate-vectors.cjs [--out <file>]
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

// ---------------------------------------------------------------------------------------------
// Hang guard. The SDK's sub-TLV loops (`while (value) { cutString(value) ... }` in
// controller/decodeKHQR.js and controller/decodeValidation.js) never terminate on some malformed
// length fields (parseInt gives NaN, or a negative number, so the remaining string never
// shrinks). Replace the cutString module in require.cache -- BEFORE the SDK is required -- with a
// wrapper that counts calls and throws a sentinel after CUT_LIMIT calls within one operation.
// ---------------------------------------------------------------------------------------------
const CUT_LIMIT = 100000;
const cutStringPath = require.resolve("bakong-khqr/src/helper/cutString.js");
const originalCutString = require(cutStringPath);
class HangSentinel extends Error {
    constructor() {
        super("cutString called more than " + CUT_LIMIT + " times: SDK loop does not terminate");
        this.name = "HangSentinel";
    }
}
let cutCalls = 0;
let hangFired = false;
function guardedCutString(s) {
    if (++cutCalls > CUT_LIMIT) {
        hangFired = true;
        throw new HangSentinel();
    }
    return originalCutString(s);
}
require.cache[cutStringPath].exports = guardedCutString;

const sdkPkg = require("bakong-khqr/package.json");
const { BakongKHQR, IndividualInfo, MerchantInfo } = require("bakong-khqr");
const crc16 = require("bakong-khqr/src/helper/crc16.js");
// the SDK's controllers must have picked up the wrapper from the cache
if (require.cache[cutStringPath].exports !== guardedCutString || !require.cache[require.resolve("bakong-khqr/src/controller/decodeValidation.js")])
    throw new Error("cutString guard not installed");
if (sdkPkg.version !== "1.0.20") throw new Error("expected bakong-khqr 1.0.20, found " + sdkPkg.version);

const khqr = new BakongKHQR();

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32)
// ---------------------------------------------------------------------------------------------
function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const SEED = 0x4b485152; // "KHQR"
const rand = mulberry32(SEED);
const rng = {
    next: rand,
    int: (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)), // inclusive
    chance: (p) => rand() < p,
    pick: (arr) => arr[Math.floor(rand() * arr.length)],
};

// ---------------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------------
const BASE_NOW = 1767225600000; // 2026-01-01T00:00:00Z
let nowCounter = 0;
function nextNow() {
    // strictly increasing, ~1 minute apart, with a seeded sub-minute jitter
    nowCounter++;
    return BASE_NOW + nowCounter * 60000 + rng.int(0, 59999);
}
const realDateNow = Date.now;
function atClock(now, fn) {
    cutCalls = 0;
    hangFired = false;
    Date.now = () => now;
    try {
        return fn();
    } finally {
        Date.now = realDateNow;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers: TLV, CRC
// ---------------------------------------------------------------------------------------------
const withCrc = (body) => body + "6304" + crc16(body + "6304");
const bodyOf = (qr) => {
    if (!/6304[0-9A-F]{4}$/.test(qr)) throw new Error("not a CRC-terminated QR: " + qr);
    return qr.slice(0, -8);
};
const tlv = (tag, value) => tag + String(value.length).padStart(2, "0") + value;
// Parses a well-formed TLV string (JS string indices = UTF-16 code units, like the SDK).
function parseTlv(s) {
    const out = [];
    let i = 0;
    while (i < s.length) {
        const tag = s.substr(i, 2);
        const lenText = s.substr(i + 2, 2);
        if (!/^\d\d$/.test(lenText)) throw new Error("bad length at " + i + " in " + s);
        const len = Number(lenText);
        if (i + 4 + len > s.length) throw new Error("overrun at " + i + " in " + s);
        out.push({ tag, len, value: s.substr(i + 4, len), start: i });
        i += 4 + len;
    }
    return out;
}
const TEMPLATE_TAGS = new Set(["29", "30", "62", "64", "99"]);
// All length fields of a well-formed QR body: [{ pos (index of the 2 length chars), tag, sub }]
function lengthFields(body) {
    const res = [];
    for (const t of parseTlv(body)) {
        res.push({ pos: t.start + 2, tag: t.tag, sub: null });
        if (TEMPLATE_TAGS.has(t.tag))
            for (const s of parseTlv(t.value)) res.push({ pos: t.start + 4 + s.start + 2, tag: t.tag, sub: s.tag });
    }
    return res;
}
function replaceTag(body, tag, newTlv /* "" removes */) {
    const t = parseTlv(body).find((x) => x.tag === tag);
    if (!t) throw new Error("tag " + tag + " not in " + body);
    return body.slice(0, t.start) + newTlv + body.slice(t.start + 4 + t.len);
}
function insertBeforeTag(body, tag, text) {
    const t = parseTlv(body).find((x) => x.tag === tag);
    if (!t) throw new Error("tag " + tag + " not in " + body);
    return body.slice(0, t.start) + text + body.slice(t.start);
}
const md5hex = (s) => crypto.createHash("md5").update(s, "utf8").digest("hex");

// ---------------------------------------------------------------------------------------------
// Output collection
// ---------------------------------------------------------------------------------------------
const lines = { generate: [], verify: [], decode: [] };
const idCounters = new Map();
function nextId(op, kind) {
    const key = op + "-" + kind;
    const n = (idCounters.get(key) || 0) + 1;
    idCounters.set(key, n);
    return key + "-" + n;
}
const stats = {
    hangs: { verify: 0, decode: 0 },
    sdkEmitsInvalid: 0,
    b3: 0,
    exponent: 0,
    surprises: [],
};

// Raw JSON number literals (to keep e.g. 100.0 / 1.50 as written, which JSON.stringify cannot).
class RawNum {
    constructor(text) {
        if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) throw new Error("not a JSON number: " + text);
        this.text = text;
        this.value = Number(text);
    }
}
const raw = (t) => new RawNum(t);
const RAW_TOKEN = "\u0001RAWNUM\u0001";

const INPUT_KEYS = [
    "type", "bakongAccountID", "merchantName", "merchantCity", "merchantID", "acquiringBank",
    "accountInformation", "currency", "amount", "billNumber", "mobileNumber", "storeLabel",
    "terminalLabel", "purposeOfTransaction", "languagePreference", "merchantNameAlternateLanguage",
    "merchantCityAlternateLanguage", "upiMerchantAccount", "expirationTimestamp", "merchantCategoryCode",
];
const DECODE_KEYS = [
    "merchantType", "bakongAccountID", "accountInformation", "merchantID", "acquiringBank", "billNumber",
    "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction", "languagePreference",
    "merchantNameAlternateLanguage", "merchantCityAlternateLanguage", "creationTimestamp",
    "expirationTimestamp", "payloadFormatIndicator", "pointofInitiationMethod", "unionPayMerchant",
    "merchantCategoryCode", "transactionCurrency", "transactionAmount", "countryCode", "merchantName",
    "merchantCity", "crc",
];

function serialize(obj) {
    const text = JSON.stringify(obj, (k, v) => (v instanceof RawNum ? RAW_TOKEN + v.text : v));
    return text.replace(/"\\u0001RAWNUM\\u0001([^"]*)"/g, "$1");
}
function emit(op, kind, now, input, sdk, expect, note) {
    const line = { id: nextId(op, kind), op, kind, now, input, sdk, expect };
    if (note) line.note = note;
    lines[op].push(line);
    return line;
}

// ---------------------------------------------------------------------------------------------
// SDK calls
// ---------------------------------------------------------------------------------------------
function callGenerate(sdkInput) {
    const { type, bakongAccountID, merchantName, merchantCity, merchantID, acquiringBank, ...rest } = sdkInput;
    if (type === "merchant") {
        const info = new MerchantInfo(bakongAccountID, merchantName, merchantCity, merchantID, acquiringBank, rest);
        return khqr.generateMerchant(info);
    }
    if (type !== "individual") throw new Error("bad type " + type);
    if (merchantID !== undefined) throw new Error("merchantID given for individual");
    const optional = { ...rest };
    if (acquiringBank !== undefined) optional.acquiringBank = acquiringBank;
    const info = new IndividualInfo(bakongAccountID, merchantName, merchantCity, optional);
    return khqr.generateIndividual(info);
}

function runVerify(qr, now) {
    const r = atClock(now, () => BakongKHQR.verify(qr));
    // verify's own try/catch swallows the sentinel and returns false: trust the flag, not the result
    if (hangFired) return { hang: true };
    if (typeof r.isValid !== "boolean") throw new Error("verify returned " + JSON.stringify(r));
    return { valid: r.isValid };
}

function runDecode(qr, now) {
    let r;
    try {
        r = atClock(now, () => BakongKHQR.decode(qr));
    } catch (e) {
        if (e instanceof HangSentinel) return { hang: true };
        throw new Error("decode threw for " + JSON.stringify(qr) + ": " + e.stack);
    }
    if (hangFired) return { hang: true };
    if (r.status.code !== 0) throw new Error("decode returned an error for " + JSON.stringify(qr));
    const out = {};
    for (const k of DECODE_KEYS) {
        if (Object.prototype.hasOwnProperty.call(r.data, k)) {
            const v = r.data[k];
            if (v !== null && typeof v !== "string") throw new Error("decode key " + k + " is " + typeof v);
            out[k] = v;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Generate cases
// ---------------------------------------------------------------------------------------------
const validPool = []; // { qr, now, kind, input, dynamic, exp }
const seenGenerated = new Set();

function normalizeInput(inp) {
    const out = {};
    for (const k of INPUT_KEYS) if (inp[k] !== undefined) out[k] = inp[k];
    for (const k of Object.keys(inp)) if (!INPUT_KEYS.includes(k)) throw new Error("unknown input key " + k);
    return out;
}

// Templates the SDK wrote with a 3-digit length (value over 99 chars; SDK bug B5). Parse the body
// preferring 2-digit lengths and fall back to 3 digits for template tags only when needed.
function overLongTemplates(qr) {
    const body = bodyOf(qr);
    function parseFrom(i) {
        if (i === body.length) return [];
        const tag = body.substr(i, 2);
        const two = body.substr(i + 2, 2);
        if (/^\d\d$/.test(two) && i + 4 + Number(two) <= body.length) {
            const rest = parseFrom(i + 4 + Number(two));
            if (rest) return rest;
        }
        const three = body.substr(i + 2, 3);
        if (TEMPLATE_TAGS.has(tag) && /^\d{3}$/.test(three) && i + 5 + Number(three) <= body.length) {
            const rest = parseFrom(i + 5 + Number(three));
            if (rest) return ["tag " + tag + " template length " + Number(three) + " > 99 (SDK writes a 3-digit length)", ...rest];
        }
        return null;
    }
    const r = parseFrom(0);
    if (r === null) throw new Error("cannot parse SDK output " + qr);
    return r;
}

/**
 * gen(kind, build, opts)
 *   build: input object or (now) => input object (SDK field names, values as a user passes them;
 *          amount may be raw("1.50") to keep the literal in the JSON file)
 *   opts.sdkInput: (input) => input actually passed to the SDK (aliases)
 *   opts.note: note text
 *   opts.invalidReason: expected explanation when the SDK emits a QR its own verify rejects
 *   opts.now: force a clock value
 */
function gen(kind, build, opts = {}) {
    const now = opts.now ?? nextNow();
    const input = normalizeInput(typeof build === "function" ? build(now) : build);
    let sdkInput = { ...input };
    if (sdkInput.amount instanceof RawNum) sdkInput.amount = sdkInput.amount.value;
    if (opts.sdkInput) sdkInput = opts.sdkInput(sdkInput);
    const r = atClock(now, () => callGenerate(sdkInput));
    if (hangFired) throw new Error("generate hung?");
    let sdk, expect, note = opts.note || null;

    if (r.status.code === 1) {
        sdk = { error: { code: r.status.errorCode, message: r.status.message } };
        expect = { error: { code: r.status.errorCode } };
        if (r.data !== null) throw new Error("error with data");
    } else if (typeof r.data.qr !== "string") {
        // SDK bug B3: a TypeError is returned as data.qr with status code 0
        const q = r.data.qr;
        const what = q instanceof Error ? q.name + ": " + q.message : typeof q;
        sdk = { bug: "status code 0 but data.qr is not a string (" + what + "); data.md5 = md5 of it" };
        const isB3 = input.merchantNameAlternateLanguage !== undefined && input.merchantNameAlternateLanguage !== "" &&
            (input.languagePreference === undefined || input.languagePreference === "") &&
            q instanceof TypeError;
        if (!isB3) throw new Error("ODDITY: non-string qr not explained by B3: " + JSON.stringify(input) + " " + what);
        expect = { error: { code: 37 } };
        note = "sdk-bug-B3: merchantNameAlternateLanguage without languagePreference" + (note ? "; " + note : "");
        stats.b3++;
    } else {
        const qr = r.data.qr;
        if (r.data.md5 !== md5hex(qr)) throw new Error("md5 mismatch");
        sdk = { qr, md5: r.data.md5 };
        const v = runVerify(qr, now);
        const amountText = sdkInput.amount === undefined ? "" : String(sdkInput.amount);
        const tlvs = (() => { try { return parseTlv(bodyOf(qr)); } catch (e) { return null; } })();
        const tag54 = tlvs && tlvs.find((t) => t.tag === "54");
        const exponentEmitted = /e/i.test(amountText) && (tag54 ? /e/i.test(tag54.value) : qr.includes(amountText));
        if (exponentEmitted) {
            expect = { error: { code: 4 } };
            note = "deviation: exponent amount (SDK emits String(" + amountText + ") = '" + amountText +
                "' verbatim in tag 54; its verify says " + JSON.stringify(v) + ")" + (note ? "; " + note : "");
            stats.exponent++;
        } else if (v.valid === true) {
            const over = overLongTemplates(qr);
            if (over.length) throw new Error("ODDITY: SDK verify accepts QR with over-long template: " + qr + " " + over);
            expect = { qr, md5: r.data.md5 };
            if (!seenGenerated.has(qr)) {
                seenGenerated.add(qr);
                validPool.push({ qr, now, kind, input, dynamic: tag54 !== undefined, exp: sdkInput.expirationTimestamp });
            }
        } else {
            // not valid (or hang) under the SDK's own verify
            let reasons = overLongTemplates(qr);
            if (!reasons.length && opts.invalidReason) reasons = [opts.invalidReason];
            if (!reasons.length)
                throw new Error("ODDITY: SDK emitted a QR its verify rejects, unexplained: " + JSON.stringify(input) + " -> " + qr);
            // Code 8 (KHQR invalid) unless the case names a more precise code for the field at fault.
            expect = { error: { code: opts.expectCode ?? 8 } };
            note = "sdk-emits-invalid: " + reasons.join("; ") + "; SDK verify -> " + JSON.stringify(v) + (note ? "; " + note : "");
            stats.sdkEmitsInvalid++;
            invalidEmitted.push({ qr, now });
        }
    }
    return emit("generate", kind, now, input, sdk, expect, note);
}
const invalidEmitted = [];

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------
const KH_WORDS = ["ភ្នំពេញ", "សៀមរាប", "ចន", "ស្មីន", "កាហ្វេ", "ហាង", "បាត់ដំបង", "កំពត", "សុខា", "តាកែវ", "ផ្សារ", "ធនាគារ", "អាហារ", "ព្រះសីហនុ"];
const KH_NAME = "ចន ស្មីន"; // 8
const KH_CITY = "សៀមរាប"; // 6
const KH_PP = "ភ្នំពេញ"; // 7
function khmerOfLength(n, offset = 0) {
    // Khmer text of exactly n UTF-16 code units (all BMP), words separated by spaces
    let s = "";
    let i = offset;
    while (s.length < n + 10) s += KH_WORDS[i++ % KH_WORDS.length] + " ";
    s = s.slice(0, n);
    if (s.endsWith(" ")) s = s.slice(0, -1) + "ក";
    if (s.length !== n) throw new Error("khmerOfLength");
    return s;
}
function asciiOfLength(n, prefix = "X") {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let s = prefix;
    let i = 0;
    while (s.length < n) s += alphabet[i++ % alphabet.length];
    return s.slice(0, n);
}
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
function randAscii(min, max, alphabet = PRINTABLE) {
    const n = rng.int(min, max);
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
    // no leading/trailing blanks in "plain" random text
    s = s.replace(/^ /, "A").replace(/ $/, "z");
    return s;
}
function randKhmer(min, max) {
    const n = rng.int(min, max);
    let s = "";
    while (s.length < n) {
        if (rng.chance(0.6)) s += rng.pick(KH_WORDS) + (rng.chance(0.3) ? " " : "");
        else s += String.fromCharCode(rng.int(0x1780, 0x17dd));
    }
    s = s.slice(0, n);
    s = s.replace(/^ /, "ក").replace(/ $/, "ក");
    return s;
}
const randText = (min, max, khmerP = 0.3) => (rng.chance(khmerP) ? randKhmer(min, max) : randAscii(min, max));
function randAccount(maxLen = 32) {
    const domain = rng.pick(["aclb", "abaa", "wing", "devb", "nbcq", "ppcb", "cadi", "aba", "bkrt"]);
    const localMax = Math.max(1, maxLen - domain.length - 1);
    const local = randAscii(1, Math.min(localMax, 20), "abcdefghijklmnopqrstuvwxyz0123456789_.");
    return local + "@" + domain;
}

// ---------------------------------------------------------------------------------------------
// Base inputs
// ---------------------------------------------------------------------------------------------
const IND = { type: "individual", bakongAccountID: "sokha_chan@aclb", merchantName: "Sokha Chan", merchantCity: "Phnom Penh" };
const MER = {
    type: "merchant", bakongAccountID: "kiosk_shop@aclb", merchantName: "Sokha Coffee", merchantCity: "Phnom Penh",
    merchantID: "1234567890", acquiringBank: "ACLEDA Bank",
};
const BASES = [["ind", IND], ["mer", MER]];
const CURRENCIES = [116, 840];
const exp5 = (now) => now + 5 * 60 * 1000;
// dynamic: amount + expiration 5 minutes after now
const dyn = (base, currency, amount, extra = {}) => (now) => ({ ...base, currency, amount, expirationTimestamp: exp5(now), ...extra });
const stat = (base, currency, extra = {}) => ({ ...base, currency, ...extra });

// ===== the known samples re-generated (their md5 must match) =====
{
    const a = gen("known", { type: "individual", bakongAccountID: "jonhsmith@nbcq", merchantName: "Jonh Smith", merchantCity: "Siam Reap",
        currency: 116, languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: KH_CITY });
    const b = gen("known", { type: "merchant", bakongAccountID: "jonhsmith@devb", merchantName: "Jonh Smith", merchantCity: "Phnom Penh",
        merchantID: "123456", acquiringBank: "Dev Bank", currency: 840, billNumber: "INV-2021-07-65822", mobileNumber: "85512345678",
        storeLabel: "BKK-1", terminalLabel: "012345", purposeOfTransaction: "Testing" });
    const c = gen("known", { type: "individual", bakongAccountID: "john_smith@devb", merchantName: "John Smith", merchantCity: "Phnom Penh",
        accountInformation: "85512233455", acquiringBank: "Dev Bank", currency: 116 });
    const d = gen("known", { type: "individual", bakongAccountID: "a@b", merchantName: KH_NAME, merchantCity: KH_PP, currency: 116 });
    const want = [
        [a, "95863987758c3bfb7fd45f729d45ea3e"], [b, "4ca485e938198aa93adb2f4ab654eef5"],
        [c, "784e2345e37f8966cbe0e28a96dab9f6"], [d, "59e52763d4b36bf447ede7a9ea3c1b40"],
    ];
    for (const [line, md5] of want) if (line.sdk.md5 !== md5) throw new Error("known vector mismatch " + line.id);
}

// ===== static / dynamic basics =====
for (const [bn, base] of BASES) {
    for (const cur of CURRENCIES) {
        gen("static", stat(base, cur));
        gen("static", stat(base, cur, { amount: 0 }));
        gen("static", stat(base, cur, { amount: 0, expirationTimestamp: 1767225900000 }), { note: "amount 0 is static; expiration ignored" });
        gen("static", stat(base, cur, { expirationTimestamp: 1767225900 }), { note: "static: expiration ignored (even an invalid one)" });
        for (const amt of cur === 116 ? [1, 500, 1000, 25000, 100000, 1234567] : [0.01, 1, 2.5, 10, 12.34, 99.99, 1000])
            gen("dynamic", dyn(base, cur, amt));
    }
    // currency omitted -> KHR default
    gen("static", { ...base });
    gen("dynamic", (now) => ({ ...base, amount: 5000, expirationTimestamp: exp5(now) }));
}

// ===== every optional field alone =====
const OPTIONAL_VALUES = {
    billNumber: ["INV-2026-000123", "1", KH_CITY],
    mobileNumber: ["85512345678", "+855 12 345 678"],
    storeLabel: ["Riverside", KH_PP],
    terminalLabel: ["POS-01", "ម៉ាស៊ីន១"],
    purposeOfTransaction: ["Coffee", "ទិញកាហ្វេ"],
    merchantCityAlternateLanguage: [KH_CITY, "Siem Reap"],
    upiMerchantAccount: ["0123456789012345", "62" + "1".repeat(29)],
    merchantCategoryCode: ["5812", "5999", "0742"],
};
for (const [bn, base] of BASES) {
    for (const [field, values] of Object.entries(OPTIONAL_VALUES)) {
        for (const v of values) {
            for (const cur of CURRENCIES) {
                if (field === "upiMerchantAccount" && cur === 840) continue;
                gen("optional-single", stat(base, cur, { [field]: v }));
                gen("optional-single", dyn(base, cur, cur === 116 ? 4000 : 1.25, { [field]: v }));
            }
        }
    }
    for (const cur of CURRENCIES) {
        // language pair
        gen("optional-single", stat(base, cur, { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME }));
        gen("optional-single", dyn(base, cur, cur === 116 ? 4000 : 1.25, { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME }));
    }
}
for (const cur of CURRENCIES) {
    gen("optional-single", stat(IND, cur, { accountInformation: "012345678" }));
    gen("optional-single", stat(IND, cur, { acquiringBank: "ACLEDA Bank" }));
    gen("optional-single", dyn(IND, cur, cur === 116 ? 4000 : 1.25, { accountInformation: "012345678" }));
    gen("optional-single", dyn(IND, cur, cur === 116 ? 4000 : 1.25, { acquiringBank: "ACLEDA Bank" }));
    gen("optional-single", stat(IND, cur, { accountInformation: "012345678", acquiringBank: "ACLEDA Bank" }));
}

// ===== combinations: all subsets of the tag-62 fields, language subsets, misc =====
const ADD_FIELDS = [["billNumber", "INV-77"], ["mobileNumber", "012345678"], ["storeLabel", "Store 3"], ["terminalLabel", "T-9"], ["purposeOfTransaction", "Lunch"]];
for (let mask = 1; mask < 32; mask++) {
    const extra = {};
    ADD_FIELDS.forEach(([k, v], i) => { if (mask & (1 << i)) extra[k] = v; });
    const [bn, base] = BASES[mask % 2];
    const cur = CURRENCIES[(mask >> 1) % 2];
    gen("optional-combo", stat(base, cur, extra));
    gen("optional-combo", dyn(BASES[(mask + 1) % 2][1], CURRENCIES[mask % 2], mask % 2 ? 15.5 : 20000, extra));
}
{
    const LANG = [
        { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME },
        { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: KH_CITY },
        { languagePreference: "zh", merchantNameAlternateLanguage: "咖啡店", merchantCityAlternateLanguage: "金边" },
        { languagePreference: "k", merchantNameAlternateLanguage: "x" },
        { merchantCityAlternateLanguage: KH_PP }, // city alone: no 00/01 subtags emitted, still valid
    ];
    for (const [bn, base] of BASES)
        for (const l of LANG)
            for (const cur of CURRENCIES) {
                gen("optional-combo", stat(base, cur, l), l.languagePreference ? {} : { note: "alternate city alone: tag 64 holds only subtag 02" });
                gen("optional-combo", dyn(base, cur, cur === 116 ? 700 : 0.7, { ...l, billNumber: "B1", storeLabel: "S1" }));
            }
    // everything at once (short values)
    for (const cur of CURRENCIES) {
        const all = { billNumber: "INV-1", mobileNumber: "012345678", storeLabel: "Store", terminalLabel: "T1", purposeOfTransaction: "Goods",
            languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: KH_CITY, merchantCategoryCode: "5812" };
        gen("optional-combo", stat(MER, cur, { ...all, ...(cur === 116 ? { upiMerchantAccount: "6212345678901234" } : {}) }));
        gen("optional-combo", dyn(MER, cur, cur === 116 ? 123400 : 123.4, all));
        gen("optional-combo", stat(IND, cur, { ...all, accountInformation: "012345678", acquiringBank: "ACLEDA Bank" }));
        gen("optional-combo", dyn(IND, cur, cur === 116 ? 123400 : 123.4, { ...all, accountInformation: "012345678", acquiringBank: "ACLEDA Bank",
            ...(cur === 116 ? { upiMerchantAccount: "6212345678901234" } : {}) }));
    }
}

// ===== empty strings for optional fields (dropped by the SDK's removeEmptyElement) =====
{
    const EMPTYABLE = ["accountInformation", "billNumber", "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction",
        "languagePreference", "merchantNameAlternateLanguage", "merchantCityAlternateLanguage", "upiMerchantAccount", "merchantCategoryCode"];
    for (const f of EMPTYABLE) {
        if (f !== "accountInformation") gen("empty-optional", stat(MER, 116, { [f]: "" }));
        gen("empty-optional", stat(IND, 840, { [f]: "" }));
        gen("empty-optional", dyn(IND, 116, 100, { [f]: "" }));
    }
    gen("empty-optional", stat(IND, 116, { acquiringBank: "" }));
    gen("empty-optional", stat(IND, 116, { currency: "" }), { note: "currency '' is dropped -> KHR default" });
    gen("empty-optional", stat(MER, 116, { billNumber: "", storeLabel: "S", terminalLabel: "" }));
    gen("empty-optional", stat(IND, 116, { languagePreference: "", merchantNameAlternateLanguage: "", merchantCityAlternateLanguage: "" }));
    gen("empty-optional", stat(IND, 116, { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: "" }));
    gen("empty-optional", (now) => ({ ...IND, currency: 116, amount: 100, expirationTimestamp: exp5(now), billNumber: "", mobileNumber: "",
        storeLabel: "", terminalLabel: "", purposeOfTransaction: "" }));
}

// ===== merchant city defaults =====
for (const [bn, base] of BASES) {
    for (const cur of CURRENCIES) {
        gen("city-default", stat(base, cur, { merchantCity: "" }), { note: "merchantCity '' -> 'Phnom Penh'" });
        gen("city-default", dyn(base, cur, cur === 116 ? 100 : 1, { merchantCity: "" }), { note: "merchantCity '' -> 'Phnom Penh'" });
        const noCity = { ...base };
        delete noCity.merchantCity;
        gen("city-default", stat(noCity, cur), { note: "merchantCity omitted -> 'Phnom Penh'" });
    }
}

// ===== length limits: max and max+1 =====
{
    const LIMITS = [
        // field, max, err, types, needs
        ["merchantName", 25, 7, ["ind", "mer"]],
        ["merchantCity", 15, 21, ["ind", "mer"]],
        ["billNumber", 25, 10, ["ind", "mer"]],
        ["mobileNumber", 25, 34, ["ind", "mer"]],
        ["storeLabel", 25, 11, ["ind", "mer"]],
        ["terminalLabel", 25, 12, ["ind", "mer"]],
        ["purposeOfTransaction", 25, 42, ["ind", "mer"]],
        ["merchantNameAlternateLanguage", 25, 40, ["ind", "mer"], { languagePreference: "km" }],
        ["merchantCityAlternateLanguage", 15, 41, ["ind", "mer"]],
        ["accountInformation", 32, 35, ["ind"]],
        ["merchantID", 32, 32, ["mer"]],
        ["acquiringBank", 32, 33, ["ind", "mer"]],
    ];
    for (const [field, max, err, types, extra = {}] of LIMITS) {
        for (const [bn, base] of BASES) {
            if (!types.includes(bn)) continue;
            for (const len of [max - 1, max, max + 1]) {
                const textual = [asciiOfLength(len, "L"), khmerOfLength(len, len)];
                for (const v of textual) {
                    gen(len > max ? "length-over" : "length-max", stat(base, 116, { ...extra, [field]: v }),
                        { note: len > max ? "max " + max + " + 1 -> " + err : undefined });
                    gen(len > max ? "length-over" : "length-max", dyn(base, 840, 9.99, { ...extra, [field]: v }));
                }
            }
            // digits only, at max+1 (individual and merchant)
            gen("length-over", stat(base, 840, { ...extra, [field]: "9".repeat(max + 1) }));
        }
    }
    // bakongAccountID
    for (const [bn, base] of BASES) {
        for (const len of [31, 32, 33, 40]) {
            const acct = asciiOfLength(len - 5, "a").toLowerCase() + "@aclb";
            gen(len > 32 ? "length-over" : "length-max", stat(base, 116, { bakongAccountID: acct }));
            gen(len > 32 ? "length-over" : "length-max", dyn(base, 840, 3, { bakongAccountID: acct }));
        }
        gen("length-over", stat(base, 116, { bakongAccountID: "a".repeat(33) }), { note: "33 chars without '@': length (6) is checked before '@' (3)" });
    }
    // languagePreference 2 / 3 / 1
    for (const [bn, base] of BASES) {
        for (const lp of ["km", "en", "k", "khm", "english"]) {
            gen(lp.length > 2 ? "length-over" : "length-max", stat(base, 116, { languagePreference: lp, merchantNameAlternateLanguage: KH_NAME }));
            gen(lp.length > 2 ? "length-over" : "length-max", dyn(base, 840, 2, { languagePreference: lp, merchantNameAlternateLanguage: "Alt" }));
        }
    }
    // upiMerchantAccount 98 / 99 / 100
    for (const [bn, base] of BASES) {
        for (const len of [98, 99, 100, 120]) {
            gen(len > 99 ? "length-over" : "length-max", stat(base, 116, { upiMerchantAccount: asciiOfLength(len, "6") }));
            gen(len > 99 ? "length-over" : "length-max", dyn(base, 116, 1000, { upiMerchantAccount: "6".repeat(len) }));
        }
    }
    // MCC 4 / 5
    for (const [bn, base] of BASES) {
        for (const m of ["1234", "12345", "00000", "123456"]) {
            gen(m.length > 4 ? "length-over" : "length-max", stat(base, 116, { merchantCategoryCode: m }));
            gen(m.length > 4 ? "length-over" : "length-max", dyn(base, 840, 5, { merchantCategoryCode: m }));
        }
    }
    // several fields at the max at once (staying within 99 per template)
    for (const cur of CURRENCIES) {
        gen("length-max", stat(IND, cur, { merchantName: asciiOfLength(25), merchantCity: asciiOfLength(15), languagePreference: "km",
            merchantNameAlternateLanguage: khmerOfLength(25), merchantCityAlternateLanguage: khmerOfLength(15, 3) }));
        gen("length-max", stat(MER, cur, { billNumber: asciiOfLength(25, "B"), mobileNumber: asciiOfLength(25, "M"), storeLabel: asciiOfLength(25, "S") }));
        gen("length-max", stat(IND, cur, { bakongAccountID: asciiOfLength(27, "a").toLowerCase() + "@aclb", accountInformation: asciiOfLength(32, "9") }));
        gen("length-max", stat(MER, cur, { bakongAccountID: asciiOfLength(27, "a").toLowerCase() + "@aclb", merchantID: asciiOfLength(32, "9"), acquiringBank: "AB" }));
        gen("length-max", stat(MER, cur, { bakongAccountID: "k@b", merchantID: asciiOfLength(32, "9"), acquiringBank: asciiOfLength(32, "A") }));
    }
}

// ===== templates over 99 characters (SDK bug B5): the SDK emits them, its verify rejects them =====
{
    const fives = { billNumber: asciiOfLength(25, "B"), mobileNumber: asciiOfLength(25, "M"), storeLabel: asciiOfLength(25, "S"),
        terminalLabel: asciiOfLength(25, "T"), purposeOfTransaction: asciiOfLength(25, "P") };
    for (const [bn, base] of BASES) {
        for (const cur of CURRENCIES) {
            gen("template-over-99", stat(base, cur, fives));
            gen("template-over-99", dyn(base, cur, cur === 116 ? 100 : 1, fives));
            gen("template-over-99", stat(base, cur, { billNumber: fives.billNumber, mobileNumber: fives.mobileNumber, storeLabel: fives.storeLabel,
                terminalLabel: "1234567" })); // 4+25+4+25+4+25+4+7 = 98 -> fine
            gen("template-over-99", stat(base, cur, { billNumber: fives.billNumber, mobileNumber: fives.mobileNumber, storeLabel: fives.storeLabel,
                terminalLabel: "12345678" })); // 99 -> fine
            gen("template-over-99", stat(base, cur, { billNumber: fives.billNumber, mobileNumber: fives.mobileNumber, storeLabel: fives.storeLabel,
                terminalLabel: "123456789" })); // 100 -> over
            gen("template-over-99", stat(base, cur, { billNumber: khmerOfLength(25), mobileNumber: khmerOfLength(25, 2), storeLabel: khmerOfLength(25, 4),
                terminalLabel: khmerOfLength(25, 6) }));
        }
    }
    // tag 29 / 30 over 99
    for (const cur of CURRENCIES) {
        const a32 = asciiOfLength(27, "a").toLowerCase() + "@aclb";
        gen("template-over-99", stat(IND, cur, { bakongAccountID: a32, accountInformation: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(32, "B") }));
        gen("template-over-99", stat(MER, cur, { bakongAccountID: a32, merchantID: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(32, "B") }));
        gen("template-over-99", dyn(MER, cur, cur === 116 ? 100 : 1, { bakongAccountID: a32, merchantID: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(32, "B") }));
        // exactly 99 / 100 for tag 30: 4+a + 4+m + 4+b
        gen("template-over-99", stat(MER, cur, { bakongAccountID: a32, merchantID: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(23, "B") })); // 99
        gen("template-over-99", stat(MER, cur, { bakongAccountID: a32, merchantID: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(24, "B") })); // 100
        gen("template-over-99", stat(IND, cur, { bakongAccountID: a32, accountInformation: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(23, "B") })); // 99
        gen("template-over-99", stat(IND, cur, { bakongAccountID: a32, accountInformation: asciiOfLength(32, "1"), acquiringBank: asciiOfLength(24, "B") })); // 100
    }
}

// ===== Khmer text =====
for (const [bn, base] of BASES) {
    for (const cur of CURRENCIES) {
        gen("khmer", stat(base, cur, { merchantName: KH_NAME, merchantCity: KH_PP }));
        gen("khmer", stat(base, cur, { merchantName: "ហាងកាហ្វេសុខា", merchantCity: KH_CITY, languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: KH_CITY }));
        gen("khmer", dyn(base, cur, cur === 116 ? 8000 : 2.75, { merchantName: KH_NAME, merchantCity: KH_PP, billNumber: "វិក្កយបត្រ១២៣", storeLabel: "ហាងទី១", terminalLabel: "ម៉ាស៊ីន២", purposeOfTransaction: "ទិញអាហារ" }));
        gen("khmer", stat(base, cur, { merchantName: khmerOfLength(25), merchantCity: khmerOfLength(15) }));
        gen("khmer", stat(base, cur, { merchantName: khmerOfLength(26) }));
        gen("khmer", stat(base, cur, { merchantCity: khmerOfLength(16) }));
        gen("khmer", stat(base, cur, { languagePreference: "km", merchantNameAlternateLanguage: khmerOfLength(25, 5), merchantCityAlternateLanguage: khmerOfLength(15, 7) }));
        gen("khmer", stat(base, cur, { languagePreference: "km", merchantNameAlternateLanguage: khmerOfLength(26, 5) }));
        gen("khmer", stat(base, cur, { languagePreference: "km", merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: khmerOfLength(16, 7) }));
        gen("khmer", stat(base, cur, { languagePreference: "ខ្ម", merchantNameAlternateLanguage: KH_NAME }), { note: "'ខ្ម' is 3 UTF-16 units" });
        gen("khmer", stat(base, cur, { languagePreference: "ខ្", merchantNameAlternateLanguage: KH_NAME }), { note: "'ខ្' is 2 UTF-16 units" });
        gen("khmer", stat(base, cur, { billNumber: khmerOfLength(25, 1), mobileNumber: "០១២៣៤៥៦៧៨" }));
        gen("khmer", stat(base, cur, { storeLabel: khmerOfLength(26, 1) }));
        gen("khmer", stat(base, cur, { terminalLabel: khmerOfLength(26, 2) }));
        gen("khmer", stat(base, cur, { purposeOfTransaction: khmerOfLength(26, 3) }));
        gen("khmer", stat(base, cur, { mobileNumber: khmerOfLength(26, 4) }));
        gen("khmer", stat(base, cur, { billNumber: khmerOfLength(26, 4) }));
    }
}
// emoji: astral characters count as 2 UTF-16 units
for (const [bn, base] of BASES) {
    gen("utf16", stat(base, 116, { merchantName: "☕".repeat(25) }), { note: "U+2615 is BMP: 25 units" });
    gen("utf16", stat(base, 116, { merchantName: "😀".repeat(12) + "a" }), { note: "12 emoji (24 units) + 1 = 25 UTF-16 units" });
    gen("utf16", stat(base, 116, { merchantName: "😀".repeat(13) }), { note: "13 emoji = 26 UTF-16 units > 25" });
    gen("utf16", stat(base, 840, { merchantCity: "🌴".repeat(7) + "x" }), { note: "15 UTF-16 units" });
    gen("utf16", stat(base, 840, { merchantCity: "🌴".repeat(8) }), { note: "16 UTF-16 units > 15" });
    gen("utf16", stat(base, 840, { storeLabel: "🏪 Riverside", terminalLabel: "😀".repeat(13) }), { note: "terminal label 26 UTF-16 units" });
    gen("utf16", dyn(base, 840, 4.5, { billNumber: "🧾".repeat(12) + "1" }));
    gen("utf16", stat(base, 116, { languagePreference: "km", merchantNameAlternateLanguage: "é".repeat(25), merchantCityAlternateLanguage: "ü".repeat(15) }));
    gen("utf16", stat(base, 116, { merchantName: "Café Crème", merchantCity: "Siĕm Réab" }));
}

// ===== amounts =====
{
    const khr = [
        [1], [100], [raw("100.0")], [raw("1.0")], [1000000], [9999999999], [9999999999999], [1234567890123], [12345678901234],
        [100.5], [0.5], [-100], [-1], [raw("-0.5")], [1e15], [1e20], [1e21, "exponent"], [1.5e21, "exponent"], [1e25, "exponent"], [0.000001],
    ];
    const usd = [
        [0.01], [0.1], [1], [1.5], [raw("1.50")], [raw("1.0")], [raw("100.10")], [12.3], [12.345], [0.001], [0.30000000000000004],
        [1234567890.12], [9999999999.99], [1234567890123], [12345678901.12], [99999999999.9], [12345678901234], [-1.5], [-1], [-0.01],
        [1e21, "exponent"], [1e22, "exponent"], [1.5e21], [5e-7], [1e-7], [0.05], [100], [raw("2.50")], [raw("0.10")],
    ];
    for (const [bn, base] of BASES) {
        for (const [cur, list] of [[116, khr], [840, usd]]) {
            for (const [amt] of list) {
                gen(cur === 116 ? "amount-khr" : "amount-usd", (now) => ({ ...base, currency: cur, amount: amt, expirationTimestamp: exp5(now) }));
            }
        }
        gen("amount-zero", stat(base, 116, { amount: 0 }));
        gen("amount-zero", stat(base, 840, { amount: 0 }));
        gen("amount-zero", stat(base, 840, { amount: raw("0.0") }));
        gen("amount-zero", stat(base, 840, { amount: raw("0.00") }));
        gen("amount-zero", stat(base, 116, { amount: raw("-0") }), { note: "-0 == 0 -> static" });
    }
}

// ===== currency variants =====
{
    const numeric = [116, 840, 978, 0, 1160, 84, 36, 8400];
    const numericStr = ["116", "840", "1160", "978", "84", "0", "0116", "8400", "116.0", "11"];
    let i = 0;
    for (const c of numeric) {
        for (const [bn, base] of BASES) {
            gen("currency", stat(base, c), c === 0 ? { note: "currency 0 is dropped by removeEmptyElement (0 == '') -> KHR default" } : {});
            gen("currency", dyn(base, c, 100), c === 0 ? { note: "currency 0 is dropped by removeEmptyElement (0 == '') -> KHR default" } : {});
        }
    }
    for (const c of numericStr) {
        const base = BASES[i++ % 2][1];
        gen("currency-string", stat(base, c));
        gen("currency-string", dyn(BASES[i % 2][1], c, c.startsWith("84") ? 1.5 : 100));
    }
    gen("currency-string", stat(IND, "840", { upiMerchantAccount: "62123456" }), { note: "'840' == 840 -> UPI+USD (44)" });
    gen("currency-string", stat(IND, "116", { upiMerchantAccount: "62123456" }));
    // 116.5: parseInt -> 116 passes; emitted verbatim as '5305116.5'
    gen("currency", stat(IND, 116.5), { invalidReason: "tag 53 value '116.5' (length 5 > 3): SDK checks parseInt(value) only (SDK bug B6); we answer 28 (unsupported currency)", expectCode: 28 });
    gen("currency", stat(MER, 840.25), { invalidReason: "tag 53 value '840.25' (length 6 > 3): SDK checks parseInt(value) only (SDK bug B6); we answer 28 (unsupported currency)", expectCode: 28 });
    // aliases: our product accepts "KHR"/"USD"; the SDK is called with 116/840
    const alias = (s) => (inp) => ({ ...inp, currency: inp.currency === "KHR" ? 116 : 840 });
    for (const [bn, base] of BASES) {
        gen("currency-alias", stat(base, "KHR"), { sdkInput: alias(), note: "alias" });
        gen("currency-alias", stat(base, "USD"), { sdkInput: alias(), note: "alias" });
        gen("currency-alias", dyn(base, "KHR", 15000), { sdkInput: alias(), note: "alias" });
        gen("currency-alias", dyn(base, "USD", 15.75), { sdkInput: alias(), note: "alias" });
        gen("currency-alias", dyn(base, "USD", 1.555), { sdkInput: alias(), note: "alias" });
    }
    gen("currency-alias", stat(IND, "USD", { upiMerchantAccount: "62123456" }), { sdkInput: alias(), note: "alias" });
    gen("currency-alias", dyn(MER, "KHR", 10.5), { sdkInput: alias(), note: "alias" });
}

// ===== expiration =====
{
    for (const [bn, base] of BASES) {
        for (const cur of CURRENCIES) {
            const amt = cur === 116 ? 25000 : 6.25;
            const mk = (exp, extra = {}) => (now) => ({ ...base, currency: cur, amount: amt, expirationTimestamp: typeof exp === "function" ? exp(now) : exp, ...extra });
            gen("expiration", mk((now) => now), { note: "expiration == now is accepted" });
            gen("expiration", mk((now) => now + 1));
            gen("expiration", mk((now) => now + 60000));
            gen("expiration", mk((now) => now + 600000));
            gen("expiration", mk((now) => now + 86400000));
            gen("expiration", mk(9999999999999));
            gen("expiration-string", mk((now) => String(now + 300000)));
            gen("expiration-string", mk((now) => String(now + 120000)));
            // errors
            gen("expiration-error", mk(undefined), { note: "dynamic without expiration -> 45" });
            gen("expiration-error", mk(0), { note: "0 is falsy -> 45" });
            gen("expiration-error", mk((now) => Math.floor((now + 300000) / 1000)), { note: "seconds (10 digits) -> 49" });
            gen("expiration-error", mk((now) => (now + 300000) * 10), { note: "14 digits -> 49" });
            gen("expiration-error", mk((now) => now + 300000.5), { note: "fractional ms: String() has 15 chars -> 49" });
            gen("expiration-error", mk((now) => now - 1), { note: "before now -> 50" });
            gen("expiration-error", mk(1000000000000), { note: "13 digits, 2001 -> 50" });
            gen("expiration-error", mk(1.2345678e21), { note: "String() = '1.2345678e+21' has 13 chars; new Date() invalid -> 47" });
            gen("expiration-error", mk(9.999e20), { note: "String() = '999900000000000000000' -> 49" });
            gen("expiration-error", mk(-176722590000), { note: "'-176722590000' has 13 chars -> 50" });
        }
    }
    // numeric strings (errors)
    const sm = (exp, base = IND, cur = 116) => (now) => ({ ...base, currency: cur, amount: cur === 116 ? 100 : 1, expirationTimestamp: typeof exp === "function" ? exp(now) : exp });
    gen("expiration-string", sm("0"), { note: "'0' is truthy but Number('0') is 0 -> 45" });
    gen("expiration-string", sm((now) => String(Math.floor(now / 1000) + 300)), { note: "seconds -> 49" });
    gen("expiration-string", sm((now) => String(now - 1000), MER, 840), { note: "-> 50" });
    gen("expiration-string", sm((now) => String(now + 300000), MER, 840));
    gen("expiration-string", sm((now) => String(now + 300000) + "0"), { note: "14 digits -> 49" });
    gen("expiration-string", sm((now) => "0" + String(now + 300000), MER, 116), { note: "leading zero: Number() drops it -> 13 digits, accepted" });
    gen("expiration-string", sm("9999999999999", MER, 840));
}

// ===== merchant category code =====
{
    const MCCS = [
        ["42"], ["0042"], ["0"], ["0000"], ["9999"], ["5999"], ["7"], ["abc"], ["12345"], ["-1"], [5999], [42], [7011], [0], [12345], [-1],
        ["4.2"], [" 42"], ["42 "], ["١٢٣٤"], ["៥៩៩៩"], ["12a"], ["+123"], ["0x1F"], [4.5], ["1e3"],
    ];
    let i = 0;
    for (const [m] of MCCS) {
        const o = m === 0 ? { note: "MCC 0 (number) is dropped by removeEmptyElement -> default 5999" } : {};
        if (typeof m === "number") {
            // a few numbers: the SDK uses String(value)
            gen("mcc", (i++ % 2) ? stat(MER, 116, { merchantCategoryCode: m }) : dyn(IND, 840, 1.25, { merchantCategoryCode: m }), o);
            continue;
        }
        gen("mcc", stat(IND, 116, { merchantCategoryCode: m }), o);
        gen("mcc", dyn(MER, 840, 1.25, { merchantCategoryCode: m }), o);
    }
}

// ===== account id format =====
{
    const accts = ["abc", "abc.aclb", "a@b", "@", "@aclb", "abc@", "a@b@c", "a b@aclb", "សុខា@aclb", "ABC@ACLB", "a".repeat(31) + "@", "@" + "b".repeat(31)];
    for (const a of accts)
        for (const [bn, base] of BASES)
            gen("account-id", stat(base, 116, { bakongAccountID: a }), a.split("@").length >= 2 && !/^[a-z0-9_.]+@[a-z0-9]+$/.test(a) ? { note: "SDK only requires split('@').length >= 2" } : {});
    for (const [bn, base] of BASES) {
        const b = { ...base };
        delete b.bakongAccountID;
        gen("account-id", stat(b, 116), { note: "missing -> 1" });
        gen("account-id", stat(base, 840, { bakongAccountID: "" }), { note: "empty -> 1" });
        gen("account-id", dyn(base, 840, 2, { bakongAccountID: "" }));
    }
}

// ===== required fields =====
for (const [bn, base] of BASES) {
    for (const cur of CURRENCIES) {
        const noName = { ...base };
        delete noName.merchantName;
        gen("required", stat(noName, cur));
        gen("required", stat(base, cur, { merchantName: "" }));
        gen("required", dyn(base, cur, 2, { merchantName: "" }));
        if (bn === "mer") {
            const noMid = { ...base };
            delete noMid.merchantID;
            const noBank = { ...base };
            delete noBank.acquiringBank;
            gen("required", stat(noMid, cur));
            gen("required", stat(base, cur, { merchantID: "" }));
            gen("required", stat(noBank, cur));
            gen("required", stat(base, cur, { acquiringBank: "" }));
            gen("required", stat(base, cur, { merchantID: "", acquiringBank: "" }));
            gen("required", dyn(noMid, cur, 3));
            gen("required", dyn(noBank, cur, 3));
        }
    }
}

// ===== language template rules (39, 38, B3) =====
for (const [bn, base] of BASES) {
    for (const cur of CURRENCIES) {
        gen("language", stat(base, cur, { languagePreference: "km" }), { note: "preference without alternate name -> 39" });
        gen("language", stat(base, cur, { languagePreference: "km", merchantCityAlternateLanguage: KH_CITY }), { note: "-> 39" });
        gen("language", dyn(base, cur, 1, { languagePreference: "km" }));
        gen("language-b3", stat(base, cur, { merchantNameAlternateLanguage: KH_NAME }));
        gen("language-b3", stat(base, cur, { merchantNameAlternateLanguage: KH_NAME, merchantCityAlternateLanguage: KH_CITY }));
        gen("language-b3", dyn(base, cur, 1, { merchantNameAlternateLanguage: "x" }));
        gen("language-b3", stat(base, cur, { merchantNameAlternateLanguage: khmerOfLength(26), languagePreference: "" }), { note: "B3 precedes the alternate-name length check" });
    }
}

// ===== UPI =====
for (const [bn, base] of BASES) {
    gen("upi", stat(base, 840, { upiMerchantAccount: "62123456789" }));
    gen("upi", dyn(base, 840, 10, { upiMerchantAccount: "62123456789" }));
    gen("upi", stat(base, 840, { upiMerchantAccount: "6".repeat(100) }), { note: "UPI length (43) is checked before USD (44)" });
    gen("upi", stat(base, 116, { upiMerchantAccount: "62123456789" }));
    gen("upi", dyn(base, 116, 10000, { upiMerchantAccount: "62123456789" }));
    gen("upi", stat(base, 116, { upiMerchantAccount: KH_PP }));
    gen("upi", stat(base, 116, { upiMerchantAccount: "6".repeat(99), merchantName: asciiOfLength(25), billNumber: asciiOfLength(25) }));
    const noCur = { ...base };
    gen("upi", stat(noCur, undefined, { upiMerchantAccount: "62000001" }), { note: "currency omitted -> KHR" });
}

// ===== multiple errors at once (pins the SDK's check order) =====
{
    const P = {
        acctMissing: (x) => { x.bakongAccountID = ""; },
        acctNoAt: (x) => { x.bakongAccountID = "sokha.aclb"; },
        acctLong: (x) => { x.bakongAccountID = "a".repeat(30) + "@aclb"; },
        nameMissing: (x) => { x.merchantName = ""; },
        nameLong: (x) => { x.merchantName = asciiOfLength(26); },
        cityLong: (x) => { x.merchantCity = asciiOfLength(16); },
        mccLong: (x) => { x.merchantCategoryCode = "12345"; },
        mccAlpha: (x) => { x.merchantCategoryCode = "abc"; },
        cur978: (x) => { x.currency = 978; },
        curStr4: (x) => { x.currency = "1160"; },
        amountBad: (x) => { x.amount = 100.555; x.expirationTimestamp ??= x.__now + 300000; },
        billLong: (x) => { x.billNumber = asciiOfLength(26); },
        mobileLong: (x) => { x.mobileNumber = "0".repeat(26); },
        storeLong: (x) => { x.storeLabel = asciiOfLength(26); },
        terminalLong: (x) => { x.terminalLabel = asciiOfLength(26); },
        purposeLong: (x) => { x.purposeOfTransaction = asciiOfLength(26); },
        langLong: (x) => { x.languagePreference = "khm"; x.merchantNameAlternateLanguage ??= KH_NAME; },
        langOnly: (x) => { x.languagePreference = "km"; delete x.merchantNameAlternateLanguage; },
        altNameLong: (x) => { x.merchantNameAlternateLanguage = khmerOfLength(26); x.languagePreference ??= "km"; },
        altCityLong: (x) => { x.merchantCityAlternateLanguage = khmerOfLength(16); },
        b3: (x) => { x.merchantNameAlternateLanguage = KH_NAME; delete x.languagePreference; },
        upiLong: (x) => { x.upiMerchantAccount = "6".repeat(100); },
        upiUsd: (x) => { x.upiMerchantAccount = "62123456"; x.currency = 840; },
        expMissing: (x) => { x.amount ??= 100; delete x.expirationTimestamp; },
        expSeconds: (x) => { x.amount ??= 100; x.expirationTimestamp = Math.floor(x.__now / 1000) + 300; },
        expPast: (x) => { x.amount ??= 100; x.expirationTimestamp = x.__now - 60000; },
        expBad: (x) => { x.amount ??= 100; x.expirationTimestamp = 1.2345678e21; },
        midMissing: (x) => { if (x.type === "merchant") x.merchantID = ""; },
        midLong: (x) => { if (x.type === "merchant") x.merchantID = "9".repeat(33); },
        bankMissing: (x) => { if (x.type === "merchant") x.acquiringBank = ""; },
        bankLong: (x) => { x.acquiringBank = asciiOfLength(33); },
        accInfoLong: (x) => { if (x.type === "individual") x.accountInformation = "1".repeat(33); },
    };
    const names = Object.keys(P);
    const applyAll = (base, list) => (now) => {
        const x = { ...base, __now: now };
        for (const n of list) P[n](x);
        delete x.__now;
        return x;
    };
    // every pair; merchant-only / individual-only perturbations pick their type, others alternate
    const MER_ONLY = new Set(["midMissing", "midLong", "bankMissing"]);
    const IND_ONLY = new Set(["accInfoLong"]);
    let k = 0;
    for (let i = 0; i < names.length; i++)
        for (let j = i + 1; j < names.length; j++) {
            const pair = [names[i], names[j]];
            const m = pair.some((n) => MER_ONLY.has(n)), ind = pair.some((n) => IND_ONLY.has(n));
            if (m && ind) continue;
            const base = m ? MER : ind ? IND : BASES[k++ % 2][1];
            gen("multi-error", applyAll(base, pair), { note: pair.join(" + ") });
        }
    // some random triples
    for (let t = 0; t < 60; t++) {
        const pick = new Set();
        while (pick.size < 3) pick.add(rng.pick(names));
        const list = [...pick];
        gen("multi-error", applyAll(rng.pick([IND, MER]), list), { note: list.join(" + ") });
    }
}

// ===== whitespace / lenient inputs (SDK does not trim) =====
for (const [bn, base] of BASES) {
    gen("lenient", stat(base, 116, { merchantName: " Sokha " }), { note: "SDK does not trim" });
    gen("lenient", stat(base, 116, { merchantName: "   " }), { note: "blank name is not empty for the SDK" });
    gen("lenient", stat(base, 116, { merchantCity: " " }), { note: "blank city is not empty for the SDK" });
    gen("lenient", stat(base, 116, { billNumber: " " }));
    gen("lenient", stat(base, 116, { merchantName: "Tab\tName" }));
    gen("lenient", stat(base, 840, { merchantName: "Quote\"Back\\slash" }));
    gen("lenient", stat(base, 840, { storeLabel: "6304ABCD" }), { note: "text that looks like a CRC tag" });
}
gen("lenient", stat(MER, 116, { accountInformation: "012345678" }), { note: "accountInformation is ignored for merchant (tag 30)" });
gen("lenient", dyn(MER, 840, 1, { accountInformation: "1".repeat(40) }), { note: "accountInformation is ignored for merchant (tag 30), even over-long" });

// ===== random valid combinations =====
const RANDOM_COUNT = 320;
for (let n = 0; n < RANDOM_COUNT; n++) {
    gen("random", (now) => {
        const type = rng.chance(0.5) ? "individual" : "merchant";
        const x = { type };
        x.bakongAccountID = randAccount(rng.chance(0.2) ? 32 : 24);
        x.merchantName = randText(1, 25, 0.3);
        if (rng.chance(0.9)) x.merchantCity = randText(1, 15, 0.3);
        const t29 = () => 4 + x.bakongAccountID.length + (x.merchantID ? 4 + x.merchantID.length : 0) +
            (x.accountInformation ? 4 + x.accountInformation.length : 0) + (x.acquiringBank ? 4 + x.acquiringBank.length : 0);
        if (type === "merchant") {
            x.merchantID = randAscii(1, 32, rng.chance(0.5) ? "0123456789" : PRINTABLE);
            x.acquiringBank = randAscii(1, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz");
        } else {
            if (rng.chance(0.4)) x.accountInformation = randAscii(1, 32, "0123456789");
            if (rng.chance(0.3)) x.acquiringBank = randAscii(1, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz");
        }
        while (t29() > 99) {
            if (x.acquiringBank && x.acquiringBank.length > 1) x.acquiringBank = x.acquiringBank.slice(0, -1).replace(/ $/, "x");
            else if (x.merchantID && x.merchantID.length > 1) x.merchantID = x.merchantID.slice(0, -1);
            else if (x.accountInformation && x.accountInformation.length > 1) x.accountInformation = x.accountInformation.slice(0, -1);
        }
        const cur = rng.chance(0.5) ? 116 : 840;
        if (cur === 840 || rng.chance(0.8)) x.currency = cur; // omitted currency means KHR
        const dynamic = rng.chance(0.6);
        if (dynamic) {
            if (cur === 116) {
                x.amount = rng.int(1, 10 ** rng.int(1, 12));
            } else {
                const intPart = rng.int(0, 10 ** rng.int(0, 10) - 1);
                const dec = rng.int(0, 2);
                const frac = dec === 0 ? 0 : dec === 1 ? rng.int(1, 9) / 10 : rng.int(1, 99) / 100;
                x.amount = intPart + frac;
                if (x.amount === 0) x.amount = 0.01;
                const s = String(x.amount);
                if (s.includes("e") || (s.split(".")[1] || "").length > 2) x.amount = Math.round(x.amount * 100) / 100;
                if (String(x.amount).includes("e")) x.amount = 1.11;
            }
            x.expirationTimestamp = now + rng.int(0, 24 * 3600 * 1000);
        } else if (rng.chance(0.15)) {
            x.amount = 0;
        }
        // tag 62 within 99
        const addl = ["billNumber", "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction"];
        let t62 = 0;
        for (const f of addl) {
            if (!rng.chance(0.3)) continue;
            const v = f === "mobileNumber" ? randAscii(1, 25, "0123456789+ ") : randText(1, 25, 0.3);
            if (t62 + 4 + v.length > 99) continue;
            x[f] = v;
            t62 += 4 + v.length;
        }
        if (rng.chance(0.25)) {
            x.languagePreference = rng.pick(["km", "en", "zh", "fr", "k"]);
            x.merchantNameAlternateLanguage = randText(1, 25, 0.8);
            if (rng.chance(0.5)) x.merchantCityAlternateLanguage = randText(1, 15, 0.8);
        } else if (rng.chance(0.05)) {
            x.merchantCityAlternateLanguage = randText(1, 15, 0.8);
        }
        if (cur === 116 && rng.chance(0.1)) x.upiMerchantAccount = randAscii(1, 99, "0123456789");
        if (rng.chance(0.2)) x.merchantCategoryCode = String(rng.int(0, 9999)).padStart(rng.chance(0.5) ? 4 : 1, "0");
        return x;
    });
}

// =============================================================================================
// VERIFY and DECODE cases
// =============================================================================================
const mutatedInputs = []; // { qr, now, kind } shared by verify and decode
const seenMutated = new Set();
function addStructural(kind, qr, now, note) {
    const key = kind + "\u0000" + now + "\u0000" + qr;
    if (seenMutated.has(key)) return false;
    seenMutated.add(key);
    mutatedInputs.push({ qr, now, kind, note });
    return true;
}
function verifyCase(kind, qr, now, note) {
    const sdk = runVerify(qr, now);
    if (sdk.hang) stats.hangs.verify++;
    const expect = sdk.hang ? { valid: false } : { valid: sdk.valid };
    return emit("verify", kind, now, { qr }, sdk, expect, note);
}
const decodedQrs = new Set(); // decode does not depend on the clock: each distinct string once
function decodeCase(kind, qr, now, note) {
    if (decodedQrs.has(qr)) return null;
    decodedQrs.add(qr);
    const sdk = runDecode(qr, now);
    if (sdk.hang) stats.hangs.decode++;
    return emit("decode", kind, now, { qr }, sdk, sdk.hang ? { hang: true } : sdk, note);
}

// ----- every valid generated QR -----
for (const p of validPool) verifyCase("generated", p.qr, p.now);

// pool subsets
const dynPool = validPool.filter((p) => p.dynamic);
const statPool = validPool.filter((p) => !p.dynamic);
const khmerPool = validPool.filter((p) => /[\u1780-\u17ff]/.test(p.qr));
const richPool = validPool.filter((p) => ["62", "64"].every((t) => parseTlv(bodyOf(p.qr)).some((x) => x.tag === t)));
const pickFrom = (arr) => arr[rng.int(0, arr.length - 1)];

// ----- expiry -----
{
    const seen = new Set();
    for (let i = 0; i < 40 && i < dynPool.length; i++) {
        const p = dynPool[Math.floor((i * dynPool.length) / 40)];
        if (seen.has(p.qr)) continue;
        seen.add(p.qr);
        const exp = Number(parseTlv(parseTlv(bodyOf(p.qr)).find((t) => t.tag === "99").value).find((s) => s.tag === "01").value);
        addStructural("expired", p.qr, exp + 1, "now = expiration + 1 ms");
        addStructural("expired", p.qr, exp + 86400000, "now = expiration + 1 day");
        addStructural("expiry-boundary", p.qr, exp, "now = expiration exactly (still valid)");
    }
}

// ----- CRC variants -----
{
    let lower = 0;
    for (const p of validPool) {
        if (lower >= 30) break;
        if (/[A-F]/.test(p.qr.slice(-4))) {
            addStructural("crc-lowercase", p.qr.slice(0, -4) + p.qr.slice(-4).toLowerCase(), p.now, "CRC hex accepted case-insensitively");
            lower++;
        }
    }
    for (let i = 0; i < 30; i++) {
        const p = pickFrom(validPool);
        const c = parseInt(p.qr.slice(-4), 16);
        const wrong = ((c ^ (1 << rng.int(0, 15))) & 0xffff).toString(16).toUpperCase().padStart(4, "0");
        addStructural("crc-wrong", p.qr.slice(0, -4) + wrong, p.now);
    }
    for (let i = 0; i < 15; i++) {
        const p = pickFrom(validPool);
        const body = bodyOf(p.qr);
        addStructural("crc-missing", body, p.now, "no 6304 tail");
        addStructural("crc-missing", body + "6304", p.now, "6304 without value");
        addStructural("crc-missing", p.qr.slice(0, -1), p.now, "3 hex digits");
        addStructural("crc-missing", p.qr + "0", p.now, "extra char after CRC");
        addStructural("crc-missing", body + "6305" + crc16(body + "6305") + "0", p.now, "CRC tag with length 05");
        addStructural("crc-missing", body + "6304" + crc16(body + "6304").replace(/./, "G"), p.now, "non-hex CRC digit");
        addStructural("crc-missing", body + "6304" + crc16(body) , p.now, "CRC computed without the '6304' prefix");
    }
}

// ----- structure: old-format tag 99, dynamic without 54/99, static with 54, no tag 01 -----
{
    for (let i = 0; i < 12; i++) {
        const p = dynPool[(i * 7) % dynPool.length];
        const body = bodyOf(p.qr);
        const t99 = parseTlv(body).find((t) => t.tag === "99");
        const creation = parseTlv(t99.value).find((s) => s.tag === "00").value;
        const exp = parseTlv(t99.value).find((s) => s.tag === "01").value;
        // old format: creation only (what SDKs before 1.0.18 wrote)
        addStructural("old-format-99", withCrc(replaceTag(body, "99", tlv("99", tlv("00", creation)))), p.now, "dynamic, tag 99 with creation only");
        // static QR with old-format 99 (valid)
        const sBody = replaceTag(replaceTag(body, "54", ""), "01", tlv("01", "11"));
        addStructural("old-format-99", withCrc(replaceTag(sBody, "99", tlv("99", tlv("00", creation)))), p.now, "static, tag 99 with creation only");
        // dynamic without 54 / 99
        addStructural("dyn-missing", withCrc(replaceTag(body, "54", "")), p.now, "01=12 without tag 54 (47)");
        addStructural("dyn-missing", withCrc(replaceTag(body, "99", "")), p.now, "01=12 without tag 99 (45)");
        addStructural("dyn-missing", withCrc(replaceTag(replaceTag(body, "99", ""), "54", "")), p.now, "01=12 without 54 and 99");
        // 01=11 but has 54 + 99 (timestamp not checked for poi 11)
        addStructural("dyn-missing", withCrc(replaceTag(body, "01", tlv("01", "11"))), p.now + (i % 2 ? 0 : 10 * 86400000), "01=11 with 54 and 99");
        addStructural("dyn-missing", withCrc(replaceTag(replaceTag(body, "01", tlv("01", "11")), "99", "")), p.now, "01=11 with 54, no 99");
        // no tag 01 at all: the timestamp is not checked (poi is null), even when expired
        addStructural("no-tag-01", withCrc(replaceTag(body, "01", "")), p.now, "no tag 01");
        addStructural("no-tag-01", withCrc(replaceTag(body, "01", "")), Number(exp) + 86400000, "no tag 01, expired");
        // poi values
        addStructural("poi", withCrc(replaceTag(body, "01", tlv("01", "13"))), p.now, "01=13");
        addStructural("poi", withCrc(replaceTag(body, "01", tlv("01", "1"))), p.now, "01=1");
        addStructural("poi", withCrc(replaceTag(body, "01", tlv("01", "112"))), p.now, "01=112");
        // timestamp oddities
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("00", creation) + tlv("01", String(Math.floor(Number(exp) / 1000)))))), p.now, "expiration in seconds");
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("00", String(Number(exp) + 1)) + tlv("01", exp)))), p.now, "expiration before creation");
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("01", exp) + tlv("00", creation)))), p.now, "subtags swapped");
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("01", exp)))), p.now, "expiration only");
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("00", creation) + tlv("01", exp) + tlv("02", "x")))), p.now, "unknown subtag 02");
        addStructural("timestamp", withCrc(replaceTag(body, "99", tlv("99", tlv("00", creation) + tlv("01", "abcdefghijklm")))), p.now, "non-numeric expiration");
        // amount oddities
        if (i % 2 === 0) for (const a of ["abc", "1,000", "0", "-5", "1.5.5", "12345678901234", "", " 1", "1e3"])
            addStructural("amount-field", withCrc(replaceTag(body, "54", tlv("54", a))), p.now, "tag 54 = '" + a + "'");
    }
}

// ----- unknown tags, tag 30 variants, duplicates, hand-built field checks -----
{
    for (let i = 0; i < 15; i++) {
        const p = validPool[(i * 13) % validPool.length];
        const body = bodyOf(p.qr);
        addStructural("unknown-tag", withCrc(body + "8004test"), p.now, "8004test before the CRC");
        addStructural("unknown-tag", withCrc(insertBeforeTag(body, "52", "2605ABCDE")), p.now, "tag 26 inserted");
        addStructural("unknown-tag", withCrc(insertBeforeTag(body, "59", "5500")), p.now, "empty tag 55");
        addStructural("unknown-tag", withCrc(body + "9102ab"), p.now, "tag 91");
        addStructural("unknown-tag", withCrc(body + "ZZ02ab"), p.now, "non-numeric tag ZZ");
        // repeated tag (consecutive): parsing stops
        const t52 = parseTlv(body).find((t) => t.tag === "52");
        addStructural("repeated-tag", withCrc(insertBeforeTag(body, "52", tlv("52", t52.value))), p.now, "52 twice in a row");
        const t59 = parseTlv(body).find((t) => t.tag === "59");
        addStructural("repeated-tag", withCrc(insertBeforeTag(body, "59", tlv("59", t59.value))), p.now, "59 twice in a row");
        addStructural("repeated-tag", withCrc(body + tlv("59", "Other Name")), p.now, "59 again, not consecutive (later value wins in decode)");
        addStructural("repeated-tag", withCrc(body + tlv("59", "x".repeat(26))), p.now, "59 again, over-long");
        addStructural("repeated-tag", withCrc(insertBeforeTag(body, "58", tlv("53", "978"))), p.now, "53 again, not consecutive, invalid value");
    }
    // tag 30 / 29 variants
    const mk = (t29, rest = {}) => {
        let b = "000201" + tlv("01", rest.poi || "11") + t29 + tlv("52", rest.mcc || "5999") + tlv("53", rest.cur || "116") +
            (rest.amount ? tlv("54", rest.amount) : "") + tlv("58", "KH") + tlv("59", rest.name || "Shop") + tlv("60", rest.city || "Phnom Penh");
        if (rest.extra) b += rest.extra;
        return withCrc(b);
    };
    const T = [
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "123") + tlv("02", "Bank")), "tag 30 full"],
        [tlv("30", tlv("00", "shop@aclb")), "tag 30 without merchant ID / bank (verify treats 30 as 29)"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "1".repeat(32))), "tag 30, merchant ID 32"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "1".repeat(33))), "tag 30, merchant ID 33"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("02", "B".repeat(33))), "tag 30, bank 33"],
        [tlv("30", tlv("00", "shopaclb") + tlv("01", "123")), "tag 30, account without @"],
        [tlv("30", tlv("01", "123") + tlv("02", "Bank")), "tag 30 without account"],
        [tlv("30", tlv("00", "a".repeat(28) + "@abc")), "tag 30, account 32"],
        [tlv("30", tlv("00", "a".repeat(29) + "@abc")), "tag 30, account 33"],
        [tlv("30", ""), "tag 30 empty"],
        [tlv("30", "garbage"), "tag 30 no subtags"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("05", "x")), "tag 30 unknown subtag"],
        [tlv("29", tlv("00", "me@aclb") + tlv("01", "012") + tlv("02", "Bank")), "tag 29 full"],
        [tlv("29", tlv("00", "me@aclb")) + tlv("30", tlv("00", "shop@aclb") + tlv("01", "1")), "tag 29 then tag 30 (both kept: the repeat check compares the raw tag '30' with the mapped '29')"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "1")) + tlv("15", "6212") + tlv("29", tlv("00", "me@aclb")), "tag 30, 15, 29"],
        [tlv("29", tlv("00", "me@aclb") + tlv("00", "you@aclb")), "tag 29 repeated subtag 00"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "1")) + tlv("29", tlv("00", "me@aclb")), "tag 30 then tag 29 (consecutive after mapping: parsing stops)"],
        [tlv("30", tlv("00", "shop@aclb") + tlv("01", "1")) + tlv("30", tlv("00", "two@aclb")), "tag 30 twice in a row (not treated as a repeat)"],
        [tlv("29", tlv("01", "012") + tlv("00", "me@aclb")), "tag 29 subtags out of order"],
    ];
    for (const [t, note] of T) {
        addStructural("tag30", mk(t), BASE_NOW, note);
        addStructural("tag30", mk(t, { cur: "840", name: "ហាង" }), BASE_NOW, note + " (USD, Khmer name)");
    }
    // field validation on hand-built QRs
    const acct = tlv("29", tlv("00", "me@aclb"));
    const F = [
        [{ name: "x".repeat(25) }, "name 25"], [{ name: "x".repeat(26) }, "name 26"], [{ city: "c".repeat(15) }, "city 15"],
        [{ city: "c".repeat(16) }, "city 16"], [{ mcc: "abc" }, "mcc abc"], [{ mcc: "12345" }, "mcc 12345"], [{ mcc: "42" }, "mcc 42"],
        [{ mcc: "-1" }, "mcc -1"], [{ cur: "978" }, "currency 978"], [{ cur: "1160" }, "currency 1160"], [{ cur: "84" }, "currency 84"],
        [{ cur: "116.5" }, "currency 116.5"], [{ cur: "KHR" }, "currency KHR"], [{ poi: "12", amount: "100", extra: "" }, "dynamic without 99"],
        [{ amount: "100" }, "static with 54 and no 99"],
        [{ extra: tlv("62", tlv("01", "x".repeat(25))) }, "bill 25"], [{ extra: tlv("62", tlv("01", "x".repeat(26))) }, "bill 26"],
        [{ extra: tlv("62", tlv("02", "1".repeat(26))) }, "mobile 26"], [{ extra: tlv("62", tlv("03", "s".repeat(26))) }, "store 26"],
        [{ extra: tlv("62", tlv("07", "t".repeat(26))) }, "terminal 26"], [{ extra: tlv("62", tlv("08", "p".repeat(26))) }, "purpose 26"],
        [{ extra: tlv("62", tlv("01", "")) }, "bill empty subtag"], [{ extra: tlv("62", "") }, "tag 62 empty"],
        [{ extra: tlv("62", tlv("05", "ref")) }, "tag 62 only unknown subtag 05"],
        [{ extra: tlv("64", tlv("00", "km") + tlv("01", "ចន")) }, "lang ok"], [{ extra: tlv("64", tlv("00", "km")) }, "lang pref only (39)"],
        [{ extra: tlv("64", tlv("01", "ចន")) }, "alt name without pref"], [{ extra: tlv("64", tlv("00", "khm") + tlv("01", "ចន")) }, "pref 3"],
        [{ extra: tlv("64", tlv("00", "km") + tlv("01", "ក".repeat(26))) }, "alt name 26"],
        [{ extra: tlv("64", tlv("00", "km") + tlv("01", "ចន") + tlv("02", "ក".repeat(16))) }, "alt city 16"],
        [{ extra: tlv("64", tlv("02", "ក")) }, "alt city only"],
        [{ extra: tlv("15", "6".repeat(99)) }, "tag 15 at 99, after 60"], [{ cur: "840", extra: tlv("15", "62") }, "UPI with USD (not checked by verify)"],
        [{ extra: tlv("58", "KHM") }, "58 again (3 chars)"], [{ extra: tlv("58", "KHMR") }, "58 again (4 chars)"],
        [{ extra: tlv("00", "02") }, "00 again = 02"], [{ extra: tlv("00", "012") }, "00 again = 012"],
    ];
    for (const [r, note] of F) {
        addStructural("field-check", mk(acct, r), BASE_NOW, note);
        addStructural("field-check", mk(tlv("30", tlv("00", "shop@aclb") + tlv("01", "12") + tlv("02", "B")), r), BASE_NOW, note + " (tag 30)");
    }
    // required tags missing: remove one at a time from a rich valid QR
    const src = validPool.find((p) => p.kind === "optional-combo" && p.dynamic) || validPool[0];
    for (const t of parseTlv(bodyOf(src.qr))) addStructural("missing-tag", withCrc(replaceTag(bodyOf(src.qr), t.tag, "")), src.now, "without tag " + t.tag);
    const src2 = statPool.find((p) => p.kind === "known") || statPool[0];
    for (const t of parseTlv(bodyOf(src2.qr))) addStructural("missing-tag", withCrc(replaceTag(bodyOf(src2.qr), t.tag, "")), src2.now, "without tag " + t.tag);
    addStructural("missing-tag", withCrc(""), BASE_NOW, "only the CRC (< 12 chars)");
    addStructural("missing-tag", withCrc("0002"), BASE_NOW, "12 chars");
    addStructural("missing-tag", withCrc("000201"), BASE_NOW, "14 chars");
}

// ----- malformed length fields (CRC recomputed) -----
{
    const BAD = [" 5", "-1", "0a", "a0", "99", "-5"];
    const sources = [];
    const want = [
        (p) => p.dynamic && p.input.type === "merchant" && p.input.billNumber && p.input.languagePreference,
        (p) => !p.dynamic && p.input.type === "individual" && p.input.accountInformation && p.input.storeLabel,
        (p) => p.dynamic && p.input.type === "individual" && p.input.merchantCityAlternateLanguage && /[\u1780-\u17ff]/.test(p.qr),
    ];
    for (const w of want) {
        const s = validPool.find(w);
        if (s) sources.push(s);
    }
    for (const s of sources) {
        const body = bodyOf(s.qr);
        for (const f of lengthFields(body)) {
            const cur = body.substr(f.pos, 2);
            for (const bad of BAD) {
                if (bad === cur) continue;
                if (bad === "05" && cur === "05") continue;
                const nb = body.slice(0, f.pos) + bad + body.slice(f.pos + 2);
                addStructural("malformed-length", withCrc(nb), s.now, "length of " + f.tag + (f.sub ? "." + f.sub : "") + " '" + cur + "' -> '" + bad + "'");
            }
        }
    }
}

// ----- random mutations with CRC recomputed -----
{
    const SUBST = "0123456789012345678901234567890123456789ABCXYZabcxyz@. -ក";
    const mutSource = () => (rng.chance(0.25) && khmerPool.length ? pickFrom(khmerPool) : rng.chance(0.5) && richPool.length ? pickFrom(richPool) : pickFrom(validPool));
    const add = (kind, nb, p, note) => addStructural(kind, withCrc(nb), p.now, note);
    let guard = 0;
    const target = { "mutate-substitute": 130, "mutate-delete": 90, "mutate-insert": 90, "mutate-truncate": 70 };
    const have = { "mutate-substitute": 0, "mutate-delete": 0, "mutate-insert": 0, "mutate-truncate": 0 };
    while (Object.keys(target).some((k) => have[k] < target[k]) && guard++ < 10000) {
        const kind = rng.pick(Object.keys(target).filter((k) => have[k] < target[k]));
        const p = mutSource();
        const body = bodyOf(p.qr);
        const pos = rng.int(0, body.length - 1);
        let nb, note;
        if (kind === "mutate-substitute") {
            const c = rng.pick(SUBST.split(""));
            if (body[pos] === c) continue;
            nb = body.slice(0, pos) + c + body.slice(pos + 1);
            note = "char " + pos + " '" + body[pos] + "' -> '" + c + "'";
        } else if (kind === "mutate-delete") {
            const n = rng.int(1, 3);
            nb = body.slice(0, pos) + body.slice(pos + n);
            note = "delete " + n + " at " + pos;
        } else if (kind === "mutate-insert") {
            let ins = "";
            const n = rng.int(1, 3);
            for (let i = 0; i < n; i++) ins += rng.pick(SUBST.split(""));
            nb = body.slice(0, pos) + ins + body.slice(pos);
            note = "insert '" + ins + "' at " + pos;
        } else {
            nb = body.slice(0, pos);
            note = "truncate body to " + pos;
        }
        if (add(kind, nb, p, note)) have[kind]++;
    }
    // a few mutations WITHOUT recomputing the CRC
    for (let i = 0; i < 20; i++) {
        const p = pickFrom(validPool);
        const body = bodyOf(p.qr);
        const pos = rng.int(0, body.length - 1);
        const c = body[pos] === "1" ? "2" : "1";
        addStructural("mutate-stale-crc", body.slice(0, pos) + c + body.slice(pos + 1) + p.qr.slice(-8), p.now, "char " + pos + " changed, CRC not recomputed");
    }
}

// ----- short strings, empty, known vectors -----
{
    for (const s of ["", "6304", "63041D0F", "0", "000201", "00020101021", "6304" + crc16("6304"), "00" + "6304" + crc16("006304"),
        "abc6304" + crc16("abc6304"), "0002016304" + crc16("0002016304")])
        addStructural("short", s, BASE_NOW, "length " + s.length);
    addStructural("short", "000201010211", BASE_NOW, "12 chars, no CRC");
}
const KNOWN = [
    ["00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6009Siam Reap64280002km0108ចន ស្មីន0206សៀមរាប6304A8B1", BASE_NOW, "known sample individual KHR static Khmer alt language"],
    ["00020101021130400014jonhsmith@devb01061234560208Dev Bank5204599953038405802KH5910Jonh Smith6010Phnom Penh62660117INV-2021-07-658220211855123456780305BKK-107060123450807Testing63042417", BASE_NOW, "known sample merchant USD static full tag 62"],
    ["00020101021129460015john_smith@devb0111855122334550208Dev Bank5204599953031165802KH5910John Smith6010Phnom Penh6304AE25", BASE_NOW, "known sample account info + bank"],
    ["00020101021129070003a@b5204599953031165802KH5908ចន ស្មីន6007ភ្នំពេញ6304F639", BASE_NOW, "known sample Khmer name/city"],
    ["00020101021229180014jonhsmith@nbcq5204599953038405405100.505802KH5910Jonh Smith6010Phnom Penh993400131700000000000011317000003000006304BE05", 1700000100000,
        "known dynamic sample as recorded: malformed (tag 54 says length 05 but '100.50' has 6 chars), so never valid"],
    ["00020101021229180014jonhsmith@nbcq5204599953038405405100.505802KH5910Jonh Smith6010Phnom Penh993400131700000000000011317000003000006304BE05", BASE_NOW,
        "known dynamic sample as recorded (malformed)"],
    ["00020101021129170013merchant@nbcq5204599953038405802KH5917Lucky Supermarket6010Phnom Penh6304FBE4", BASE_NOW, "NBC guideline static example"],
    ["00020101021229180014vandoeurn@devb52045999530384054031015802KH5909Vandoeurn6010Phnom Penh9934001317272493649740113172724948497463047BD0", BASE_NOW, "SDK test sample, expired"],
    ["00020101021229180014vandoeurn@devb52045999530384054031015802KH5909Vandoeurn6010Phnom Penh9934001317272493649740113172724948497463047BD0", 1727249400000, "SDK test sample, inside its validity window"],
];
{
    // the dynamic sample corrected (tag 54 = '100.50' with length 06)
    const fixed = withCrc("00020101021229180014jonhsmith@nbcq520459995303840" + tlv("54", "100.50") + "5802KH5910Jonh Smith6010Phnom Penh" +
        tlv("99", tlv("00", "1700000000000") + tlv("01", "1700000300000")));
    KNOWN.push([fixed, 1700000100000, "known dynamic sample corrected (5406100.50), inside validity window"]);
    KNOWN.push([fixed, BASE_NOW, "known dynamic sample corrected, expired"]);
}
for (const [q, now, note] of KNOWN) addStructural("known-vector", q, now, note);

// ----- emit verify cases for all structural inputs -----
for (const m of mutatedInputs) verifyCase(m.kind, m.qr, m.now, m.note);

// ----- decode: all valid generated QRs, the SDK-emitted invalid ones, every structural input, garbage -----
for (const p of validPool) decodeCase("generated", p.qr, p.now);
for (const p of invalidEmitted) decodeCase("sdk-invalid", p.qr, p.now, "SDK-emitted QR with a template over 99 chars / bad currency");
for (const m of mutatedInputs) decodeCase(m.kind, m.qr, m.now, m.note);
{
    const garbage = ["hello world", "KHQR", "https://bakong.nbc.gov.kh", "{\"qr\":1}", "ចន ស្មីន", "😀😀😀", "0000000000000000", "9999999999999999",
        "00", "000", "0002", "00020", "0002010102", "1", "12", "123", "\n", " ", "abcdefghijklmnopqrstuvwxyz", "6304ABCD6304ABCD",
        "2900", "29", "2902", "290400", "2904000", "62020", "6203a", "99020", "9904ab", "64", "640200", "6210011", "99170013"];
    for (const g of garbage) decodeCase("garbage", g, BASE_NOW);
    for (let i = 0; i < 40; i++) {
        const alphabet = rng.chance(0.5) ? "0123456789" : rng.chance(0.5) ? PRINTABLE : "0123456789ABCDEF ក@";
        decodeCase("garbage", randAscii(1, 120, alphabet), BASE_NOW);
    }
}

// =============================================================================================
// Write + summary
// =============================================================================================
const outArg = process.argv.indexOf("--out");
const outFile = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.resolve(__dirname, "..", "sdk-" + sdkPkg.version + ".jsonl");
const all = [...lines.generate, ...lines.verify, ...lines.decode];
const ids = new Set();
for (const l of all) {
    if (ids.has(l.id)) throw new Error("duplicate id " + l.id);
    ids.add(l.id);
}
fs.writeFileSync(outFile, all.map(serialize).join("\n") + "\n", "utf8");

// checks
const need = { generate: 1400, verify: 700, decode: 500 };
for (const [op, n] of Object.entries(need)) if (lines[op].length < n) throw new Error(op + ": only " + lines[op].length + " cases (need " + n + ")");
if (all.length < 2600) throw new Error("only " + all.length + " cases");
const genErr = {};
for (const l of lines.generate) {
    const k = l.expect.error ? "error " + l.expect.error.code : "qr";
    genErr[k] = (genErr[k] || 0) + 1;
}
const REQUIRED_CODES = [1, 2, 3, 4, 6, 7, 10, 11, 12, 18, 19, 21, 28, 30, 31, 32, 33, 34, 35, 37, 38, 39, 40, 41, 42, 43, 44, 45, 47, 49, 50, 51];
for (const c of REQUIRED_CODES) if ((genErr["error " + c] || 0) < 3) throw new Error("too few generate cases for error " + c);
if (stats.hangs.verify < 3 || stats.hangs.decode < 3) throw new Error("expected some hangs: " + JSON.stringify(stats.hangs));

const byKind = {};
for (const l of all) {
    const k = l.op + " " + l.kind;
    byKind[k] = (byKind[k] || 0) + 1;
}
const count = (arr, f) => arr.reduce((m, l) => { const k = f(l); m[k] = (m[k] || 0) + 1; return m; }, {});
const sortObj = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => {
    const na = Number(a[0].replace(/\D/g, "")), nb = Number(b[0].replace(/\D/g, ""));
    return a[0].replace(/\d/g, "") === b[0].replace(/\d/g, "") && !isNaN(na) && !isNaN(nb) ? na - nb : a[0] < b[0] ? -1 : 1;
}));
console.log("wrote " + path.relative(process.cwd(), outFile) + ": " + all.length + " cases (bakong-khqr " + sdkPkg.version + ", seed 0x" + SEED.toString(16) + ")");
console.log("per op: " + JSON.stringify({ generate: lines.generate.length, verify: lines.verify.length, decode: lines.decode.length }));
console.log("generate expect: " + JSON.stringify(sortObj(genErr)));
console.log("generate notes: " + JSON.stringify({ "sdk-emits-invalid": stats.sdkEmitsInvalid, "sdk-bug-B3": stats.b3, "deviation: exponent amount": stats.exponent }));
console.log("verify expect: " + JSON.stringify(count(lines.verify, (l) => "valid=" + l.expect.valid)) + ", sdk hangs: " + stats.hangs.verify);
console.log("decode: " + JSON.stringify(count(lines.decode, (l) => (l.sdk.hang ? "hang" : "data"))) + ", sdk hangs: " + stats.hangs.decode);
console.log("per kind:");
for (const [k, v] of Object.entries(byKind)) console.log("  " + k.padEnd(34) + " " + v);
