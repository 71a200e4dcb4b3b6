#!/usr/bin/env node
// Single-threaded throughput of the official JS SDK (bakong-khqr 1.0.20) under node, for comparison
// with the C# benchmark (same input).
//
// Usage: node bench-sdk.cjs [--seconds N]   (default 3; warm-up is always >= 2 s)
// Prints ONE JSON line: {"generate_per_s": x, "decode_per_s": y, "verify_per_s": z}
"use strict";

const { BakongKHQR, MerchantInfo } = require("bakong-khqr");

const argIdx = process.argv.indexOf("--seconds");
const seconds = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 3;
if (!(seconds > 0)) {
    console.error("--seconds must be a positive number");
    process.exit(2);
}
const WARMUP_SECONDS = 2;

// Input: identical to the C# bench.
const expirationTimestamp = Date.now() + 5 * 60 * 1000;
const optional = {
    currency: 840,
    amount: 12.5,
    billNumber: "INV-2026-000123",
    storeLabel: "Riverside",
    terminalLabel: "POS-01",
    expirationTimestamp,
};
const khqr = new BakongKHQR();
// The user-facing call: build the MerchantInfo and generate (generateMerchant includes the md5).
const generate = () =>
    khqr.generateMerchant(new MerchantInfo("kiosk_shop@aclb", "Sokha Coffee", "Phnom Penh", "1234567890", "ACLEDA Bank", optional));

const first = generate();
if (first.status.code !== 0 || typeof first.data.qr !== "string") throw new Error("generate failed: " + JSON.stringify(first.status));
const qr = first.data.qr;
if (BakongKHQR.verify(qr).isValid !== true) throw new Error("verify(generated) is not true");
if (BakongKHQR.decode(qr).data.transactionAmount !== "12.50") throw new Error("decode mismatch");

const ops = {
    generate,
    decode: () => BakongKHQR.decode(qr),
    verify: () => BakongKHQR.verify(qr),
};

let sink = 0; // keep results observable
const nowNs = () => process.hrtime.bigint();

function runFor(fn, secs) {
    const budget = BigInt(Math.round(secs * 1e9));
    const start = nowNs();
    let n = 0;
    let elapsed = 0n;
    for (;;) {
        for (let i = 0; i < 64; i++) {
            const r = fn();
            sink ^= r.status ? r.status.code : r.isValid ? 1 : 0;
        }
        n += 64;
        elapsed = nowNs() - start;
        if (elapsed >= budget) break;
    }
    return (n * 1e9) / Number(elapsed);
}

// warm-up: all three operations interleaved, >= 2 s in total
{
    const start = nowNs();
    const budget = BigInt(WARMUP_SECONDS * 1e9);
    while (nowNs() - start < budget) for (const fn of Object.values(ops)) for (let i = 0; i < 32; i++) fn();
}

const result = {
    generate_per_s: Math.round(runFor(ops.generate, seconds)),
    decode_per_s: Math.round(runFor(ops.decode, seconds)),
    verify_per_s: Math.round(runFor(ops.verify, seconds)),
};
if (sink === 0.5) console.error("unreachable");
console.log(JSON.stringify(result));
