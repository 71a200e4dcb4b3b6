/* The message size table of SPEC.md (section 8.1) computed from the C code: every message's smallest and largest
 * payload, its largest wire frame, and a typical wire frame (a frames.txt vector). The UART RTO formula and a
 * device's buffers are sized from this table, so it must not be worked out by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"
#include "test.h"
#include "vecfmt.h"

#define LINE_MAX_LEN 16384

static const char M96[] = "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM";

static bkd_str fill(size_t n)
{
    static char big[BKD_QR_MAX + 1];
    bkd_str s;
    memset(big, 'M', sizeof big - 1);
    s.ptr = (const uint8_t *)(n <= 96 ? M96 : big);
    s.len = (uint16_t)n;
    return s;
}

/* The message of this type with every string at its limit (big = 1) or empty (big = 0); minor 1 = with the v1.1
 * fields. Returns the payload length, capped at 634 (SHOW_QR's limits add up to more: the host shortens). */
static size_t payload_size(uint8_t type, int big, int minor)
{
    bkd_msg m;
    uint8_t p[4096];
    size_t n = 0;
    size_t t = big ? 96u : 0u, id = big ? 32u : 1u;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.minor = (uint8_t)minor;
    switch (type) {
    case BKD_T_HELLO: m.u.hello.host_name = fill(t); break;
    case BKD_T_SHOW_IDLE: m.u.show_idle.merchant_name = fill(t); m.u.show_idle.line2 = fill(t); break;
    case BKD_T_SHOW_QR:
        m.u.show_qr.payment_id = fill(id);
        m.u.show_qr.currency = 116;
        m.u.show_qr.merchant_name = fill(big ? 634u - 25u - 32u - 512u : 0u);
        m.u.show_qr.qr = fill(big ? 512u : 0u);
        break;
    case BKD_T_SET_STATUS:
        m.u.set_status.payment_id = fill(id);
        m.u.set_status.status = 2;
        m.u.set_status.message = fill(t);
        break;
    case BKD_T_SHOW_RESULT:
        m.u.show_result.payment_id = fill(id);
        m.u.show_result.status = 2;
        m.u.show_result.currency = 116;
        m.u.show_result.merchant_name = fill(t);
        m.u.show_result.message = fill(t);
        break;
    case BKD_T_SET_CONFIG:
        m.u.set_config.has_brightness = m.u.set_config.has_beep_on_result = m.u.set_config.has_language = (uint8_t)big;
        break;
    case BKD_T_HELLO_ACK:
        m.u.hello_ack.fw_version = fill(t);
        m.u.hello_ack.model = fill(t);
        m.u.hello_ack.serial = fill(t);
        break;
    case BKD_T_STATE: m.u.state.payment_id = fill(big ? 32u : 0u); break;
    case BKD_T_BOOT: m.u.boot.fw_version = fill(t); m.u.boot.model = fill(t); break;
    case BKD_T_STATE_CHANGED: m.u.state_changed.payment_id = fill(big ? 32u : 0u); break;
    case BKD_T_LOG: m.u.log.text = fill(t); break;
    default: break;
    }
    CHECK_MSG(bkd_msg_pack(&m, p, sizeof p, &n) == BKD_R_OK, vec_type_name(type));
    return n;
}

/* The largest wire frame for a payload of n bytes: COBS adds one code byte per started 254-byte block. */
static size_t wire_max(size_t n)
{
    return BKD_COBS_MAX(BKD_HEADER_LEN + n + BKD_CRC_LEN) + 2u;
}

static long vector_wire_len(const char *frames, const char *name)
{
    static char line[LINE_MAX_LEN];
    FILE *f = fopen(frames, "r");
    long n = -1;
    if (!f) return -1;
    while (n < 0 && fgets(line, sizeof line, f)) {
        char *kind = strtok(line, " "), *nm = strtok(0, " "), *t;
        int k = 0;
        if (!kind || !nm || strcmp(kind, "frame") != 0 || strcmp(nm, name) != 0) continue;
        while ((t = strtok(0, " \r\n")) != 0) {
            if (++k == 5) n = (long)strlen(t) / 2;
        }
    }
    fclose(f);
    return n;
}

static uint8_t type_named(const char *name)
{
    unsigned t;
    for (t = 0; t < 256; t++) {
        if (strcmp(vec_type_name(t), name) == 0) return (uint8_t)t;
    }
    return 0;
}

/* Rows after "<!-- sizes -->": | NAME[ (v1.0)] | 0xTT | MIN–MAX | LARGEST | TYPICAL (`vector`) | */
int test_sizes(const char *spec)
{
    static char line[LINE_MAX_LEN], frames[1024];
    int rows = 0, in = 0;
    const char *slash = strrchr(spec, '/');
    FILE *f = fopen(spec, "r");
    CHECK(f != 0);
    if (!f) return 0;
    snprintf(frames, sizeof frames, "%.*svectors/frames.txt", slash ? (int)(slash - spec + 1) : 0, spec);
    while (fgets(line, sizeof line, f)) {
        char name[32], vec[64];
        unsigned type, lo, hi, largest, typical;
        int minor, n;
        if (strncmp(line, "<!-- sizes -->", 14) == 0) {
            in = 1;
            continue;
        }
        if (!in) continue;
        if (line[0] != '|') {
            if (rows > 0) break;
            continue;
        }
        {
            char *cell[8];
            int c = 0;
            char *q = line + 1, *bar;
            while (c < 8 && (bar = strchr(q, '|')) != 0) {
                *bar = 0;
                cell[c++] = q;
                q = bar + 1;
            }
            if (c < 5 || sscanf(cell[0], " %31[A-Z_]", name) != 1 || sscanf(cell[1], " 0x%x", &type) != 1) continue;
            n = sscanf(cell[2], " %u%*[^0-9]%u", &lo, &hi);
            if (n == 1) hi = lo;
            if (n < 1 || sscanf(cell[3], " %u", &largest) != 1) continue;
            n = sscanf(cell[4], " %u (`%63[^`]`)", &typical, vec);
            if (n < 1) continue;
            n += 5;
            minor = strstr(cell[0], "v1.0") ? 0 : 1;
        }
        rows++;
        CHECK_MSG(type_named(name) == type, name);
        CHECK_MSG(payload_size((uint8_t)type, 0, minor) == lo, name);
        CHECK_MSG(payload_size((uint8_t)type, 1, minor) == hi, name);
        CHECK_MSG(wire_max(hi) == largest, name);
        if (n == 7) {
            CHECK_MSG(vector_wire_len(frames, vec) == (long)typical, vec);
        } else {
            CHECK_MSG(lo == hi && wire_max(lo) == typical, name); /* a fixed-size message: typical = largest */
        }
    }
    /* the RTO table of section 8.2: | UART <baud> | <byte time> | <host> ms | <device> ms | <SHOW_QR on the wire> ms | */
    {
        unsigned long host_req = wire_max(payload_size(BKD_T_SHOW_QR, 1, 1)), ack = wire_max(2);
        unsigned long dev_req = wire_max(payload_size(BKD_T_BOOT, 1, 1));
        int uart_rows = 0;
        rewind(f);
        while (fgets(line, sizeof line, f)) {
            unsigned long baud, host, dev, wire;
            if (sscanf(line, "| UART %lu | %*[^|]| %lu ms | %lu ms | %lu ms |", &baud, &host, &dev, &wire) != 4) continue;
            uart_rows++;
            /* 10 bits per byte; rounded up to the next millisecond */
            CHECK_MSG(host == 250u + (2u * (host_req + ack) * 10000u + baud - 1u) / baud, "host RTO");
            CHECK_MSG(dev == 250u + (2u * (dev_req + ack) * 10000u + baud - 1u) / baud, "device RTO");
            CHECK_MSG(wire == (host_req * 10000u + baud - 1u) / baud, "SHOW_QR wire time");
        }
        CHECK(uart_rows == 4);
    }
    fclose(f);
    CHECK(rows >= 18);
    /* the device's buffers (bkdisp.h) hold its largest frame: a v1.1 HELLO_ACK */
    CHECK(BKD_DEV_MAX_PAYLOAD == payload_size(BKD_T_HELLO_ACK, 1, 1));
    CHECK(BKD_DEV_MAX_WIRE == wire_max(BKD_DEV_MAX_PAYLOAD));
    return rows;
}
