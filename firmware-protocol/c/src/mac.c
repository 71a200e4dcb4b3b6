/* SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and the optional QR MAC trailer of SHOW_QR / SHOW_RESULT (SPEC.md
 * section 6.5). Small rather than fast: one 64-byte block at a time, no tables but the round constants. */
#include "bkdisp.h"

static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static void compress(bkd_sha256 *s, const uint8_t *b)
{
    uint32_t w[64], a, bb, c, d, e, f, g, h, t1, t2;
    unsigned i;
    for (i = 0; i < 16; i++) {
        w[i] = ((uint32_t)b[4 * i] << 24) | ((uint32_t)b[4 * i + 1] << 16) | ((uint32_t)b[4 * i + 2] << 8) |
               (uint32_t)b[4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0];
    bb = s->h[1];
    c = s->h[2];
    d = s->h[3];
    e = s->h[4];
    f = s->h[5];
    g = s->h[6];
    h = s->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = bb;
        bb = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += bb;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

void bkd_sha256_init(bkd_sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    unsigned i;
    for (i = 0; i < 8; i++) {
        s->h[i] = iv[i];
    }
    s->total = 0;
    s->used = 0;
}

void bkd_sha256_update(bkd_sha256 *s, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        s->block[s->used++] = data[i];
        if (s->used == 64u) {
            compress(s, s->block);
            s->used = 0;
        }
    }
    s->total += len;
}

void bkd_sha256_final(bkd_sha256 *s, uint8_t out[BKD_SHA256_LEN])
{
    uint64_t bits = s->total * 8u;
    uint8_t pad = 0x80;
    uint8_t len_be[8];
    unsigned i;
    bkd_sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56u) {
        bkd_sha256_update(s, &pad, 1);
    }
    for (i = 0; i < 8; i++) {
        len_be[i] = (uint8_t)(bits >> (56u - 8u * i));
    }
    bkd_sha256_update(s, len_be, 8);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void bkd_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *p1, size_t n1, const uint8_t *p2, size_t n2,
                     const uint8_t *p3, size_t n3, uint8_t out[BKD_SHA256_LEN])
{
    uint8_t pad[64], inner[BKD_SHA256_LEN], short_key[BKD_SHA256_LEN];
    bkd_sha256 s;
    unsigned i;
    if (key_len > 64u) { /* RFC 2104: a key longer than the block is hashed first */
        bkd_sha256_init(&s);
        bkd_sha256_update(&s, key, key_len);
        bkd_sha256_final(&s, short_key);
        key = short_key;
        key_len = sizeof short_key;
    }
    for (i = 0; i < 64; i++) {
        pad[i] = (uint8_t)((i < key_len ? key[i] : 0u) ^ 0x36u);
    }
    bkd_sha256_init(&s);
    bkd_sha256_update(&s, pad, 64);
    bkd_sha256_update(&s, p1, n1);
    bkd_sha256_update(&s, p2, n2);
    bkd_sha256_update(&s, p3, n3);
    bkd_sha256_final(&s, inner);
    for (i = 0; i < 64; i++) {
        pad[i] ^= 0x36u ^ 0x5cu;
    }
    bkd_sha256_init(&s);
    bkd_sha256_update(&s, pad, 64);
    bkd_sha256_update(&s, inner, sizeof inner);
    bkd_sha256_final(&s, out);
}

/* The tag: HMAC-SHA256(key, boot_id u32le | type u8 | payload-and-counter) truncated to 16 bytes. */
static void tag_of(const uint8_t *key, size_t key_len, uint32_t boot_id, uint8_t type, const uint8_t *signed_bytes,
                   size_t n, uint8_t tag[BKD_SHA256_LEN])
{
    uint8_t head[5];
    head[0] = (uint8_t)boot_id;
    head[1] = (uint8_t)(boot_id >> 8);
    head[2] = (uint8_t)(boot_id >> 16);
    head[3] = (uint8_t)(boot_id >> 24);
    head[4] = type;
    bkd_hmac_sha256(key, key_len, head, sizeof head, signed_bytes, n, 0, 0, tag);
}

size_t bkd_mac_append(const uint8_t *key, size_t key_len, uint32_t boot_id, uint8_t type, uint32_t counter,
                      uint8_t *payload, size_t len, size_t cap)
{
    uint8_t tag[BKD_SHA256_LEN];
    unsigned i;
    if (key_len == 0 || key_len > BKD_MAC_KEY_MAX || cap < len || cap - len < BKD_MAC_TRAILER_LEN) {
        return 0;
    }
    for (i = 0; i < 4; i++) {
        payload[len + i] = (uint8_t)(counter >> (8u * i));
    }
    tag_of(key, key_len, boot_id, type, payload, len + 4u, tag);
    for (i = 0; i < BKD_MAC_TAG_LEN; i++) {
        payload[len + 4u + i] = tag[i];
    }
    return len + BKD_MAC_TRAILER_LEN;
}

int bkd_mac_check(const uint8_t *key, size_t key_len, uint32_t boot_id, uint8_t type, const uint8_t *payload, size_t len,
                  uint32_t *counter)
{
    uint8_t tag[BKD_SHA256_LEN];
    uint8_t diff = 0;
    size_t at, i;
    if (key_len == 0 || key_len > BKD_MAC_KEY_MAX || len < BKD_MAC_TRAILER_LEN) {
        return 0;
    }
    at = len - BKD_MAC_TRAILER_LEN; /* the counter */
    tag_of(key, key_len, boot_id, type, payload, at + 4u, tag);
    for (i = 0; i < BKD_MAC_TAG_LEN; i++) {
        diff |= (uint8_t)(tag[i] ^ payload[at + 4u + i]); /* constant time: no early exit */
    }
    if (diff != 0) {
        return 0;
    }
    *counter = (uint32_t)payload[at] | ((uint32_t)payload[at + 1] << 8) | ((uint32_t)payload[at + 2] << 16) |
               ((uint32_t)payload[at + 3] << 24);
    return 1;
}
