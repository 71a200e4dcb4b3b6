/* Generates firmware-protocol/vectors/ from the C reference implementation: frames.txt and messages.txt (v1.0, read
 * by the C and C# tests), messages-1.1.txt, mac.txt and sessions.txt (v1.1). Every record is checked against the
 * implementation while it is written (a record that would not pass the tests aborts the generator). Deterministic:
 * no clock, no random source.
 *
 *   gen_vectors OUT_DIR            writes the five files into OUT_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"
#include "script.h"
#include "vecfmt.h"

static FILE *ff, *fm;
static uint8_t fm_minor; /* the protocol minor version the current message file describes */

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
    if (bkd_msg_unpack_minor(m->type, p, len, fm_minor, &u) != BKD_R_OK) die("unpack failed", name);
    if (vec_format_fields(m, want, sizeof want) || vec_format_fields(&u, got, sizeof got) || strcmp(want, got) != 0)
        die("unpack differs", name);
    fprintf(fm, "%s %s 0x%02x ", kind, name, m->type);
    vec_hex(fm, p, len);
    fprintf(fm, "%s\n", want);
}

static void bad_rec(const char *name, uint8_t type, const uint8_t *p, size_t len, int result)
{
    bkd_msg u;
    if (bkd_msg_unpack_minor(type, p, len, fm_minor, &u) != result) die("bad-message not rejected as expected", name);
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

/* ---- messages-1.1.txt ---------------------------------------------------------------------------------------- */

static bkd_msg m_result(const char *id, uint8_t status, const char *merchant, const char *msg)
{
    bkd_msg m = {0};
    m.type = BKD_T_SHOW_RESULT;
    m.u.show_result.payment_id = S(id);
    m.u.show_result.status = status;
    m.u.show_result.amount_minor = 25000;
    m.u.show_result.currency = 116;
    m.u.show_result.exponent = 0;
    m.u.show_result.merchant_name = S(merchant);
    m.u.show_result.message = S(msg);
    return m;
}

static void messages11(void)
{
    static uint8_t p[2048];
    static char long96[97], long32[33];
    static const uint8_t ext[] = {0x01, 0x02, 0x03, 0xff};
    bkd_msg m;
    size_t len;

    fprintf(fm, "# Bakong display protocol v1.1 message vectors: what v1.1 adds or changes. Generated by\n"
                "# firmware-protocol/tools/gen_vectors.c; do not edit. Format: vectors/README.md (as messages.txt).\n"
                "# A v1.1 receiver also passes every record of messages.txt.\n\n"
                "# SHOW_RESULT (0x14): a payment's final screen in one command.\n");
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    message_rec("message", "show-result-paid", &m, 0, 0);
    m = m_result(pay_id, BKD_STATUS_FAILED, "Sokha Chan", "");
    message_rec("message", "show-result-failed", &m, 0, 0);
    m = m_result(pay_id, BKD_STATUS_EXPIRED, "Sokha Chan", "");
    message_rec("message", "show-result-expired", &m, 0, 0);
    m = m_result(pay_id, BKD_STATUS_CANCELLED, khmer_shop, "");
    message_rec("message", "show-result-cancelled-khmer-merchant", &m, 0, 0);
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "");
    m.u.show_result.amount_minor = 1050;
    m.u.show_result.currency = 840;
    m.u.show_result.exponent = 2;
    message_rec("message", "show-result-usd", &m, 0, 0);
    memset(long96, 'M', 96);
    memset(long32, 'P', 32);
    m = m_result(long32, BKD_STATUS_PAID, long96, long96);
    m.u.show_result.amount_minor = 18446744073709551615ull;
    m.u.show_result.currency = 999;
    m.u.show_result.exponent = 4;
    message_rec("message", "show-result-largest", &m, 0, 0);

    fprintf(fm, "\n# The value ranges v1.1 makes explicit, at their limits.\n");
    m = m_qr("Sokha Chan", khqr);
    m.u.show_qr.currency = 1;
    m.u.show_qr.exponent = 4;
    message_rec("message", "show-qr-currency-1-exponent-4", &m, 0, 0);
    m.u.show_qr.currency = 999;
    m.u.show_qr.seconds_left = 0;
    message_rec("message", "show-qr-currency-999-seconds-left-0", &m, 0, 0);

    fprintf(fm, "\n# HELLO from a v1.1 host (same layout), HELLO_ACK and STATE with their v1.1 fields, ACK AUTH_FAILED.\n");
    m = m_hello();
    m.u.hello.proto_minor = 1;
    message_rec("message", "hello", &m, 0, 0);
    m = m_hello_ack();
    m.minor = 1;
    m.u.hello_ack.proto_minor = 1;
    message_rec("message", "hello-ack", &m, 0, 0);
    m.u.hello_ack.capabilities |= BKD_CAP_QR_MAC;
    m.u.hello_ack.mac_counter = 41;
    message_rec("message", "hello-ack-qr-mac", &m, 0, 0);
    m = m_state();
    m.minor = 1;
    m.u.state.frames_ok = 1234;
    m.u.state.drops[BKD_DROP_COBS_INVALID] = 1;
    m.u.state.drops[BKD_DROP_TOO_SHORT] = 2;
    m.u.state.drops[BKD_DROP_LENGTH_MISMATCH] = 3;
    m.u.state.drops[BKD_DROP_BAD_CRC] = 4;
    m.u.state.drops[BKD_DROP_TOO_LONG] = 5;
    m.u.state.duplicates = 6;
    message_rec("message", "state", &m, 0, 0);
    m = m_empty(BKD_T_STATE);
    m.minor = 1;
    message_rec("message", "state-blank", &m, 0, 0);
    m = m_ack(BKD_R_AUTH_FAILED, BKD_T_SHOW_QR);
    message_rec("message", "ack-auth-failed", &m, 0, 0);

    fprintf(fm, "\n# A v1.0 device's HELLO_ACK and STATE: the v1.1 fields are absent (read as 0).\n");
    m = m_hello_ack();
    message_rec("message", "hello-ack-from-v1.0-device", &m, 0, 0);
    m = m_state();
    message_rec("message", "state-from-v1.0-device", &m, 0, 0);

    fprintf(fm, "\n# A newer (v1.2) peer appended fields after the v1.1 ones.\n");
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    message_rec("message-ext", "show-result-v1.2", &m, ext, sizeof ext);
    m = m_hello_ack();
    m.minor = 1;
    m.u.hello_ack.proto_minor = 2;
    message_rec("message-ext", "hello-ack-v1.2", &m, ext, sizeof ext);

    fprintf(fm, "\n# Payloads a v1.1 receiver rejects (a v1.0 receiver accepts all but SHOW_RESULT's).\n");
    m = m_qr("Sokha Chan", khqr);
    payload_of(&m, p, &len, "show-qr");
    {
        /* SHOW_QR: an empty payment_id; currency 0 and 1000; exponent 5 (fields patched in place) */
        static uint8_t q[2048];
        size_t p_len = strlen(pay_id), at_cur = 1 + p_len + 8;
        memcpy(q, p, len);
        q[at_cur] = 0;
        q[at_cur + 1] = 0;
        bad_rec("show-qr-currency-0", BKD_T_SHOW_QR, q, len, BKD_R_BAD_PAYLOAD);
        q[at_cur] = 0xe8;
        q[at_cur + 1] = 0x03;
        bad_rec("show-qr-currency-1000", BKD_T_SHOW_QR, q, len, BKD_R_BAD_PAYLOAD);
        memcpy(q, p, len);
        q[at_cur + 2] = 5;
        bad_rec("show-qr-exponent-5", BKD_T_SHOW_QR, q, len, BKD_R_BAD_PAYLOAD);
        q[0] = 0;
        memcpy(q + 1, p + 1 + p_len, len - 1 - p_len);
        bad_rec("show-qr-empty-payment-id", BKD_T_SHOW_QR, q, len - p_len, BKD_R_BAD_PAYLOAD);
    }
    {
        static const uint8_t empty_id[] = {0x00, BKD_STATUS_PAID, 0x00};
        bad_rec("set-status-empty-payment-id", BKD_T_SET_STATUS, empty_id, sizeof empty_id, BKD_R_BAD_PAYLOAD);
    }
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    payload_of(&m, p, &len, "show-result");
    {
        static uint8_t q[2048];
        size_t p_len = strlen(pay_id), at_status = 1 + p_len, at_cur = at_status + 1 + 8;
        static const uint8_t statuses[] = {0, BKD_STATUS_WAITING, 6};
        static const char *const names[] = {"show-result-status-0", "show-result-status-1-waiting",
                                            "show-result-status-6"};
        unsigned i;
        for (i = 0; i < 3; i++) {
            memcpy(q, p, len);
            q[at_status] = statuses[i];
            bad_rec(names[i], BKD_T_SHOW_RESULT, q, len, BKD_R_BAD_PAYLOAD);
        }
        memcpy(q, p, len);
        q[at_cur] = 0;
        q[at_cur + 1] = 0;
        bad_rec("show-result-currency-0", BKD_T_SHOW_RESULT, q, len, BKD_R_BAD_PAYLOAD);
        memcpy(q, p, len);
        q[at_cur + 2] = 5;
        bad_rec("show-result-exponent-5", BKD_T_SHOW_RESULT, q, len, BKD_R_BAD_PAYLOAD);
        bad_rec("show-result-missing-message", BKD_T_SHOW_RESULT, p, len - 10, BKD_R_BAD_PAYLOAD);
        bad_rec("show-result-truncated-amount", BKD_T_SHOW_RESULT, p, at_status + 5, BKD_R_BAD_PAYLOAD);
        q[0] = 0;
        memcpy(q + 1, p + 1 + p_len, len - 1 - p_len);
        bad_rec("show-result-empty-payment-id", BKD_T_SHOW_RESULT, q, len - p_len, BKD_R_BAD_PAYLOAD);
        q[0] = 33;
        memset(q + 1, 'P', 33);
        memcpy(q + 34, p + 1 + p_len, len - 1 - p_len);
        bad_rec("show-result-payment-id-33-bytes", BKD_T_SHOW_RESULT, q, len - p_len + 33, BKD_R_BAD_PAYLOAD);
    }
}

/* ---- mac.txt ------------------------------------------------------------------------------------------------- */

static FILE *fx;

static void hexline(FILE *f, const uint8_t *p, size_t n)
{
    fputc(' ', f);
    vec_hex(f, p, n);
}

static void sha_rec(const char *name, const char *msg)
{
    uint8_t d[BKD_SHA256_LEN];
    bkd_sha256 s;
    bkd_sha256_init(&s);
    bkd_sha256_update(&s, (const uint8_t *)msg, strlen(msg));
    bkd_sha256_final(&s, d);
    fprintf(fx, "sha256 %s", name);
    hexline(fx, (const uint8_t *)msg, strlen(msg));
    hexline(fx, d, sizeof d);
    fputc('\n', fx);
}

/* RFC 4231 test cases: the generator checks its own output against the RFC's expected value before writing it. */
static void hmac_rec(const char *name, const uint8_t *key, size_t kl, const uint8_t *data, size_t dl, const char *rfc)
{
    uint8_t d[BKD_SHA256_LEN], want[BKD_SHA256_LEN];
    long wl = vec_unhex(rfc, want, sizeof want);
    bkd_hmac_sha256(key, kl, data, dl, 0, 0, 0, 0, d);
    if (wl <= 0 || memcmp(d, want, (size_t)wl) != 0) die("RFC 4231 mismatch", name);
    fprintf(fx, "hmac-sha256 %s", name);
    hexline(fx, key, kl);
    hexline(fx, data, dl);
    hexline(fx, want, (size_t)wl);
    fputc('\n', fx);
}

static const uint8_t mac_key[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

static void tagged_rec(const char *name, const bkd_msg *m, uint32_t boot_id, uint32_t counter)
{
    static uint8_t p[BKD_MAX_PAYLOAD];
    size_t len, n;
    uint32_t got = 0;
    payload_of(m, p, &len, name);
    n = bkd_mac_append(mac_key, sizeof mac_key, boot_id, m->type, counter, p, len, sizeof p);
    if (n != len + BKD_MAC_TRAILER_LEN || !bkd_mac_check(mac_key, sizeof mac_key, boot_id, m->type, p, n, &got) ||
        got != counter)
        die("tagged", name);
    fprintf(fx, "tagged %s 0x%02x", name, m->type);
    hexline(fx, mac_key, sizeof mac_key);
    fprintf(fx, " %lu %lu", (unsigned long)boot_id, (unsigned long)counter);
    hexline(fx, p, len);
    hexline(fx, p, n);
    fputc('\n', fx);
}

static void untagged_rec(const char *name, uint8_t type, uint32_t boot_id, const uint8_t *p, size_t n)
{
    uint32_t got;
    if (bkd_mac_check(mac_key, sizeof mac_key, boot_id, type, p, n, &got)) die("tag-rejected accepted", name);
    fprintf(fx, "tag-rejected %s 0x%02x", name, type);
    hexline(fx, mac_key, sizeof mac_key);
    fprintf(fx, " %lu", (unsigned long)boot_id);
    hexline(fx, p, n);
    fputc('\n', fx);
}

static void macs(void)
{
    static uint8_t data[256], key[256], p[BKD_MAX_PAYLOAD];
    bkd_msg m;
    size_t len, n;
    fprintf(fx, "# SHA-256, HMAC-SHA256 and the v1.1 QR MAC trailer (SPEC.md section 6.5). Generated by\n"
                "# firmware-protocol/tools/gen_vectors.c; do not edit. Format: vectors/README.md.\n\n"
                "# SHA-256: FIPS 180-2 examples (the million-'a' one is in the C tests, not here).\n");
    sha_rec("empty", "");
    sha_rec("abc", "abc");
    sha_rec("448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    sha_rec("896-bit", "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                       "mnopqrstnopqrstu");
    fprintf(fx, "\n# HMAC-SHA256: RFC 4231 test cases 1-7 (case 5's expected value is the RFC's 128-bit truncation).\n");
    memset(key, 0x0b, 20);
    hmac_rec("rfc4231-1", key, 20, (const uint8_t *)"Hi There", 8,
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_rec("rfc4231-2", (const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    hmac_rec("rfc4231-3", key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (n = 0; n < 25; n++) key[n] = (uint8_t)(n + 1);
    memset(data, 0xcd, 50);
    hmac_rec("rfc4231-4", key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0x0c, 20);
    hmac_rec("rfc4231-5-truncated-128", key, 20, (const uint8_t *)"Test With Truncation", 20,
             "a3b6167473100ee06e0c796c2955552b");
    memset(key, 0xaa, 131);
    hmac_rec("rfc4231-6", key, 131, (const uint8_t *)"Test Using Larger Than Block-Size Key - Hash Key First", 54,
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    {
        static const char t7[] = "This is a test using a larger than block-size key and a larger than block-size data. "
                                 "The key needs to be hashed before being used by the HMAC algorithm.";
        hmac_rec("rfc4231-7", key, 131, (const uint8_t *)t7, strlen(t7),
                 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
    fprintf(fx, "\n# The trailer: payload | counter u32le | first 16 bytes of HMAC-SHA256(key, boot_id u32le | type | payload |\n"
                "# counter u32le). Fields: type, key, boot_id and counter (decimal), payload without and with the trailer.\n");
    m = m_qr("Sokha Chan", khqr);
    tagged_rec("show-qr", &m, BOOT_ID, 1);
    tagged_rec("show-qr-counter-2", &m, BOOT_ID, 2);
    tagged_rec("show-qr-other-boot", &m, BOOT_ID + 1u, 1);
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    tagged_rec("show-result-paid", &m, BOOT_ID, 3);
    fprintf(fx, "\n# Trailers a device rejects (AUTH_FAILED): type, key, boot_id, the tagged payload.\n");
    m = m_qr("Sokha Chan", khqr);
    payload_of(&m, p, &len, "show-qr");
    n = bkd_mac_append(mac_key, sizeof mac_key, BOOT_ID, BKD_T_SHOW_QR, 1, p, len, sizeof p);
    untagged_rec("tag-for-another-boot", BKD_T_SHOW_QR, BOOT_ID + 1u, p, n);
    untagged_rec("tag-for-another-type", BKD_T_SHOW_RESULT, BOOT_ID, p, n);
    p[n - 1] ^= 0x80u;
    untagged_rec("tag-last-bit-flipped", BKD_T_SHOW_QR, BOOT_ID, p, n);
    p[n - 1] ^= 0x80u;
    p[len] ^= 0x01u;
    untagged_rec("counter-changed", BKD_T_SHOW_QR, BOOT_ID, p, n);
    p[len] ^= 0x01u;
    p[30] ^= 0x01u; /* a byte of the amount */
    untagged_rec("amount-changed", BKD_T_SHOW_QR, BOOT_ID, p, n);
    untagged_rec("no-trailer-19-bytes", BKD_T_SHOW_QR, BOOT_ID, p, 19);
}

/* ---- sessions.txt -------------------------------------------------------------------------------------------- */

static FILE *fs;
#define NCMDS 32
static script_cmd cmds[NCMDS];
static uint8_t cmd_store[NCMDS][BKD_MAX_PAYLOAD];
static size_t ncmds;

static void cmd_rec(const char *name, const bkd_msg *m)
{
    size_t len;
    payload_of(m, cmd_store[ncmds], &len, name);
    cmds[ncmds].name = name;
    cmds[ncmds].type = m->type;
    cmds[ncmds].payload = cmd_store[ncmds];
    cmds[ncmds].len = len;
    ncmds++;
    fprintf(fs, "command %s 0x%02x ", name, m->type);
    vec_hex(fs, cmd_store[ncmds - 1], len);
    fputc('\n', fs);
}

static void script_rec(const char *kind, const char *name, const char *steps)
{
    static char out[16384];
    int mac = strcmp(kind, "script-mac") == 0;
    if (script_run(cmds, ncmds, mac ? mac_key : 0, mac ? sizeof mac_key : 0, steps, out, sizeof out) != 0)
        die(out, name);
    fprintf(fs, "%s %s %s\n", kind, name, out);
}

static bkd_msg qr_for(const char *id, uint16_t seconds)
{
    bkd_msg m = m_qr("Sokha Chan", khqr);
    m.u.show_qr.payment_id = S(id);
    m.u.show_qr.seconds_left = seconds;
    return m;
}

static bkd_msg status_for(const char *id, uint8_t status)
{
    bkd_msg m = m_status(status, "");
    m.u.set_status.payment_id = S(id);
    return m;
}

static void sessions(void)
{
    /* start states: the steps that reach them from a fresh device after HELLO */
    static const char *const starts[][2] = {
        {"blank", ""},
        {"idle", "show-idle"},
        {"qr", "show-qr-p"},
        {"paid-by-set-status", "show-qr-p set-status-p-paid"},
        {"paid", "show-result-p-paid"},
        {"failed", "show-result-p-failed"},
        {"expired", "show-result-p-expired"},
        {"cancelled", "show-result-p-cancelled"},
        {"expired-locally", "show-qr-p-1s wait:1000"},
        {"idle-after-paid", "show-result-p-paid show-idle"},
        {"qr-q-after-p-paid", "show-result-p-paid show-qr-q"},
    };
    static const char *const commands[] = {
        "show-idle",          "clear",           "show-qr-p",          "show-qr-p-0s",      "show-qr-q",
        "set-status-p-paid",  "set-status-p-waiting", "set-status-q-paid", "show-result-p-paid",
        "show-result-p-failed", "show-result-q-cancelled", "set-config", "beep", "get-state", "ping",
    };
    /* the v1.1 re-sync of each desired screen (SPEC.md section 10.2) */
    static const char *const resync[][2] = {
        {"idle", "show-idle"},
        {"qr", "show-qr-p"},
        {"paid", "show-result-p-paid"},
        {"failed", "show-result-p-failed"},
        {"expired", "show-result-p-expired"},
        {"cancelled", "show-result-p-cancelled"},
    };
    char name[128], steps[1024];
    bkd_msg m;
    size_t i, j;

    fprintf(fs, "# Bakong display protocol v1.1 session scripts: what a device answers and shows, step by step (SPEC.md\n"
                "# sections 10 and 11). Generated by firmware-protocol/tools/gen_vectors.c from the C device session; do\n"
                "# not edit. Format: vectors/README.md. Payment P is \"P-1\" (hex 502d31), Q is \"Q-2\" (hex 512d32).\n\n");
    m = m_idle("Sokha Chan", "");
    cmd_rec("show-idle", &m);
    m = m_empty(BKD_T_CLEAR);
    cmd_rec("clear", &m);
    m = qr_for("P-1", 300);
    cmd_rec("show-qr-p", &m);
    m = qr_for("P-1", 1);
    cmd_rec("show-qr-p-1s", &m);
    m = qr_for("P-1", 5);
    cmd_rec("show-qr-p-5s", &m);
    m = qr_for("P-1", 0);
    cmd_rec("show-qr-p-0s", &m);
    m = qr_for("Q-2", 300);
    cmd_rec("show-qr-q", &m);
    m = status_for("P-1", BKD_STATUS_PAID);
    cmd_rec("set-status-p-paid", &m);
    m = status_for("P-1", BKD_STATUS_WAITING);
    cmd_rec("set-status-p-waiting", &m);
    m = status_for("Q-2", BKD_STATUS_PAID);
    cmd_rec("set-status-q-paid", &m);
    m = m_result("P-1", BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    cmd_rec("show-result-p-paid", &m);
    m = m_result("P-1", BKD_STATUS_FAILED, "Sokha Chan", "");
    cmd_rec("show-result-p-failed", &m);
    m = m_result("P-1", BKD_STATUS_EXPIRED, "Sokha Chan", "");
    cmd_rec("show-result-p-expired", &m);
    m = m_result("P-1", BKD_STATUS_CANCELLED, "Sokha Chan", "");
    cmd_rec("show-result-p-cancelled", &m);
    m = m_result("Q-2", BKD_STATUS_CANCELLED, "Sokha Chan", "");
    cmd_rec("show-result-q-cancelled", &m);
    m = m_config();
    cmd_rec("set-config", &m);
    m = m_beep();
    cmd_rec("beep", &m);
    m = m_empty(BKD_T_GET_STATE);
    cmd_rec("get-state", &m);
    m = m_empty(BKD_T_PING);
    cmd_rec("ping", &m);

    fprintf(fs, "\n# Every command in every screen state (SPEC.md section 11.2).\n");
    for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        for (j = 0; j < sizeof commands / sizeof commands[0]; j++) {
            snprintf(name, sizeof name, "%s+%s", starts[i][0], commands[j]);
            snprintf(steps, sizeof steps, "hello%s%s %s", starts[i][1][0] ? " " : "", starts[i][1], commands[j]);
            script_rec("script", name, steps);
        }
    }
    fprintf(fs, "\n# Re-sync (SPEC.md section 10.2): the link comes back (HELLO) or the device rebooted; the v1.1 host sends\n"
                "# the desired screen in ONE command. A v1.0 host sends SHOW_QR then SET_STATUS: a v1.1 device keeps the\n"
                "# result (the latch), but only until it reboots.\n");
    for (i = 0; i < sizeof resync / sizeof resync[0]; i++) {
        for (j = 0; j < sizeof starts / sizeof starts[0]; j++) {
            snprintf(name, sizeof name, "resync-%s-from-%s", resync[i][0], starts[j][0]);
            snprintf(steps, sizeof steps, "hello%s%s hello %s", starts[j][1][0] ? " " : "", starts[j][1], resync[i][1]);
            script_rec("script", name, steps);
        }
        snprintf(name, sizeof name, "resync-%s-after-reboot", resync[i][0]);
        snprintf(steps, sizeof steps, "hello show-result-p-paid reboot hello %s", resync[i][1]);
        script_rec("script", name, steps);
    }
    script_rec("script", "resync-v1.0-host-after-paid", "hello-1.0 show-qr-p set-status-p-paid hello-1.0 show-qr-p set-status-p-paid");
    script_rec("script", "resync-v1.0-host-after-paid-and-reboot",
               "hello-1.0 show-qr-p set-status-p-paid reboot hello-1.0 show-qr-p set-status-p-paid");
    script_rec("script", "v1.0-device-fallback-commands-on-a-v1.1-device",
               "hello show-qr-p show-result-p-paid hello show-qr-p-0s set-status-p-paid");

    fprintf(fs, "\n# Retransmits, duplicates and local expiry.\n");
    script_rec("script", "retransmit-after-result-is-not-executed-again", "hello show-qr-p show-result-p-paid again");
    script_rec("script", "retransmitted-show-qr-after-newer-result", "hello show-qr-p again show-result-p-paid show-qr-p again");
    script_rec("script", "local-expiry-then-real-outcome", "hello show-qr-p-1s wait:1000 show-result-p-paid");
    script_rec("script", "local-expiry-then-show-qr-again-is-ignored", "hello show-qr-p-1s wait:1000 show-qr-p");
    script_rec("script", "offline-countdown-expires-then-report-after-hello",
               "hello show-qr-p-5s wait:6000 hello show-result-p-expired");
    script_rec("script", "latch-holds-several-payments", "hello show-result-p-paid show-result-q-cancelled show-idle show-qr-p show-qr-q");

    fprintf(fs, "\n# With a QR MAC key (the key of mac.txt; the device's boot_id is 1588594461 + reboots): <command>+mac:<counter>\n"
                "# appends the trailer; +mac:<counter>:bad flips a bit of its tag.\n");
    script_rec("script-mac", "mac-show-qr-and-result", "hello show-qr-p+mac:1 show-result-p-paid+mac:2");
    script_rec("script-mac", "mac-missing", "hello show-qr-p show-result-p-paid show-idle");
    script_rec("script-mac", "mac-bad-tag", "hello show-qr-p+mac:1:bad show-qr-p+mac:1");
    script_rec("script-mac", "mac-counter-replayed", "hello show-qr-p+mac:5 show-qr-q+mac:5 show-qr-q+mac:4 show-qr-q+mac:6");
    script_rec("script-mac", "mac-set-status-refused", "hello show-qr-p+mac:1 set-status-p-paid show-result-p-paid+mac:2");
    script_rec("script-mac", "mac-counter-survives-hello-not-reboot",
               "hello show-qr-p+mac:7 hello show-qr-q+mac:7 show-qr-q+mac:8 reboot hello show-qr-q+mac:1");
}

/* The v1.1 messages on the wire (frames.txt: the frame layer is unchanged, so v1.0 decoders pass these too). */
static void frames11(void)
{
    static uint8_t p[BKD_MAX_PAYLOAD];
    bkd_msg m;
    size_t len, n;
    fprintf(ff, "\n# Protocol v1.1 messages on the wire (their fields: messages-1.1.txt; the MAC trailer: mac.txt).\n");
    m = m_result(pay_id, BKD_STATUS_PAID, "Sokha Chan", "Thank you");
    frame_msg("show-result", &m, BKD_FLAG_ACK_REQUESTED, 13);
    m = m_hello_ack();
    m.minor = 1;
    m.u.hello_ack.proto_minor = 1;
    frame_msg("hello-ack-1.1", &m, BKD_FLAG_RESPONSE, 1);
    m = m_state();
    m.minor = 1;
    m.u.state.frames_ok = 1234;
    frame_msg("state-1.1", &m, BKD_FLAG_RESPONSE, 9);
    m = m_ack(BKD_R_AUTH_FAILED, BKD_T_SHOW_QR);
    frame_msg("ack-auth-failed", &m, BKD_FLAG_RESPONSE, 14);
    m = m_qr("Sokha Chan", khqr);
    payload_of(&m, p, &len, "show-qr-mac");
    n = bkd_mac_append(mac_key, sizeof mac_key, BOOT_ID, BKD_T_SHOW_QR, 1, p, len, sizeof p);
    frame_rec("show-qr-mac", BKD_T_SHOW_QR, BKD_FLAG_ACK_REQUESTED, 15, p, n);
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
    fclose(fm);
    sprintf(path, "%.1000s/messages-1.1.txt", argv[1]);
    fm = fopen(path, "w");
    if (!fm) die("cannot write", path);
    fm_minor = 1;
    messages11();
    fclose(fm);
    sprintf(path, "%.1000s/mac.txt", argv[1]);
    fx = fopen(path, "w");
    if (!fx) die("cannot write", path);
    macs();
    fclose(fx);
    sprintf(path, "%.1000s/sessions.txt", argv[1]);
    fs = fopen(path, "w");
    if (!fs) die("cannot write", path);
    sessions();
    fclose(fs);
    frames11();
    fclose(ff);
    return 0;
}
