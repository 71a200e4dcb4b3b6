/* libFuzzer harness: the streaming decoder, message unpack/pack (v1.0 and v1.1), and the device session, on
 * arbitrary bytes.
 *   clang, -fsanitize=fuzzer,address,undefined (cmake -DBKD_FUZZ=ON); seed corpus from vectors/ (make_corpus).
 * Properties checked (a violation aborts, which libFuzzer reports as a crash):
 *   - a delivered frame has len <= 634 and its payload inside the decoder buffer;
 *   - unpack never reads outside the payload (ASan), and for every type but SET_CONFIG packing what was unpacked
 *     gives back exactly the unpacked prefix of the payload (as v1.1 and as v1.0);
 *   - the device session never writes a frame that the decoder would not accept (fed raw bytes, fed valid frames
 *     built from the input, and fed valid frames with QR MAC trailers to a session with a key);
 *   - the result latch: a result on screen is latched, and the QR screen never shows a latched payment;
 *   - the MAC: a session with a key never shows a QR or result that did not carry a valid trailer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bkd_decoder out_dec;
static uint32_t clock_ms;

static uint32_t fz_now(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

static void fz_write(void *ctx, const uint8_t *b, size_t n)
{
    size_t i;
    bkd_frame f;
    (void)ctx;
    for (i = 0; i < n; i++) {
        (void)bkd_decoder_push(&out_dec, b[i], &f);
    }
    if (bkd_decoder_drop_total(&out_dec) != 0) abort();
}

static void check_message(uint8_t type, const uint8_t *p, size_t len)
{
    bkd_msg m;
    uint8_t again[BKD_MAX_PAYLOAD];
    size_t n = 0;
    uint8_t minor;
    for (minor = 0; minor <= 1; minor++) {
        int r = bkd_msg_unpack_minor(type, p, len, minor, &m);
        if (r != BKD_R_OK || type == BKD_T_SET_CONFIG) continue;
        r = bkd_msg_pack(&m, again, sizeof again, &n);
        /* a v1.0 view may accept values that v1.1 packing refuses (an empty payment id, a currency out of range) */
        if (r == BKD_R_BAD_PAYLOAD && minor == 0) continue;
        if (r != BKD_R_OK || n > len || memcmp(again, p, n) != 0) abort();
    }
}

/* The latch invariant, checked after every step. */
static void check_latch(const bkd_dev *d)
{
    if (d->screen == BKD_SCREEN_STATUS && d->payment_id_len > 0 && !bkd_dev_latched(d, d->payment_id, d->payment_id_len))
        abort();
    if (d->screen == BKD_SCREEN_QR && bkd_dev_latched(d, d->payment_id, d->payment_id_len)) abort();
}

static const uint8_t fuzz_key[32] = {7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                     13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static int authentic_shown; /* the MAC session: a tagged SHOW_QR / SHOW_RESULT was accepted */

static void mac_command(void *ctx, const bkd_msg *m)
{
    (void)ctx;
    if (m->type == BKD_T_SHOW_QR || m->type == BKD_T_SHOW_RESULT || m->type == BKD_T_SET_STATUS) {
        if (!authentic_shown) abort(); /* applied without a trailer that the harness made */
        authentic_shown = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bkd_decoder dec;
    static bkd_dev dev;
    bkd_dev_config cfg;
    bkd_frame f;
    size_t i;

    /* 1. the decoder, one byte at a time; every delivered frame's payload through unpack/pack */
    bkd_decoder_init(&dec);
    for (i = 0; i < size; i++) {
        if (bkd_decoder_push(&dec, data[i], &f)) {
            if (f.len > BKD_MAX_PAYLOAD || f.payload < dec.buf || f.payload + f.len > dec.buf + sizeof dec.buf) abort();
            check_message(f.type, f.payload, f.len);
        }
    }
    /* 2. the raw input as one message payload: first byte = type */
    if (size > 0) check_message(data[0], data + 1, size - 1);

    /* 3. the device session fed the same bytes, the clock moving 7 ms per byte */
    memset(&cfg, 0, sizeof cfg);
    cfg.now_ms = fz_now;
    cfg.write = fz_write;
    cfg.boot_id = 0x12345678u;
    cfg.capabilities = BKD_CAP_QR;
    cfg.fw_version = "1.0.0";
    cfg.model = "fuzz";
    cfg.serial = "0";
    clock_ms = 0xFFFFF000u; /* wraps during long inputs */
    bkd_decoder_init(&out_dec);
    bkd_dev_init(&dev, &cfg);
    for (i = 0; i < size; i++) {
        clock_ms += 7;
        bkd_dev_rx(&dev, &data[i], 1);
        if (i % 16 == 0) (void)bkd_dev_poll(&dev);
        (void)bkd_dev_take_redraw(&dev);
        check_latch(&dev);
    }
    clock_ms += 60000;
    (void)bkd_dev_poll(&dev);
    check_latch(&dev);

    /* 4. the session fed VALID frames built from the input, so the CRC does not hide the session from the fuzzer:
     *    records of [type][flags][seq][n][n payload bytes][clock step]; most of them well-formed messages */
    bkd_dev_init(&dev, &cfg);
    i = 0;
    while (i + 4 <= size) {
        uint8_t wire[BKD_MAX_WIRE];
        size_t n = data[i + 3], w;
        if (i + 4 + n > size) n = size - i - 4;
        w = bkd_frame_encode(data[i], data[i + 1], data[i + 2], data + i + 4, n, wire, sizeof wire);
        if (w == 0) abort();
        bkd_dev_rx(&dev, wire, w);
        i += 4 + n;
        if (i < size) clock_ms += (uint32_t)data[i++] * 40u; /* up to ~10 s per step */
        (void)bkd_dev_poll(&dev);
        (void)bkd_dev_take_redraw(&dev);
        check_latch(&dev);
    }

    /* 5. a session with a QR MAC key, fed valid frames; for SHOW_QR / SHOW_RESULT records whose flags byte has bit 7
     *    set the harness appends a correct trailer with counter = the seq byte: only those may be applied */
    cfg.mac_key = fuzz_key;
    cfg.mac_key_len = sizeof fuzz_key;
    cfg.on_command = mac_command;
    bkd_decoder_init(&out_dec);
    bkd_dev_init(&dev, &cfg);
    i = 0;
    while (i + 4 <= size) {
        uint8_t wire[BKD_MAX_WIRE], p[BKD_MAX_PAYLOAD];
        size_t n = data[i + 3], w;
        uint8_t type = data[i], flags = (uint8_t)(data[i + 1] & 0x7Fu);
        if (i + 4 + n > size) n = size - i - 4;
        if (n > BKD_MAX_PAYLOAD - BKD_MAC_TRAILER_LEN) n = BKD_MAX_PAYLOAD - BKD_MAC_TRAILER_LEN;
        memcpy(p, data + i + 4, n);
        authentic_shown = 0;
        if ((data[i + 1] & 0x80u) && (type == BKD_T_SHOW_QR || type == BKD_T_SHOW_RESULT)) {
            n = bkd_mac_append(fuzz_key, sizeof fuzz_key, cfg.boot_id, type, data[i + 2], p, n, sizeof p);
            authentic_shown = data[i + 2] > dev.mac_counter; /* the device may apply it */
        }
        w = bkd_frame_encode(type, flags, data[i + 2], p, n, wire, sizeof wire);
        if (w == 0) abort();
        bkd_dev_rx(&dev, wire, w);
        i += 4 + (size_t)data[i + 3];
        if (i < size) clock_ms += (uint32_t)data[i++] * 40u;
        (void)bkd_dev_poll(&dev);
        (void)bkd_dev_take_redraw(&dev);
        check_latch(&dev);
    }
    return 0;
}
