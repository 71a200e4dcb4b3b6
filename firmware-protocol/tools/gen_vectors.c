/* Generates firmware-protocol/vectors/frames.txt and messages.txt from the C reference implementation.
 * Every record is checked against the implementation while it is written (a record that would not pass the tests
 * aborts the generator). Deterministic: no clock, no random source.
 *
 *   gen_vectors OUT_DIR            writes OUT_DIR/frames.txt and OUT_DIR/messages.txt
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"
#include "vecfmt.h"

static FILE *ff, *fm;

static void die(const char *what, const char *name)
{
    fprintf(stderr, "gen_vectors: %s: %s\n", what, name);
    exit(1);
}

static bkd_str S(const char *s)
{
    bkd_str r;
    r.ptr = (const uint8_t *)s;
    r.len = (uint16_t)strlen(s);
    return r;
}

/* ---- frames.txt --------------------------------------------------------------------------------------------- */

static size_t decode_all(const uint8_t *wire, size_t n, bkd_decoder *d, bkd_frame *last)
{
    size_t i, frames = 0;
    bkd_frame f;
    bkd_decoder_init(d);
    for (i = 0; i < n; i++) {
        if (bkd_decoder_push(d, wire[i], &f)) {
            frames++;
            if (last) *last = f;
        }
    }
    return frames;
}

static void frame_rec(const char *name, uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *p, size_t len)
{
    uint8_t wire[BKD_MAX_WIRE];
    static bkd_decoder d;
    bkd_frame f;
    size_t n = bkd_frame_encode(type, flags, seq, p, len, wire, sizeof wire);
    memset(&f, 0, sizeof f);
    if (n == 0) die("encode failed", name);
    if (decode_all(wire, n, &d, &f) != 1 || f.type != type || f.flags != flags || f.seq != seq || f.len != len ||
        (len && memcmp(f.payload, p, len) != 0))
        die("round trip failed", name);
    fprintf(ff, "frame %s 0x%02x 0x%02x 0x%02x ", name, type, flags, seq);
    vec_hex(ff, p, len);
    fputc(' ', ff);
    vec_hex(ff, wire, n);
    fputc('\n', ff);
}

static void reject_rec(const char *name, const uint8_t *wire, size_t n, int drop)
{
    static bkd_decoder d;
    if (decode_all(wire, n, &d, 0) != 0 || bkd_decoder_drop_total(&d) != 1) die("reject not one drop", name);
    if (drop < 0) { /* whichever kind the rules give; the tests hold every implementation to it */
        for (drop = 0; d.drops[drop] == 0; drop++) {
        }
    }
    if (d.drops[drop] != 1) die("reject not as expected", name);
    fprintf(ff, "reject %s ", name);
    vec_hex(ff, wire, n);
    fprintf(ff, " %s\n", bkd_drop_name(drop));
}

static void stream_rec(const char *name, const uint8_t *wire, size_t n, size_t frames, uint32_t errors)
{
    static bkd_decoder d;
    if (decode_all(wire, n, &d, 0) != frames || bkd_decoder_drop_total(&d) != errors) die("stream counts", name);
    fprintf(ff, "stream %s ", name);
    vec_hex(ff, wire, n);
    fprintf(ff, " %lu %lu\n", (unsigned long)frames, (unsigned long)errors);
}

/* Raw decoded frame (header payload crc) with a chosen len field, then COBS; for the malformed cases. */
static size_t raw_wire(uint8_t ver, uint8_t type, uint8_t flags, uint8_t seq, uint16_t len_field, const uint8_t *p,
                       size_t plen, int crc_fix, uint8_t *wire, size_t cap)
{
    static uint8_t raw[2048];
    uint32_t crc;
    size_t n;
    raw[0] = ver;
    raw[1] = type;
    raw[2] = flags;
    raw[3] = seq;
    raw[4] = (uint8_t)(len_field & 0xFFu);
    raw[5] = (uint8_t)(len_field >> 8);
    memcpy(raw + 6, p, plen);
    crc = bkd_crc32c(raw, 6 + plen) ^ (crc_fix ? 0u : 0x00000100u);
    raw[6 + plen] = (uint8_t)crc;
    raw[7 + plen] = (uint8_t)(crc >> 8);
    raw[8 + plen] = (uint8_t)(crc >> 16);
    raw[9 + plen] = (uint8_t)(crc >> 24);
    wire[0] = 0;
    n = bkd_cobs_encode(raw, plen + 10, wire + 1, cap - 2);
    if (n == 0) die("raw_wire", "cobs");
    wire[n + 1] = 0;
    return n + 2;
}

/* ---- messages.txt ------------------------------------------------------------------------------------------- */

static uint8_t payload_of(const bkd_msg *m, uint8_t *out, size_t *len, const char *name)
{
    if (bkd_msg_pack(m, out, BKD_MAX_PAYLOAD, len) != BKD_R_OK) die("pack failed", name);
    return m->type;
}

static void message_rec(const char *kind, const char *name, const bkd_msg *m, const uint8_t *extra, size_t extra_len)
{
    static uint8_t p[BKD_MAX_PAYLOAD + 64];
    static char want[8192], got[8192];
    size_t len;
    bkd_msg u;
    payload_of(m, p, &len, name);
    if (extra_len) memcpy(p + len, extra, extra_len);
    len += extra_len;
    if (bkd_msg_unpack(m->type, p, len, &u) != BKD_R_OK) die("unpack failed", name);
    if (vec_format_fields(m, want, sizeof want) || vec_format_fields(&u, got, sizeof got) || strcmp(want, got) != 0)
        die("unpack differs", name);
    fprintf(fm, "%s %s 0x%02x ", kind, name, m->type);
    vec_hex(fm, p, len);
    fprintf(fm, "%s\n", want);
}

static void bad_rec(const char *name, uint8_t type, const uint8_t *p, size_t len, int result)
{
    bkd_msg u;
    if (bkd_msg_unpack(type, p, len, &u) != result) die("bad-message not rejected as expected", name);
    fprintf(fm, "bad-message %s 0x%02x ", name, type);
    vec_hex(fm, p, len);
    fprintf(fm, " %s\n", result == BKD_R_BAD_PAYLOAD ? "BAD_PAYLOAD" : "UNKNOWN_TYPE");
}

/* A real KHQR (bakong-khqr 1.0.20, tests/Bakong.Khqr.Tests/Vectors/sdk-1.0.20.jsonl generate-dynamic-4). */
static const char khqr[] =
    "00020101021229190015sokha_chan@aclb5204599953031165405250005802KH5910Sokha Chan6010Phnom Penh"
    "9934001317672263524020113176722665240263045185";
static const char pay_id[] = "01JDW6ZK8Q4T3N5V7X9B2C4D6F";
static const char khmer_shop[] = "\xe1\x9e\xa0\xe1\x9e\xb6\xe1\x9e\x84\xe1\x9e\x80\xe1\x9e\xb6\xe1\x9e\xa0\xe1\x9f\x92"
                                 "\xe1\x9e\x9c\xe1\x9f\x81 \xe1\x9e\x9f\xe1\x9e\xbb\xe1\x9e\x81\xe1\x9e\xb6"; /* ហាងកាហ្វេ សុខា */
static const char khmer_welcome[] = "\xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x9c\xe1\x9e"
                                    "\xb6\xe1\x9e\x82\xe1\x9e\x98\xe1\x9e\x93\xe1\x9f\x8d"; /* សូមស្វាគមន៍ */
#define BOOT_ID 0x5EB0071Du

static bkd_msg m_hello(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_HELLO;
    m.u.hello.proto_major = 1;
    m.u.hello.proto_minor = 0;
    m.u.hello.host_time_unix_ms = 1767226352402ull;
    m.u.hello.heartbeat_ms = 1000;
    m.u.hello.link_timeout_ms = 3000;
    m.u.hello.host_name = S("bakong-gateway");
    return m;
}
static bkd_msg m_empty(uint8_t type)
{
    bkd_msg m = {0};
    m.type = type;
    return m;
}
static bkd_msg m_idle(const char *a, const char *b)
{
    bkd_msg m = {0};
    m.type = BKD_T_SHOW_IDLE;
    m.u.show_idle.merchant_name = S(a);
    m.u.show_idle.line2 = S(b);
    return m;
}
static bkd_msg m_qr(const char *merchant, const char *qr)
{
    bkd_msg m = {0};
    m.type = BKD_T_SHOW_QR;
    m.u.show_qr.payment_id = S(pay_id);
    m.u.show_qr.amount_minor = 25000;
    m.u.show_qr.currency = 116;
    m.u.show_qr.exponent = 0;
    m.u.show_qr.expire_unix_ms = 1767226652402ull;
    m.u.show_qr.seconds_left = 300;
    m.u.show_qr.merchant_name = S(merchant);
    m.u.show_qr.qr = S(qr);
    return m;
}
static bkd_msg m_status(uint8_t status, const char *msg)
{
    bkd_msg m = {0};
    m.type = BKD_T_SET_STATUS;
    m.u.set_status.payment_id = S(pay_id);
    m.u.set_status.status = status;
    m.u.set_status.message = S(msg);
    return m;
}
static bkd_msg m_config(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_SET_CONFIG;
    m.u.set_config.has_brightness = 1;
    m.u.set_config.brightness = 80;
    m.u.set_config.has_beep_on_result = 1;
    m.u.set_config.beep_on_result = 1;
    m.u.set_config.has_language = 1;
    m.u.set_config.language = 1;
    return m;
}
static bkd_msg m_beep(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_BEEP;
    m.u.beep.pattern = 2;
    m.u.beep.repeat = 1;
    return m;
}
static bkd_msg m_hello_ack(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_HELLO_ACK;
    m.u.hello_ack.proto_major = 1;
    m.u.hello_ack.proto_minor = 0;
    m.u.hello_ack.boot_id = BOOT_ID;
    m.u.hello_ack.mtu = 640;
    m.u.hello_ack.capabilities = BKD_CAP_QR | BKD_CAP_BEEP | BKD_CAP_COLOR | BKD_CAP_KHMER_TEXT;
    m.u.hello_ack.fw_version = S("1.0.0");
    m.u.hello_ack.model = S("BKD-QR35");
    m.u.hello_ack.serial = S("SN000123");
    return m;
}
static bkd_msg m_pong(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_PONG;
    m.u.pong.boot_id = BOOT_ID;
    m.u.pong.uptime_ms = 123456;
    m.u.pong.screen = BKD_SCREEN_QR;
    return m;
}
static bkd_msg m_state(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_STATE;
    m.u.state.screen = BKD_SCREEN_QR;
    m.u.state.status = BKD_STATUS_WAITING;
    m.u.state.seconds_left = 287;
    m.u.state.payment_id = S(pay_id);
    return m;
}
static bkd_msg m_ack(uint8_t result, uint8_t acked)
{
    bkd_msg m = {0};
    m.type = BKD_T_ACK;
    m.u.ack.result = result;
    m.u.ack.acked_type = acked;
    return m;
}
static bkd_msg m_boot(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_BOOT;
    m.u.boot.boot_id = BOOT_ID;
    m.u.boot.reset_reason = 1;
    m.u.boot.fw_version = S("1.0.0");
    m.u.boot.model = S("BKD-QR35");
    return m;
}
static bkd_msg m_changed(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_STATE_CHANGED;
    m.u.state_changed.screen = BKD_SCREEN_STATUS;
    m.u.state_changed.status = BKD_STATUS_EXPIRED;
    m.u.state_changed.seconds_left = 0;
    m.u.state_changed.payment_id = S(pay_id);
    m.u.state_changed.reason = BKD_REASON_EXPIRED_LOCALLY;
    return m;
}
static bkd_msg m_log(void)
{
    bkd_msg m = {0};
    m.type = BKD_T_LOG;
    m.u.log.level = 1;
    m.u.log.text = S("qr rendered in 41 ms");
    return m;
}

static void frame_msg(const char *name, const bkd_msg *m, uint8_t flags, uint8_t seq)
{
    uint8_t p[BKD_MAX_PAYLOAD];
    size_t len;
    payload_of(m, p, &len, name);
    frame_rec(name, m->type, flags, seq, p, len);
}

static void frames(void)
{
    static uint8_t p[2048], w[4096], w2[4096];
    bkd_msg m;
    size_t i, n, n2, len;
    const uint8_t REQ = BKD_FLAG_ACK_REQUESTED, RESP = BKD_FLAG_RESPONSE;

    fprintf(ff, "# Bakong display protocol v1 frame vectors. Generated by firmware-protocol/tools/gen_vectors.c;\n"
                "# do not edit. Format: vectors/README.md.\n\n# Every message type, as sent on the wire.\n");
    m = m_hello();
    frame_msg("hello", &m, REQ, 1);
    m = m_empty(BKD_T_PING);
    frame_msg("ping", &m, REQ, 2);
    m = m_idle("Sokha Chan", "");
    frame_msg("show-idle", &m, REQ, 3);
    m = m_qr("Sokha Chan", khqr);
    frame_msg("show-qr", &m, REQ, 4);
    m = m_status(BKD_STATUS_PAID, "Thank you");
    frame_msg("set-status", &m, REQ, 5);
    m = m_empty(BKD_T_CLEAR);
    frame_msg("clear", &m, REQ, 6);
    m = m_config();
    frame_msg("set-config", &m, REQ, 7);
    m = m_beep();
    frame_msg("beep", &m, REQ, 8);
    m = m_empty(BKD_T_GET_STATE);
    frame_msg("get-state", &m, REQ, 9);
    m = m_hello_ack();
    frame_msg("hello-ack", &m, RESP, 1);
    m = m_pong();
    frame_msg("pong", &m, RESP, 2);
    m = m_state();
    frame_msg("state", &m, RESP, 9);
    m = m_ack(BKD_R_OK, BKD_T_SHOW_QR);
    frame_msg("ack", &m, RESP, 4);
    m = m_ack(BKD_R_BAD_STATE, BKD_T_SET_STATUS);
    frame_msg("ack-bad-state", &m, RESP, 5);
    m = m_boot();
    frame_msg("boot", &m, REQ, 1);
    m = m_ack(BKD_R_OK, BKD_T_BOOT);
    frame_msg("ack-from-host", &m, RESP, 1);
    m = m_changed();
    frame_msg("state-changed", &m, REQ, 2);
    m = m_log();
    frame_msg("log", &m, 0, 0);

    fprintf(ff, "\n# Sequence numbers: 255 is used, the next is 1 (0 is never a sequenced frame).\n");
    m = m_empty(BKD_T_PING);
    frame_msg("ping-seq-255", &m, REQ, 255);
    frame_msg("ping-seq-1-after-wrap", &m, REQ, 1);

    fprintf(ff, "\n# Empty payload with an unknown type (the frame layer does not care about types).\n");
    frame_rec("empty-payload-unknown-type", 0x7e, REQ, 10, p, 0);

    fprintf(ff, "\n# COBS block boundaries: a run of exactly 253, 254 and 255 non-zero bytes between two zeros\n"
                "# (payload 00, run, 00).\n");
    for (i = 253; i <= 255; i++) {
        char name[64];
        p[0] = 0;
        memset(p + 1, 0x42, i);
        p[i + 1] = 0;
        sprintf(name, "cobs-run-%lu", (unsigned long)i);
        frame_rec(name, BKD_T_LOG, 0, 0, p, i + 2);
    }
    fprintf(ff, "\n# The frame ends with a run of exactly 254 non-zero bytes: canonical COBS ends with the 0xff block,\n"
                "# no extra 0x01 code byte.\n");
    for (i = 1; i < 255; i++) {
        uint32_t crc;
        uint8_t raw[6 + 251];
        p[0] = 0;
        memset(p + 1, (int)i, 250);
        raw[0] = 1;
        raw[1] = BKD_T_LOG;
        raw[2] = 0;
        raw[3] = 0;
        raw[4] = 251;
        raw[5] = 0;
        memcpy(raw + 6, p, 251);
        crc = bkd_crc32c(raw, sizeof raw);
        if ((crc & 0xFFu) && (crc & 0xFF00u) && (crc & 0xFF0000u) && (crc & 0xFF000000u)) break;
    }
    frame_rec("cobs-final-run-254", BKD_T_LOG, 0, 0, p, 251);

    fprintf(ff, "\n# Maximum size: payload 634 (header+payload 640); no zero byte anywhere, so the wire form is\n"
                "# 1 + 647 + 1 = 649 bytes.\n");
    for (i = 1; i < 255; i++) {
        memset(p, (int)i, 634);
        n = bkd_frame_encode(BKD_T_LOG, REQ, 11, p, 634, w, sizeof w);
        if (n == BKD_MAX_WIRE) break;
    }
    frame_rec("max-payload-634", BKD_T_LOG, REQ, 11, p, 634);
    for (i = 0; i < 634; i++) p[i] = (uint8_t)(i * 7u);
    frame_rec("max-payload-634-with-zeros", BKD_T_LOG, REQ, 12, p, 634);

    fprintf(ff, "\n# Rejected frames: each yields no frame and counts exactly one drop of the named kind.\n");
    for (i = 1; i < 255; i++) {
        memset(p, (int)i, 635);
        n = raw_wire(1, BKD_T_LOG, REQ, 13, 635, p, 635, 1, w, sizeof w);
        if (n == BKD_MAX_WIRE + 1) break;
    }
    reject_rec("over-max-payload-635", w, n, BKD_DROP_TOO_LONG);
    memset(p, 0, 635);
    n = raw_wire(1, BKD_T_LOG, REQ, 13, 635, p, 635, 1, w, sizeof w);
    reject_rec("over-max-decoded-645-short-wire", w, n, BKD_DROP_TOO_LONG);
    w[0] = 0;
    for (i = 1; i <= 1000; i++) w[i] = (uint8_t)(1u + i % 255u);
    w[1001] = 0;
    reject_rec("garbage-1000-bytes-no-zero", w, 1002, BKD_DROP_TOO_LONG);

    m = m_ack(BKD_R_OK, BKD_T_SHOW_QR);
    payload_of(&m, p, &len, "ack");
    n = raw_wire(1, BKD_T_ACK, RESP, 4, (uint16_t)len, p, len, 0, w, sizeof w);
    reject_rec("bad-crc", w, n, BKD_DROP_BAD_CRC);
    n = bkd_frame_encode(BKD_T_ACK, RESP, 4, p, len, w, sizeof w);
    w[n - 2] ^= 0x01; /* one bit of the last CRC byte flipped (a data byte, not a code byte, in this frame) */
    reject_rec("bit-flip", w, n, BKD_DROP_BAD_CRC);
    n = raw_wire(1, BKD_T_ACK, RESP, 4, (uint16_t)(len + 1), p, len, 1, w, sizeof w);
    reject_rec("len-too-big", w, n, BKD_DROP_LENGTH_MISMATCH);
    n = raw_wire(1, BKD_T_ACK, RESP, 4, (uint16_t)(len - 1), p, len, 1, w, sizeof w);
    reject_rec("len-too-small", w, n, BKD_DROP_LENGTH_MISMATCH);
    {
        static const uint8_t short4[] = {0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x00};
        static const uint8_t short9[] = {0x00, 0x0a, 0x01, 0x02, 0x01, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x00};
        static const uint8_t cobs_bad[] = {0x00, 0x0f, 0x01, 0x8f, 0x02, 0x04, 0x00};
        static const uint8_t one[] = {0x00, 0x42, 0x00};
        reject_rec("too-short-4", short4, sizeof short4, BKD_DROP_TOO_SHORT);
        reject_rec("too-short-9", short9, sizeof short9, BKD_DROP_TOO_SHORT);
        reject_rec("cobs-code-past-end", cobs_bad, sizeof cobs_bad, BKD_DROP_COBS_INVALID);
        reject_rec("single-byte", one, sizeof one, BKD_DROP_COBS_INVALID);
    }
    m = m_qr("Sokha Chan", khqr);
    payload_of(&m, p, &len, "show-qr");
    n = bkd_frame_encode(BKD_T_SHOW_QR, REQ, 4, p, len, w, sizeof w);
    w[n / 2] = 0x00; /* truncated: the second half never arrived, the next frame's leading 0x00 ends it */
    reject_rec("truncated-show-qr", w, n / 2 + 1, -1);
    m = m_empty(BKD_T_PING);
    n = bkd_frame_encode(BKD_T_PING, REQ, 2, p, 0, w, sizeof w);
    w[n - 3] = 0x00; /* the last two CRC bytes lost */
    reject_rec("truncated-ping-crc", w, n - 2, -1);

    fprintf(ff, "\n# Check order (SPEC.md section 4.2): the length check comes before the COBS check. Each candidate is\n"
                "# k blocks 01 (k zeros) then an incomplete block 05 41 (a code byte promising 4 bytes, 1 present):\n"
                "# decoded length k + 1. Over 644 it is TOO_LONG even though the last block is incomplete.\n");
    {
        static const size_t ks[] = {643, 644, 645, 646};
        static const char *const names[] = {"incomplete-last-block-decoded-644", "incomplete-last-block-decoded-645",
                                            "incomplete-last-block-647-encoded", "incomplete-last-block-648-encoded"};
        static const int drops[] = {BKD_DROP_COBS_INVALID, BKD_DROP_TOO_LONG, BKD_DROP_TOO_LONG, BKD_DROP_TOO_LONG};
        size_t k;
        for (k = 0; k < 4; k++) {
            w[0] = 0;
            memset(w + 1, 0x01, ks[k]);
            w[1 + ks[k]] = 0x05;
            w[2 + ks[k]] = 0x41;
            w[3 + ks[k]] = 0;
            reject_rec(names[k], w, ks[k] + 4, drops[k]);
        }
        /* the same with a non-zero final run: 0xff blocks, then an incomplete one */
        w[0] = 0;
        w[1] = 0xFF;
        memset(w + 2, 0x41, 254);
        w[256] = 0xFF;
        memset(w + 257, 0x42, 254);
        w[511] = 0xFF; /* promises 254 bytes; 136 are present */
        memset(w + 512, 0x43, 136);
        w[648] = 0; /* 647 encoded, 254 + 254 + 136 = 644 decoded: within the limit, so COBS_INVALID */
        reject_rec("incomplete-ff-block-decoded-644", w, 649, BKD_DROP_COBS_INVALID);
    }

    fprintf(ff, "\n# Streams fed byte by byte: <frames> frames delivered, <errors> drops counted in total.\n");
    m = m_hello();
    payload_of(&m, p, &len, "hello");
    n = bkd_frame_encode(BKD_T_HELLO, REQ, 1, p, len, w, sizeof w);
    stream_rec("one-frame", w, n, 1, 0);
    {
        static const char banner[] = "ESP-ROM:esp32s3-20210327\r\nrst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\n";
        n2 = strlen(banner);
        memcpy(w2, banner, n2);
        memcpy(w2 + n2, w, n);
        stream_rec("boot-banner-before-frame", w2, n2 + n, 1, 1);
    }
    memcpy(w2, w, n);
    memcpy(w2 + n, w, n);
    stream_rec("two-frames-back-to-back", w2, 2 * n, 2, 0);
    memcpy(w2, w, n);
    w2[n] = 0x13;
    w2[n + 1] = 0x37;
    memcpy(w2 + n + 2, w, n);
    stream_rec("garbage-between-frames", w2, 2 * n + 2, 2, 1);
    memset(w2, 0, 8);
    memcpy(w2 + 8, w, n);
    memset(w2 + 8 + n, 0, 8);
    stream_rec("consecutive-zeros-ignored", w2, n + 16, 1, 0);
    for (i = 0; i < 300; i++) w2[i] = (uint8_t)((i * 1103515245u + 12345u) >> 16);
    memcpy(w2 + 300, w, n);
    {
        static bkd_decoder d;
        size_t f = decode_all(w2, 300 + n, &d, 0);
        stream_rec("pseudo-random-garbage-then-frame", w2, 300 + n, f, bkd_decoder_drop_total(&d));
    }
    memcpy(w2, w, n - 1); /* a frame whose trailing 0x00 was lost: the next frame's leading 0x00 ends it */
    memcpy(w2 + n - 1, w, n);
    stream_rec("missing-trailing-zero", w2, 2 * n - 1, 2, 0);
    memcpy(w2, w, n / 2); /* half a frame, then a whole frame */
    memcpy(w2 + n / 2, w, n);
    stream_rec("half-frame-then-frame", w2, n / 2 + n, 1, 1);
    n = raw_wire(2, BKD_T_HELLO, REQ, 1, (uint16_t)len, p, len, 1, w, sizeof w);
    stream_rec("version-2-frame-is-delivered", w, n, 1, 0);
    /* a drop is counted when its candidate ends (at the 0x00), also for TOO_LONG: an over-long candidate that has
     * not ended yet is not counted */
    w2[0] = 0;
    memset(w2 + 1, 0x41, 700);
    stream_rec("too-long-not-ended-not-counted", w2, 701, 0, 0);
    m = m_hello();
    payload_of(&m, p, &len, "hello");
    n = bkd_frame_encode(BKD_T_HELLO, REQ, 1, p, len, w, sizeof w);
    memcpy(w2 + 701, w, n);
    stream_rec("too-long-then-frame", w2, 701 + n, 1, 1);
    /* the non-canonical encoding of a final 254-byte run (an extra 0x01 code byte) decodes to the same frame */
    {
        uint8_t q[251];
        q[0] = 0;
        for (i = 1; i < 255; i++) {
            memset(q + 1, (int)i, 250);
            n = bkd_frame_encode(BKD_T_LOG, 0, 0, q, 251, w, sizeof w);
            if (w[n - 2 - 254] == 0xFF) break;
        }
        w[n - 1] = 0x01;
        w[n] = 0x00;
        stream_rec("non-canonical-final-01-accepted", w, n + 1, 1, 0);
    }
}

static void messages(void)
{
    static uint8_t p[2048];
    static char qr512[BKD_QR_MAX + 1], long97[98], long33[34];
    bkd_msg m;
    size_t len, i;

    fprintf(fm, "# Bakong display protocol v1 message vectors. Generated by firmware-protocol/tools/gen_vectors.c;\n"
                "# do not edit. Format: vectors/README.md.\n\n# Every message type.\n");
    m = m_hello();
    message_rec("message", "hello", &m, 0, 0);
    m = m_empty(BKD_T_PING);
    message_rec("message", "ping", &m, 0, 0);
    m = m_idle("Sokha Chan", "");
    message_rec("message", "show-idle", &m, 0, 0);
    m = m_idle("Sokha Chan", "Scan with any Bakong app");
    message_rec("message", "show-idle-two-lines", &m, 0, 0);
    m = m_qr("Sokha Chan", khqr);
    message_rec("message", "show-qr", &m, 0, 0);
    m = m_status(BKD_STATUS_PAID, "Thank you");
    message_rec("message", "set-status-paid", &m, 0, 0);
    m = m_status(BKD_STATUS_EXPIRED, "");
    message_rec("message", "set-status-expired-no-message", &m, 0, 0);
    m = m_empty(BKD_T_CLEAR);
    message_rec("message", "clear", &m, 0, 0);
    m = m_config();
    message_rec("message", "set-config", &m, 0, 0);
    m = m_empty(BKD_T_SET_CONFIG);
    m.u.set_config.has_brightness = 1;
    m.u.set_config.brightness = 100;
    message_rec("message", "set-config-brightness-only", &m, 0, 0);
    m = m_empty(BKD_T_SET_CONFIG);
    message_rec("message", "set-config-empty", &m, 0, 0);
    m = m_beep();
    message_rec("message", "beep", &m, 0, 0);
    m = m_empty(BKD_T_GET_STATE);
    message_rec("message", "get-state", &m, 0, 0);
    m = m_hello_ack();
    message_rec("message", "hello-ack", &m, 0, 0);
    m = m_pong();
    message_rec("message", "pong", &m, 0, 0);
    m = m_state();
    message_rec("message", "state", &m, 0, 0);
    m = m_empty(BKD_T_STATE);
    message_rec("message", "state-blank", &m, 0, 0);
    m = m_ack(BKD_R_OK, BKD_T_SHOW_QR);
    message_rec("message", "ack", &m, 0, 0);
    m = m_ack(BKD_R_UNKNOWN_TYPE, 0x7e);
    message_rec("message", "ack-unknown-type", &m, 0, 0);
    m = m_boot();
    message_rec("message", "boot", &m, 0, 0);
    m = m_changed();
    message_rec("message", "state-changed", &m, 0, 0);
    m = m_log();
    message_rec("message", "log", &m, 0, 0);

    fprintf(fm, "\n# Khmer text (UTF-8), extreme values, the largest strings.\n");
    m = m_idle(khmer_shop, khmer_welcome);
    message_rec("message", "show-idle-khmer", &m, 0, 0);
    m = m_qr(khmer_shop, khqr);
    message_rec("message", "show-qr-khmer-merchant", &m, 0, 0);
    m = m_qr("Sokha Chan", khqr);
    m.u.show_qr.amount_minor = 1050;
    m.u.show_qr.currency = 840;
    m.u.show_qr.exponent = 2;
    message_rec("message", "show-qr-usd", &m, 0, 0);
    m = m_qr("Sokha Chan", khqr);
    m.u.show_qr.amount_minor = 18446744073709551615ull;
    m.u.show_qr.expire_unix_ms = 18446744073709551615ull;
    m.u.show_qr.seconds_left = 65535;
    message_rec("message", "show-qr-max-integers", &m, 0, 0);
    memcpy(qr512, khqr, strlen(khqr));
    for (i = strlen(khqr); i < BKD_QR_MAX; i++) qr512[i] = (char)('0' + i % 10u);
    qr512[BKD_QR_MAX] = 0;
    m = m_qr("Sokha Chan", qr512);
    message_rec("message", "show-qr-512-byte-qr", &m, 0, 0);
    memset(long97, 'M', 96);
    long97[96] = 0;
    m = m_idle(long97, long97);
    message_rec("message", "show-idle-96-byte-texts", &m, 0, 0);
    memset(long33, 'P', 32);
    long33[32] = 0;
    m = m_status(BKD_STATUS_CANCELLED, "");
    m.u.set_status.payment_id = S(long33);
    message_rec("message", "set-status-32-byte-payment-id", &m, 0, 0);

    fprintf(fm, "\n# A newer (v1.1) peer appended fields: unpacking ignores the bytes after the known fields;\n"
                "# packing the listed fields gives the payload without them.\n");
    {
        static const uint8_t ext[] = {0x01, 0x02, 0x03, 0xff};
        static const uint8_t cfg_ext[] = {0x09, 0x02, 0xaa, 0xbb}; /* unknown key 9 with a 2-byte value */
        m = m_hello();
        m.u.hello.proto_minor = 1;
        message_rec("message-ext", "hello-v1.1", &m, ext, sizeof ext);
        m = m_hello_ack();
        m.u.hello_ack.proto_minor = 1;
        message_rec("message-ext", "hello-ack-v1.1", &m, ext, sizeof ext);
        m = m_empty(BKD_T_PING);
        message_rec("message-ext", "ping-with-trailing-bytes", &m, ext, sizeof ext);
        m = m_qr("Sokha Chan", khqr);
        message_rec("message-ext", "show-qr-v1.1", &m, ext, sizeof ext);
        m = m_ack(BKD_R_OK, BKD_T_BOOT);
        message_rec("message-ext", "ack-v1.1", &m, ext, 1);
        m = m_changed();
        message_rec("message-ext", "state-changed-v1.1", &m, ext, sizeof ext);
        m = m_config();
        message_rec("message-ext", "set-config-unknown-key", &m, cfg_ext, sizeof cfg_ext);
    }

    fprintf(fm, "\n# Payloads that must be rejected.\n");
    m = m_hello();
    payload_of(&m, p, &len, "hello");
    bad_rec("hello-truncated-fixed-field", BKD_T_HELLO, p, 5, BKD_R_BAD_PAYLOAD);
    bad_rec("hello-string-past-end", BKD_T_HELLO, p, len - 1, BKD_R_BAD_PAYLOAD);
    bad_rec("hello-empty", BKD_T_HELLO, p, 0, BKD_R_BAD_PAYLOAD);
    bad_rec("show-idle-empty", BKD_T_SHOW_IDLE, p, 0, BKD_R_BAD_PAYLOAD);
    m = m_idle("Sokha Chan", "");
    payload_of(&m, p, &len, "show-idle");
    bad_rec("show-idle-missing-line2", BKD_T_SHOW_IDLE, p, len - 1, BKD_R_BAD_PAYLOAD);
    p[0] = 97;
    memset(p + 1, 'M', 97);
    p[98] = 0;
    bad_rec("show-idle-merchant-97-bytes", BKD_T_SHOW_IDLE, p, 99, BKD_R_BAD_PAYLOAD);
    m = m_qr("Sokha Chan", khqr);
    payload_of(&m, p, &len, "show-qr");
    bad_rec("show-qr-qr-past-end", BKD_T_SHOW_QR, p, len - 1, BKD_R_BAD_PAYLOAD);
    {
        /* qr length field 513 with 513 bytes present */
        size_t at = len - strlen(khqr) - 2;
        p[at] = 0x01;
        p[at + 1] = 0x02;
        memset(p + at + 2, '7', 513);
        bad_rec("show-qr-qr-513-bytes", BKD_T_SHOW_QR, p, at + 2 + 513, BKD_R_BAD_PAYLOAD);
    }
    p[0] = 33;
    memset(p + 1, 'P', 33);
    p[34] = BKD_STATUS_PAID;
    p[35] = 0;
    bad_rec("set-status-payment-id-33-bytes", BKD_T_SET_STATUS, p, 36, BKD_R_BAD_PAYLOAD);
    m = m_status(BKD_STATUS_PAID, "");
    payload_of(&m, p, &len, "set-status");
    p[len - 2] = 0;
    bad_rec("set-status-status-0", BKD_T_SET_STATUS, p, len, BKD_R_BAD_PAYLOAD);
    p[len - 2] = 6;
    bad_rec("set-status-status-6", BKD_T_SET_STATUS, p, len, BKD_R_BAD_PAYLOAD);
    {
        static const uint8_t b101[] = {0x01, 0x01, 101};
        static const uint8_t blen2[] = {0x01, 0x02, 50, 0};
        static const uint8_t beep2[] = {0x02, 0x01, 2};
        static const uint8_t lang2[] = {0x03, 0x01, 2};
        static const uint8_t trunc[] = {0x01, 0x01, 50, 0x02};
        static const uint8_t past[] = {0x09, 0x05, 1, 2};
        static const uint8_t one[] = {0x02};
        bad_rec("set-config-brightness-101", BKD_T_SET_CONFIG, b101, sizeof b101, BKD_R_BAD_PAYLOAD);
        bad_rec("set-config-known-key-length-2", BKD_T_SET_CONFIG, blen2, sizeof blen2, BKD_R_BAD_PAYLOAD);
        bad_rec("set-config-beep-on-result-2", BKD_T_SET_CONFIG, beep2, sizeof beep2, BKD_R_BAD_PAYLOAD);
        bad_rec("set-config-language-2", BKD_T_SET_CONFIG, lang2, sizeof lang2, BKD_R_BAD_PAYLOAD);
        bad_rec("set-config-truncated-entry", BKD_T_SET_CONFIG, trunc, sizeof trunc, BKD_R_BAD_PAYLOAD);
        bad_rec("set-config-unknown-key-past-end", BKD_T_SET_CONFIG, past, sizeof past, BKD_R_BAD_PAYLOAD);
        bad_rec("beep-truncated", BKD_T_BEEP, one, sizeof one, BKD_R_BAD_PAYLOAD);
        bad_rec("ack-truncated", BKD_T_ACK, one, sizeof one, BKD_R_BAD_PAYLOAD);
    }
    m = m_hello_ack();
    payload_of(&m, p, &len, "hello-ack");
    bad_rec("hello-ack-missing-serial", BKD_T_HELLO_ACK, p, len - 9, BKD_R_BAD_PAYLOAD);
    m = m_boot();
    payload_of(&m, p, &len, "boot");
    bad_rec("boot-truncated", BKD_T_BOOT, p, 4, BKD_R_BAD_PAYLOAD);
    m = m_changed();
    payload_of(&m, p, &len, "state-changed");
    bad_rec("state-changed-missing-reason", BKD_T_STATE_CHANGED, p, len - 1, BKD_R_BAD_PAYLOAD);
    m = m_log();
    payload_of(&m, p, &len, "log");
    p[1] = 200;
    bad_rec("log-text-length-past-end", BKD_T_LOG, p, len, BKD_R_BAD_PAYLOAD);

    fprintf(fm, "\n# A type this version does not know: the device answers ACK UNKNOWN_TYPE.\n");
    bad_rec("unknown-type", 0x7e, p, 0, BKD_R_UNKNOWN_TYPE);
}

int main(int argc, char **argv)
{
    char path[1024];
    if (argc != 2) {
        fprintf(stderr, "usage: gen_vectors OUT_DIR\n");
        return 2;
    }
    sprintf(path, "%.1000s/frames.txt", argv[1]);
    ff = fopen(path, "w");
    sprintf(path, "%.1000s/messages.txt", argv[1]);
    fm = fopen(path, "w");
    if (!ff || !fm) die("cannot write", argv[1]);
    frames();
    messages();
    fclose(ff);
    fclose(fm);
    return 0;
}
