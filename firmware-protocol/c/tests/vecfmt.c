#include "vecfmt.h"

#include <stdlib.h>
#include <string.h>

enum kind { K_U8, K_U16, K_U32, K_U64, K_STR, K_CFG };
typedef struct {
    unsigned char type;
    const char *name;
    enum kind kind;
    size_t off;     /* offset in bkd_msg */
    unsigned minor; /* 1: a v1.1 field of HELLO_ACK / STATE, listed only when the message has them (bkd_msg.minor) */
} field;

#define F(t, member, k, path) {t, #member, k, offsetof(bkd_msg, u.path.member), 0}
#define F11(t, name, k, off) {t, name, k, off, 1}
#define DROP(i, name) F11(BKD_T_STATE, name, K_U32, offsetof(bkd_msg, u.state.drops) + (i) * sizeof(uint32_t))
static const field fields[] = {
    F(BKD_T_HELLO, proto_major, K_U8, hello), F(BKD_T_HELLO, proto_minor, K_U8, hello),
    F(BKD_T_HELLO, host_time_unix_ms, K_U64, hello), F(BKD_T_HELLO, heartbeat_ms, K_U16, hello),
    F(BKD_T_HELLO, link_timeout_ms, K_U16, hello), F(BKD_T_HELLO, host_name, K_STR, hello),
    F(BKD_T_SHOW_IDLE, merchant_name, K_STR, show_idle), F(BKD_T_SHOW_IDLE, line2, K_STR, show_idle),
    F(BKD_T_SHOW_QR, payment_id, K_STR, show_qr), F(BKD_T_SHOW_QR, amount_minor, K_U64, show_qr),
    F(BKD_T_SHOW_QR, currency, K_U16, show_qr), F(BKD_T_SHOW_QR, exponent, K_U8, show_qr),
    F(BKD_T_SHOW_QR, expire_unix_ms, K_U64, show_qr), F(BKD_T_SHOW_QR, seconds_left, K_U16, show_qr),
    F(BKD_T_SHOW_QR, merchant_name, K_STR, show_qr), F(BKD_T_SHOW_QR, qr, K_STR, show_qr),
    F(BKD_T_SET_STATUS, payment_id, K_STR, set_status), F(BKD_T_SET_STATUS, status, K_U8, set_status),
    F(BKD_T_SET_STATUS, message, K_STR, set_status),
    F(BKD_T_SHOW_RESULT, payment_id, K_STR, show_result), F(BKD_T_SHOW_RESULT, status, K_U8, show_result),
    F(BKD_T_SHOW_RESULT, amount_minor, K_U64, show_result), F(BKD_T_SHOW_RESULT, currency, K_U16, show_result),
    F(BKD_T_SHOW_RESULT, exponent, K_U8, show_result), F(BKD_T_SHOW_RESULT, merchant_name, K_STR, show_result),
    F(BKD_T_SHOW_RESULT, message, K_STR, show_result),
    {BKD_T_SET_CONFIG, "brightness", K_CFG, offsetof(bkd_msg, u.set_config.has_brightness), 0},
    {BKD_T_SET_CONFIG, "beep_on_result", K_CFG, offsetof(bkd_msg, u.set_config.has_beep_on_result), 0},
    {BKD_T_SET_CONFIG, "language", K_CFG, offsetof(bkd_msg, u.set_config.has_language), 0},
    F(BKD_T_BEEP, pattern, K_U8, beep), F(BKD_T_BEEP, repeat, K_U8, beep),
    F(BKD_T_HELLO_ACK, proto_major, K_U8, hello_ack), F(BKD_T_HELLO_ACK, proto_minor, K_U8, hello_ack),
    F(BKD_T_HELLO_ACK, boot_id, K_U32, hello_ack), F(BKD_T_HELLO_ACK, mtu, K_U16, hello_ack),
    F(BKD_T_HELLO_ACK, capabilities, K_U32, hello_ack), F(BKD_T_HELLO_ACK, fw_version, K_STR, hello_ack),
    F(BKD_T_HELLO_ACK, model, K_STR, hello_ack), F(BKD_T_HELLO_ACK, serial, K_STR, hello_ack),
    F11(BKD_T_HELLO_ACK, "mac_counter", K_U32, offsetof(bkd_msg, u.hello_ack.mac_counter)),
    F(BKD_T_PONG, boot_id, K_U32, pong), F(BKD_T_PONG, uptime_ms, K_U32, pong), F(BKD_T_PONG, screen, K_U8, pong),
    F(BKD_T_STATE, screen, K_U8, state), F(BKD_T_STATE, status, K_U8, state),
    F(BKD_T_STATE, seconds_left, K_U16, state), F(BKD_T_STATE, payment_id, K_STR, state),
    F11(BKD_T_STATE, "frames_ok", K_U32, offsetof(bkd_msg, u.state.frames_ok)), DROP(0, "drop_cobs_invalid"),
    DROP(1, "drop_too_short"), DROP(2, "drop_length_mismatch"), DROP(3, "drop_bad_crc"), DROP(4, "drop_too_long"),
    F11(BKD_T_STATE, "duplicates", K_U32, offsetof(bkd_msg, u.state.duplicates)),
    F(BKD_T_ACK, result, K_U8, ack), F(BKD_T_ACK, acked_type, K_U8, ack),
    F(BKD_T_BOOT, boot_id, K_U32, boot), F(BKD_T_BOOT, reset_reason, K_U8, boot),
    F(BKD_T_BOOT, fw_version, K_STR, boot), F(BKD_T_BOOT, model, K_STR, boot),
    F(BKD_T_STATE_CHANGED, screen, K_U8, state_changed), F(BKD_T_STATE_CHANGED, status, K_U8, state_changed),
    F(BKD_T_STATE_CHANGED, seconds_left, K_U16, state_changed),
    F(BKD_T_STATE_CHANGED, payment_id, K_STR, state_changed), F(BKD_T_STATE_CHANGED, reason, K_U8, state_changed),
    F(BKD_T_LOG, level, K_U8, log), F(BKD_T_LOG, text, K_STR, log),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static unsigned long long get_uint(const bkd_msg *m, const field *f)
{
    const unsigned char *p = (const unsigned char *)m + f->off;
    switch (f->kind) {
    case K_U8: return *(const uint8_t *)p;
    case K_U16: return *(const uint16_t *)(const void *)p;
    case K_U32: return *(const uint32_t *)(const void *)p;
    default: return *(const uint64_t *)(const void *)p;
    }
}

int vec_format_fields(const bkd_msg *m, char *out, size_t cap)
{
    size_t i, at = 0;
    out[0] = 0;
    for (i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        const unsigned char *p = (const unsigned char *)m + f->off;
        int n;
        if (f->type != m->type || f->minor > m->minor) {
            continue;
        }
        if (f->kind == K_STR) {
            const bkd_str *s = (const bkd_str *)(const void *)p;
            uint16_t j;
            n = snprintf(out + at, cap - at, " %s=hex:", f->name);
            if (n < 0 || (size_t)n >= cap - at) return -1;
            at += (size_t)n;
            for (j = 0; j < s->len; j++) {
                n = snprintf(out + at, cap - at, "%02x", s->ptr[j]);
                if (n < 0 || (size_t)n >= cap - at) return -1;
                at += (size_t)n;
            }
        } else if (f->kind == K_CFG) {
            if (!p[0]) continue;
            n = snprintf(out + at, cap - at, " %s=%u", f->name, (unsigned)p[1]);
            if (n < 0 || (size_t)n >= cap - at) return -1;
            at += (size_t)n;
        } else {
            n = snprintf(out + at, cap - at, " %s=%llu", f->name, get_uint(m, f));
            if (n < 0 || (size_t)n >= cap - at) return -1;
            at += (size_t)n;
        }
    }
    return 0;
}

int vec_parse_field(bkd_msg *m, const char *token, unsigned char *storage, size_t cap, size_t *used)
{
    const char *eq = strchr(token, '=');
    size_t i, nlen;
    if (!eq) return -1;
    nlen = (size_t)(eq - token);
    for (i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        unsigned char *p = (unsigned char *)m + f->off;
        if (f->type != m->type || strlen(f->name) != nlen || strncmp(f->name, token, nlen) != 0) continue;
        if (f->minor > m->minor) m->minor = (uint8_t)f->minor;
        if (f->kind == K_STR) {
            bkd_str *s = (bkd_str *)(void *)p;
            long n;
            if (strncmp(eq + 1, "hex:", 4) != 0) return -1;
            n = eq[5] ? vec_unhex(eq + 5, storage + *used, cap - *used) : 0;
            if (n < 0) return -1;
            s->ptr = storage + *used;
            s->len = (uint16_t)n;
            *used += (size_t)n;
        } else {
            char *end;
            unsigned long long v = strtoull(eq + 1, &end, 10);
            if (*end) return -1;
            switch (f->kind) {
            case K_U8: *(uint8_t *)p = (uint8_t)v; break;
            case K_U16: *(uint16_t *)(void *)p = (uint16_t)v; break;
            case K_U32: *(uint32_t *)(void *)p = (uint32_t)v; break;
            case K_U64: *(uint64_t *)(void *)p = (uint64_t)v; break;
            case K_CFG: p[0] = 1; p[1] = (uint8_t)v; break;
            default: return -1;
            }
        }
        return 0;
    }
    return -1;
}

void vec_hex(FILE *f, const unsigned char *p, size_t n)
{
    size_t i;
    if (n == 0) {
        fputc('-', f);
        return;
    }
    for (i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

long vec_unhex(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s), i;
    if (strcmp(s, "-") == 0) return 0;
    if (n % 2 || n / 2 > cap) return -1;
    for (i = 0; i < n / 2; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return (long)(n / 2);
}

const char *vec_type_name(unsigned type)
{
    switch (type) {
    case BKD_T_HELLO: return "HELLO";
    case BKD_T_PING: return "PING";
    case BKD_T_SHOW_IDLE: return "SHOW_IDLE";
    case BKD_T_SHOW_QR: return "SHOW_QR";
    case BKD_T_SET_STATUS: return "SET_STATUS";
    case BKD_T_CLEAR: return "CLEAR";
    case BKD_T_SHOW_RESULT: return "SHOW_RESULT";
    case BKD_T_SET_CONFIG: return "SET_CONFIG";
    case BKD_T_BEEP: return "BEEP";
    case BKD_T_GET_STATE: return "GET_STATE";
    case BKD_T_HELLO_ACK: return "HELLO_ACK";
    case BKD_T_PONG: return "PONG";
    case BKD_T_STATE: return "STATE";
    case BKD_T_ACK: return "ACK";
    case BKD_T_BOOT: return "BOOT";
    case BKD_T_STATE_CHANGED: return "STATE_CHANGED";
    case BKD_T_LOG: return "LOG";
    default: return "?";
    }
}
