/* CRC-32C, COBS and the streaming decoder, independent of the vector files. */
#include <string.h>

#include "bkdisp.h"
#include "test.h"

void test_crc(void)
{
    static const uint8_t check[] = "123456789";
    uint32_t part;
    CHECK(bkd_crc32c(check, 9) == 0xE3069283u);
    CHECK(bkd_crc32c(check, 0) == 0x00000000u);
    part = bkd_crc32c_update(0xFFFFFFFFu, check, 4);
    CHECK((bkd_crc32c_update(part, check + 4, 5) ^ 0xFFFFFFFFu) == 0xE3069283u);
    {
        /* RFC 3720 (iSCSI) B.4: 32 bytes of zeros -> 0x8A9136AA, 32 bytes of 0xFF -> 0x62A8AB43 */
        uint8_t b[32];
        memset(b, 0, sizeof b);
        CHECK(bkd_crc32c(b, 32) == 0x8A9136AAu);
        memset(b, 0xFF, sizeof b);
        CHECK(bkd_crc32c(b, 32) == 0x62A8AB43u);
    }
}

static int cobs_is(const uint8_t *in, size_t n, const uint8_t *want, size_t wn)
{
    uint8_t out[600];
    size_t got = bkd_cobs_encode(in, n, out, sizeof out);
    return got == wn && memcmp(out, want, wn) == 0;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

void test_cobs(void)
{
    uint8_t in[600], want[600], out[BKD_MAX_WIRE];
    size_t i, len;
    uint32_t seed = 1;

    {
        static const uint8_t a[] = {0x00}, aw[] = {0x01, 0x01};
        static const uint8_t b[] = {0x00, 0x00}, bw[] = {0x01, 0x01, 0x01};
        static const uint8_t c[] = {0x00, 0x11, 0x00}, cw[] = {0x01, 0x02, 0x11, 0x01};
        static const uint8_t d[] = {0x11, 0x22, 0x00, 0x33}, dw[] = {0x03, 0x11, 0x22, 0x02, 0x33};
        static const uint8_t e[] = {0x11, 0x22, 0x33, 0x44}, ew[] = {0x05, 0x11, 0x22, 0x33, 0x44};
        static const uint8_t f[] = {0x11, 0x00, 0x00, 0x00}, fw[] = {0x02, 0x11, 0x01, 0x01, 0x01};
        static const uint8_t ow[] = {0x01};
        CHECK(cobs_is(a, 1, aw, 2));
        CHECK(cobs_is(b, 2, bw, 3));
        CHECK(cobs_is(c, 3, cw, 4));
        CHECK(cobs_is(d, 4, dw, 5));
        CHECK(cobs_is(e, 4, ew, 5));
        CHECK(cobs_is(f, 4, fw, 5));
        CHECK(cobs_is(in, 0, ow, 1));
    }
    /* 01..FE (254 bytes) -> FF 01..FE, with no trailing 01 */
    for (i = 0; i < 254; i++) in[i] = (uint8_t)(i + 1);
    want[0] = 0xFF;
    memcpy(want + 1, in, 254);
    CHECK(cobs_is(in, 254, want, 255));
    /* 00 01..FE -> 01 FF 01..FE */
    in[0] = 0;
    for (i = 1; i < 255; i++) in[i] = (uint8_t)i;
    want[0] = 0x01;
    want[1] = 0xFF;
    memcpy(want + 2, in + 1, 254);
    CHECK(cobs_is(in, 255, want, 256));
    /* 01..FF (255 bytes) -> FF 01..FE 02 FF */
    for (i = 0; i < 255; i++) in[i] = (uint8_t)(i + 1);
    want[0] = 0xFF;
    memcpy(want + 1, in, 254);
    want[255] = 0x02;
    want[256] = 0xFF;
    CHECK(cobs_is(in, 255, want, 257));
    /* too small an output buffer */
    CHECK(bkd_cobs_encode(in, 255, out, 256) == 0);
    CHECK(bkd_cobs_encode(in, 255, out, 257) == 257);

    /* round trip through frame encode and the decoder, every payload length 0..634, random bytes with zeros */
    {
        static bkd_decoder dec;
        static uint8_t p[BKD_MAX_PAYLOAD];
        int all_ok = 1;
        bkd_decoder_init(&dec);
        for (len = 0; len <= BKD_MAX_PAYLOAD; len++) {
            size_t n, j, got = 0;
            bkd_frame fr;
            for (j = 0; j < len; j++) p[j] = (uint8_t)(lcg(&seed) % 3u == 0 ? 0 : lcg(&seed));
            n = bkd_frame_encode(0x11, 1, (uint8_t)(len % 255u + 1u), p, len, out, sizeof out);
            if (n == 0 || n > BKD_MAX_WIRE) all_ok = 0;
            for (j = 0; j < n; j++) {
                if (bkd_decoder_push(&dec, out[j], &fr)) {
                    got++;
                    if (fr.len != len || (len && memcmp(fr.payload, p, len) != 0)) all_ok = 0;
                }
            }
            if (got != 1) all_ok = 0;
        }
        CHECK(all_ok);
        CHECK(bkd_decoder_drop_total(&dec) == 0);
        CHECK(bkd_frame_encode(0x11, 1, 1, p, BKD_MAX_PAYLOAD + 1, out, sizeof out) == 0);
        CHECK(bkd_frame_encode(0x11, 1, 1, p, 10, out, 12) == 0);
    }
}

void test_stream(void)
{
    static uint8_t wire[BKD_MAX_WIRE], garbage[4096];
    static bkd_decoder dec;
    bkd_frame fr;
    uint32_t seed = 7;
    size_t n, i, round, delivered = 0;
    const uint8_t payload[] = {0x02, 0x01};

    n = bkd_frame_encode(BKD_T_BEEP, BKD_FLAG_ACK_REQUESTED, 9, payload, sizeof payload, wire, sizeof wire);
    bkd_decoder_init(&dec);
    /* any garbage, then a whole frame: the frame is always delivered (its leading 0x00 resynchronises) */
    for (round = 0; round < 2000; round++) {
        size_t glen = lcg(&seed) % 1500u;
        int got = 0;
        for (i = 0; i < glen; i++) garbage[i] = (uint8_t)(lcg(&seed) % 5u == 0 ? 0 : lcg(&seed));
        for (i = 0; i < glen; i++) {
            if (bkd_decoder_push(&dec, garbage[i], &fr)) delivered++;
        }
        for (i = 0; i < n; i++) {
            if (bkd_decoder_push(&dec, wire[i], &fr)) {
                got++;
                CHECK(fr.type == BKD_T_BEEP && fr.seq == 9 && fr.len == 2 && memcmp(fr.payload, payload, 2) == 0);
            }
        }
        CHECK(got == 1);
    }
    CHECK(dec.frames == 2000u + delivered);
    CHECK(bkd_decoder_drop_total(&dec) > 0);
    /* a long run without 0x00 is discarded as one TOO_LONG, then the decoder works again */
    bkd_decoder_init(&dec);
    for (i = 0; i < 10000; i++) bkd_decoder_push(&dec, 0x41, &fr);
    for (i = 0; i < n; i++) delivered = (size_t)bkd_decoder_push(&dec, wire[i], &fr);
    CHECK(delivered == 1);
    CHECK(dec.drops[BKD_DROP_TOO_LONG] == 1 && bkd_decoder_drop_total(&dec) == 1);
    /* consecutive zeros are not errors */
    bkd_decoder_init(&dec);
    for (i = 0; i < 100; i++) bkd_decoder_push(&dec, 0x00, &fr);
    CHECK(bkd_decoder_drop_total(&dec) == 0 && dec.frames == 0);
}

static int digest_is(const char *msg, size_t repeat, const char *hex)
{
    bkd_sha256 s;
    uint8_t d[BKD_SHA256_LEN];
    char got[65];
    size_t i;
    bkd_sha256_init(&s);
    for (i = 0; i < repeat; i++) bkd_sha256_update(&s, (const uint8_t *)msg, strlen(msg));
    bkd_sha256_final(&s, d);
    for (i = 0; i < 32; i++) snprintf(got + 2 * i, 3, "%02x", d[i]);
    return strcmp(got, hex) == 0;
}

/* SHA-256 against FIPS 180-2 (the vector file has the short ones, read by the mac suite), fed in pieces of every size
 * so that the block boundary is crossed in every way. */
void test_sha(void)
{
    static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t whole[BKD_SHA256_LEN], parts[BKD_SHA256_LEN];
    size_t step;
    CHECK(digest_is("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK(digest_is("a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    CHECK(digest_is("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    {
        bkd_sha256 s;
        bkd_sha256_init(&s);
        bkd_sha256_update(&s, (const uint8_t *)m448, strlen(m448));
        bkd_sha256_final(&s, whole);
        for (step = 1; step <= strlen(m448); step++) {
            size_t at = 0;
            bkd_sha256_init(&s);
            while (at < strlen(m448)) {
                size_t n = strlen(m448) - at < step ? strlen(m448) - at : step;
                bkd_sha256_update(&s, (const uint8_t *)m448 + at, n);
                at += n;
            }
            bkd_sha256_final(&s, parts);
            CHECK(memcmp(whole, parts, sizeof whole) == 0);
        }
    }
    CHECK(digest_is(m448, 1, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}
