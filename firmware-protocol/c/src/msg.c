/* Message payloads (SPEC.md section 6): little-endian fixed fields, str8/str16 strings, bounded lengths.
 * Unpack ignores bytes after the fields it knows (newer minor versions append fields). v1.1 adds SHOW_RESULT, the
 * HELLO_ACK mac_counter, the STATE counters and value ranges (non-empty payment ids, currency, exponent); unpacking
 * "as minor 0" gives what a v1.0 peer sees, which the shared v1.0 vectors describe. */
#include "bkdisp.h"

typedef struct {
    const uint8_t *p;
    size_t len, at;
    int bad;
} reader;

static uint8_t rd_u8(reader *r)
{
    if (r->bad || r->len - r->at < 1) {
        r->bad = 1;
        return 0;
    }
    return r->p[r->at++];
}

static uint64_t rd_le(reader *r, unsigned n)
{
    uint64_t v = 0;
    unsigned i;
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        return 0;
    }
    for (i = 0; i < n; i++) {
        v |= (uint64_t)r->p[r->at + i] << (8u * i);
    }
    r->at += n;
    return v;
}

/* A string with a length prefix of prefix_bytes (1 = str8, 2 = str16), at most max bytes. */
static bkd_str rd_str(reader *r, unsigned prefix_bytes, uint16_t max)
{
    bkd_str s;
    uint64_t n = rd_le(r, prefix_bytes);
    s.ptr = 0;
    s.len = 0;
    if (r->bad) {
        return s;
    }
    if (n > max || r->len - r->at < n) {
        r->bad = 1;
        return s;
    }
    s.ptr = r->p + r->at;
    s.len = (uint16_t)n;
    r->at += (size_t)n;
    return s;
}

typedef struct {
    uint8_t *p;
    size_t cap, at;
    int err; /* BKD_R_OK, BKD_R_BAD_PAYLOAD or BKD_R_TOO_LARGE */
} writer;

static void wr_le(writer *w, uint64_t v, unsigned n)
{
    unsigned i;
    if (w->err != BKD_R_OK) {
        return;
    }
    if (w->cap - w->at < n) {
        w->err = BKD_R_TOO_LARGE;
        return;
    }
    for (i = 0; i < n; i++) {
        w->p[w->at++] = (uint8_t)(v >> (8u * i));
    }
}

static void wr_str(writer *w, bkd_str s, unsigned prefix_bytes, uint16_t max)
{
    uint16_t i;
    if (w->err != BKD_R_OK) {
        return;
    }
    if (s.len > max || (s.len > 0 && s.ptr == 0)) {
        w->err = BKD_R_BAD_PAYLOAD;
        return;
    }
    wr_le(w, s.len, prefix_bytes);
    if (w->err != BKD_R_OK) {
        return;
    }
    if (w->cap - w->at < s.len) {
        w->err = BKD_R_TOO_LARGE;
        return;
    }
    for (i = 0; i < s.len; i++) {
        w->p[w->at++] = s.ptr[i];
    }
}

static int to_device(uint8_t type, uint8_t minor)
{
    if (type == BKD_T_SHOW_RESULT) {
        return minor >= 1;
    }
    switch (type) {
    case BKD_T_HELLO:
    case BKD_T_PING:
    case BKD_T_SHOW_IDLE:
    case BKD_T_SHOW_QR:
    case BKD_T_SET_STATUS:
    case BKD_T_CLEAR:
    case BKD_T_SET_CONFIG:
    case BKD_T_BEEP:
    case BKD_T_GET_STATE:
        return 1;
    default:
        return 0;
    }
}

int bkd_msg_to_device(uint8_t type)
{
    return to_device(type, BKD_PROTO_MINOR);
}

int bkd_msg_known(uint8_t type)
{
    return bkd_msg_to_device(type) || (type >= BKD_T_HELLO_ACK && type <= BKD_T_STATE) || type == BKD_T_ACK ||
           (type >= BKD_T_BOOT && type <= BKD_T_LOG);
}

/* v1.1 value rules for a payment shown on screen (SPEC.md section 6.1): an id is never empty; ISO 4217 numeric
 * currency 1..999; 0..4 decimal places. */
static int payment_ok(bkd_str id, uint16_t currency, uint8_t exponent)
{
    return id.len > 0 && currency >= BKD_CURRENCY_MIN && currency <= BKD_CURRENCY_MAX && exponent <= BKD_EXPONENT_MAX;
}

static int result_status_ok(uint8_t status)
{
    return status >= BKD_STATUS_PAID && status <= BKD_STATUS_CANCELLED;
}

static int unpack_config(reader *r, bkd_set_config *c)
{
    while (r->at < r->len) {
        uint8_t key = rd_u8(r);
        uint8_t n = rd_u8(r);
        uint8_t v;
        if (r->bad || r->len - r->at < n) {
            return BKD_R_BAD_PAYLOAD;
        }
        if (key < BKD_CFG_BRIGHTNESS || key > BKD_CFG_LANGUAGE) {
            r->at += n; /* unknown key: ignored */
            continue;
        }
        if (n != 1) {
            return BKD_R_BAD_PAYLOAD;
        }
        v = rd_u8(r);
        if (key == BKD_CFG_BRIGHTNESS) {
            if (v > 100) {
                return BKD_R_BAD_PAYLOAD;
            }
            c->has_brightness = 1;
            c->brightness = v;
        } else if (key == BKD_CFG_BEEP_ON_RESULT) {
            if (v > 1) {
                return BKD_R_BAD_PAYLOAD;
            }
            c->has_beep_on_result = 1;
            c->beep_on_result = v;
        } else {
            if (v > 1) {
                return BKD_R_BAD_PAYLOAD;
            }
            c->has_language = 1;
            c->language = v;
        }
    }
    return BKD_R_OK;
}

int bkd_msg_unpack(uint8_t type, const uint8_t *payload, size_t len, bkd_msg *out)
{
    return bkd_msg_unpack_minor(type, payload, len, (uint8_t)BKD_PROTO_MINOR, out);
}

int bkd_msg_unpack_minor(uint8_t type, const uint8_t *payload, size_t len, uint8_t minor, bkd_msg *out)
{
    reader r;
    bkd_msg z = {0};

    *out = z;
    out->type = type;
    r.p = payload;
    r.len = len;
    r.at = 0;
    r.bad = 0;

    switch (type) {
    case BKD_T_PING:
    case BKD_T_CLEAR:
    case BKD_T_GET_STATE:
        break;
    case BKD_T_HELLO: {
        bkd_hello *m = &out->u.hello;
        m->proto_major = rd_u8(&r);
        m->proto_minor = rd_u8(&r);
        m->host_time_unix_ms = rd_le(&r, 8);
        m->heartbeat_ms = (uint16_t)rd_le(&r, 2);
        m->link_timeout_ms = (uint16_t)rd_le(&r, 2);
        m->host_name = rd_str(&r, 1, BKD_TEXT_MAX);
        break;
    }
    case BKD_T_SHOW_IDLE:
        out->u.show_idle.merchant_name = rd_str(&r, 1, BKD_TEXT_MAX);
        out->u.show_idle.line2 = rd_str(&r, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_SHOW_QR: {
        bkd_show_qr *m = &out->u.show_qr;
        m->payment_id = rd_str(&r, 1, BKD_PAYMENT_ID_MAX);
        m->amount_minor = rd_le(&r, 8);
        m->currency = (uint16_t)rd_le(&r, 2);
        m->exponent = rd_u8(&r);
        m->expire_unix_ms = rd_le(&r, 8);
        m->seconds_left = (uint16_t)rd_le(&r, 2);
        m->merchant_name = rd_str(&r, 1, BKD_TEXT_MAX);
        m->qr = rd_str(&r, 2, BKD_QR_MAX);
        if (!r.bad && minor >= 1 && !payment_ok(m->payment_id, m->currency, m->exponent)) {
            return BKD_R_BAD_PAYLOAD;
        }
        break;
    }
    case BKD_T_SET_STATUS: {
        bkd_set_status *m = &out->u.set_status;
        m->payment_id = rd_str(&r, 1, BKD_PAYMENT_ID_MAX);
        m->status = rd_u8(&r);
        m->message = rd_str(&r, 1, BKD_TEXT_MAX);
        if (!r.bad && (m->status < BKD_STATUS_WAITING || m->status > BKD_STATUS_CANCELLED ||
                       (minor >= 1 && m->payment_id.len == 0))) {
            return BKD_R_BAD_PAYLOAD;
        }
        break;
    }
    case BKD_T_SHOW_RESULT: {
        bkd_show_result *m = &out->u.show_result;
        if (minor < 1) {
            return BKD_R_UNKNOWN_TYPE;
        }
        m->payment_id = rd_str(&r, 1, BKD_PAYMENT_ID_MAX);
        m->status = rd_u8(&r);
        m->amount_minor = rd_le(&r, 8);
        m->currency = (uint16_t)rd_le(&r, 2);
        m->exponent = rd_u8(&r);
        m->merchant_name = rd_str(&r, 1, BKD_TEXT_MAX);
        m->message = rd_str(&r, 1, BKD_TEXT_MAX);
        if (!r.bad && (!result_status_ok(m->status) || !payment_ok(m->payment_id, m->currency, m->exponent))) {
            return BKD_R_BAD_PAYLOAD;
        }
        break;
    }
    case BKD_T_SET_CONFIG:
        return unpack_config(&r, &out->u.set_config);
    case BKD_T_BEEP:
        out->u.beep.pattern = rd_u8(&r);
        out->u.beep.repeat = rd_u8(&r);
        break;
    case BKD_T_HELLO_ACK: {
        bkd_hello_ack *m = &out->u.hello_ack;
        m->proto_major = rd_u8(&r);
        m->proto_minor = rd_u8(&r);
        m->boot_id = (uint32_t)rd_le(&r, 4);
        m->mtu = (uint16_t)rd_le(&r, 2);
        m->capabilities = (uint32_t)rd_le(&r, 4);
        m->fw_version = rd_str(&r, 1, BKD_TEXT_MAX);
        m->model = rd_str(&r, 1, BKD_TEXT_MAX);
        m->serial = rd_str(&r, 1, BKD_TEXT_MAX);
        if (!r.bad && minor >= 1 && r.len - r.at >= 4) { /* v1.1 field; absent from a v1.0 device: 0 */
            m->mac_counter = (uint32_t)rd_le(&r, 4);
            out->minor = 1;
        }
        break;
    }
    case BKD_T_PONG:
        out->u.pong.boot_id = (uint32_t)rd_le(&r, 4);
        out->u.pong.uptime_ms = (uint32_t)rd_le(&r, 4);
        out->u.pong.screen = rd_u8(&r);
        break;
    case BKD_T_STATE:
        out->u.state.screen = rd_u8(&r);
        out->u.state.status = rd_u8(&r);
        out->u.state.seconds_left = (uint16_t)rd_le(&r, 2);
        out->u.state.payment_id = rd_str(&r, 1, BKD_PAYMENT_ID_MAX);
        if (!r.bad && minor >= 1 && r.len - r.at >= 28) { /* v1.1 counters; absent from a v1.0 device: 0 */
            int i;
            out->u.state.frames_ok = (uint32_t)rd_le(&r, 4);
            for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
                out->u.state.drops[i] = (uint32_t)rd_le(&r, 4);
            }
            out->u.state.duplicates = (uint32_t)rd_le(&r, 4);
            out->minor = 1;
        }
        break;
    case BKD_T_ACK:
        out->u.ack.result = rd_u8(&r);
        out->u.ack.acked_type = rd_u8(&r);
        break;
    case BKD_T_BOOT:
        out->u.boot.boot_id = (uint32_t)rd_le(&r, 4);
        out->u.boot.reset_reason = rd_u8(&r);
        out->u.boot.fw_version = rd_str(&r, 1, BKD_TEXT_MAX);
        out->u.boot.model = rd_str(&r, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_STATE_CHANGED: {
        bkd_state_changed *m = &out->u.state_changed;
        m->screen = rd_u8(&r);
        m->status = rd_u8(&r);
        m->seconds_left = (uint16_t)rd_le(&r, 2);
        m->payment_id = rd_str(&r, 1, BKD_PAYMENT_ID_MAX);
        m->reason = rd_u8(&r);
        break;
    }
    case BKD_T_LOG:
        out->u.log.level = rd_u8(&r);
        out->u.log.text = rd_str(&r, 1, BKD_TEXT_MAX);
        break;
    default:
        return BKD_R_UNKNOWN_TYPE;
    }
    return r.bad ? BKD_R_BAD_PAYLOAD : BKD_R_OK;
}

static void pack_config_entry(writer *w, uint8_t has, uint8_t key, uint8_t value, uint8_t max)
{
    if (!has) {
        return;
    }
    if (value > max && w->err == BKD_R_OK) {
        w->err = BKD_R_BAD_PAYLOAD;
    }
    wr_le(w, key, 1);
    wr_le(w, 1, 1);
    wr_le(w, value, 1);
}

static void pack_config(writer *w, const bkd_set_config *c)
{
    pack_config_entry(w, c->has_brightness, BKD_CFG_BRIGHTNESS, c->brightness, 100);
    pack_config_entry(w, c->has_beep_on_result, BKD_CFG_BEEP_ON_RESULT, c->beep_on_result, 1);
    pack_config_entry(w, c->has_language, BKD_CFG_LANGUAGE, c->language, 1);
}

int bkd_msg_pack(const bkd_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
    writer w;
    w.p = out;
    w.cap = cap < BKD_MAX_PAYLOAD ? cap : BKD_MAX_PAYLOAD;
    w.at = 0;
    w.err = BKD_R_OK;

    switch (m->type) {
    case BKD_T_PING:
    case BKD_T_CLEAR:
    case BKD_T_GET_STATE:
        break;
    case BKD_T_HELLO:
        wr_le(&w, m->u.hello.proto_major, 1);
        wr_le(&w, m->u.hello.proto_minor, 1);
        wr_le(&w, m->u.hello.host_time_unix_ms, 8);
        wr_le(&w, m->u.hello.heartbeat_ms, 2);
        wr_le(&w, m->u.hello.link_timeout_ms, 2);
        wr_str(&w, m->u.hello.host_name, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_SHOW_IDLE:
        wr_str(&w, m->u.show_idle.merchant_name, 1, BKD_TEXT_MAX);
        wr_str(&w, m->u.show_idle.line2, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_SHOW_QR:
        if (!payment_ok(m->u.show_qr.payment_id, m->u.show_qr.currency, m->u.show_qr.exponent)) {
            return BKD_R_BAD_PAYLOAD;
        }
        wr_str(&w, m->u.show_qr.payment_id, 1, BKD_PAYMENT_ID_MAX);
        wr_le(&w, m->u.show_qr.amount_minor, 8);
        wr_le(&w, m->u.show_qr.currency, 2);
        wr_le(&w, m->u.show_qr.exponent, 1);
        wr_le(&w, m->u.show_qr.expire_unix_ms, 8);
        wr_le(&w, m->u.show_qr.seconds_left, 2);
        wr_str(&w, m->u.show_qr.merchant_name, 1, BKD_TEXT_MAX);
        wr_str(&w, m->u.show_qr.qr, 2, BKD_QR_MAX);
        break;
    case BKD_T_SET_STATUS:
        if (m->u.set_status.status < BKD_STATUS_WAITING || m->u.set_status.status > BKD_STATUS_CANCELLED ||
            m->u.set_status.payment_id.len == 0) {
            return BKD_R_BAD_PAYLOAD;
        }
        wr_str(&w, m->u.set_status.payment_id, 1, BKD_PAYMENT_ID_MAX);
        wr_le(&w, m->u.set_status.status, 1);
        wr_str(&w, m->u.set_status.message, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_SHOW_RESULT: {
        const bkd_show_result *r = &m->u.show_result;
        if (!result_status_ok(r->status) || !payment_ok(r->payment_id, r->currency, r->exponent)) {
            return BKD_R_BAD_PAYLOAD;
        }
        wr_str(&w, r->payment_id, 1, BKD_PAYMENT_ID_MAX);
        wr_le(&w, r->status, 1);
        wr_le(&w, r->amount_minor, 8);
        wr_le(&w, r->currency, 2);
        wr_le(&w, r->exponent, 1);
        wr_str(&w, r->merchant_name, 1, BKD_TEXT_MAX);
        wr_str(&w, r->message, 1, BKD_TEXT_MAX);
        break;
    }
    case BKD_T_SET_CONFIG:
        pack_config(&w, &m->u.set_config);
        break;
    case BKD_T_BEEP:
        wr_le(&w, m->u.beep.pattern, 1);
        wr_le(&w, m->u.beep.repeat, 1);
        break;
    case BKD_T_HELLO_ACK:
        wr_le(&w, m->u.hello_ack.proto_major, 1);
        wr_le(&w, m->u.hello_ack.proto_minor, 1);
        wr_le(&w, m->u.hello_ack.boot_id, 4);
        wr_le(&w, m->u.hello_ack.mtu, 2);
        wr_le(&w, m->u.hello_ack.capabilities, 4);
        wr_str(&w, m->u.hello_ack.fw_version, 1, BKD_TEXT_MAX);
        wr_str(&w, m->u.hello_ack.model, 1, BKD_TEXT_MAX);
        wr_str(&w, m->u.hello_ack.serial, 1, BKD_TEXT_MAX);
        if (m->minor >= 1) {
            wr_le(&w, m->u.hello_ack.mac_counter, 4);
        }
        break;
    case BKD_T_PONG:
        wr_le(&w, m->u.pong.boot_id, 4);
        wr_le(&w, m->u.pong.uptime_ms, 4);
        wr_le(&w, m->u.pong.screen, 1);
        break;
    case BKD_T_STATE:
        wr_le(&w, m->u.state.screen, 1);
        wr_le(&w, m->u.state.status, 1);
        wr_le(&w, m->u.state.seconds_left, 2);
        wr_str(&w, m->u.state.payment_id, 1, BKD_PAYMENT_ID_MAX);
        if (m->minor >= 1) {
            int i;
            wr_le(&w, m->u.state.frames_ok, 4);
            for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
                wr_le(&w, m->u.state.drops[i], 4);
            }
            wr_le(&w, m->u.state.duplicates, 4);
        }
        break;
    case BKD_T_ACK:
        wr_le(&w, m->u.ack.result, 1);
        wr_le(&w, m->u.ack.acked_type, 1);
        break;
    case BKD_T_BOOT:
        wr_le(&w, m->u.boot.boot_id, 4);
        wr_le(&w, m->u.boot.reset_reason, 1);
        wr_str(&w, m->u.boot.fw_version, 1, BKD_TEXT_MAX);
        wr_str(&w, m->u.boot.model, 1, BKD_TEXT_MAX);
        break;
    case BKD_T_STATE_CHANGED:
        wr_le(&w, m->u.state_changed.screen, 1);
        wr_le(&w, m->u.state_changed.status, 1);
        wr_le(&w, m->u.state_changed.seconds_left, 2);
        wr_str(&w, m->u.state_changed.payment_id, 1, BKD_PAYMENT_ID_MAX);
        wr_le(&w, m->u.state_changed.reason, 1);
        break;
    case BKD_T_LOG:
        wr_le(&w, m->u.log.level, 1);
        wr_str(&w, m->u.log.text, 1, BKD_TEXT_MAX);
        break;
    default:
        return BKD_R_UNKNOWN_TYPE;
    }
    if (w.err == BKD_R_OK) {
        *out_len = w.at;
    }
    return w.err;
}
