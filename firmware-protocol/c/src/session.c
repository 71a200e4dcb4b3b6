/* The device side of a display link (SPEC.md sections 5, 8 and 9): answers requests at once, caches the last
 * response for duplicates, sends BOOT until HELLO, retransmits BOOT and STATE_CHANGED, and keeps the QR on screen
 * with a local countdown when the link is lost. Single-threaded: call bkd_dev_rx and bkd_dev_poll from one loop. */
#include <string.h>

#include "bkdisp.h"

static uint32_t now(const bkd_dev *dev)
{
    return dev->cfg.now_ms(dev->cfg.ctx);
}

static bkd_str cstr(const char *s)
{
    bkd_str r;
    size_t n = s ? strlen(s) : 0;
    r.ptr = (const uint8_t *)s;
    r.len = (uint16_t)(n > BKD_TEXT_MAX ? BKD_TEXT_MAX : n);
    return r;
}

static bkd_str payment_id(const bkd_dev *dev)
{
    bkd_str r;
    r.ptr = dev->payment_id;
    r.len = dev->payment_id_len;
    return r;
}

/* Packs m and frames it into buf. Returns the wire length (0 if it does not fit, which the sizes rule out). */
static uint16_t build(const bkd_msg *m, uint8_t flags, uint8_t seq, uint8_t *buf)
{
    uint8_t payload[BKD_DEV_MAX_PAYLOAD];
    size_t len = 0;
    if (bkd_msg_pack(m, payload, sizeof payload, &len) != BKD_R_OK) {
        return 0;
    }
    return (uint16_t)bkd_frame_encode(m->type, flags, seq, payload, len, buf, BKD_DEV_MAX_WIRE);
}

static uint8_t next_seq(bkd_dev *dev)
{
    dev->tx_seq = (uint8_t)(dev->tx_seq == 255u ? 1u : dev->tx_seq + 1u);
    return dev->tx_seq;
}

/* Sends m as the one outstanding device-originated event (supersedes any previous one). */
static void send_event(bkd_dev *dev, const bkd_msg *m)
{
    dev->ev_seq = next_seq(dev);
    dev->ev_type = m->type;
    dev->ev_len = build(m, BKD_FLAG_ACK_REQUESTED, dev->ev_seq, dev->ev);
    dev->ev_retries = 0;
    dev->ev_state = dev->ev_len ? 1u : 0u;
    dev->ev_sent_ms = now(dev);
    if (dev->ev_len) {
        dev->cfg.write(dev->cfg.ctx, dev->ev, dev->ev_len);
    }
}

static void send_boot(bkd_dev *dev)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_BOOT;
    m.u.boot.boot_id = dev->cfg.boot_id;
    m.u.boot.reset_reason = dev->cfg.reset_reason;
    m.u.boot.fw_version = cstr(dev->cfg.fw_version);
    m.u.boot.model = cstr(dev->cfg.model);
    send_event(dev, &m);
    dev->boot_sent_ms = dev->ev_sent_ms;
}

uint16_t bkd_dev_seconds_left(const bkd_dev *dev)
{
    uint32_t left;
    if (!dev->qr_running) {
        return 0;
    }
    left = dev->qr_deadline_ms - now(dev);
    if ((int32_t)left <= 0) {
        return 0;
    }
    left = (left + 999u) / 1000u;
    return (uint16_t)(left > 65535u ? 65535u : left);
}

/* A pending STATE_CHANGED goes out once the host has said HELLO and the link is up. */
static void flush_report(bkd_dev *dev)
{
    bkd_msg m;
    if (!dev->pending_reason || !dev->hello_seen || !dev->link_up) {
        return;
    }
    memset(&m, 0, sizeof m);
    m.type = BKD_T_STATE_CHANGED;
    m.u.state_changed.screen = dev->screen;
    m.u.state_changed.status = dev->status;
    m.u.state_changed.seconds_left = bkd_dev_seconds_left(dev);
    m.u.state_changed.payment_id = payment_id(dev);
    m.u.state_changed.reason = dev->pending_reason;
    dev->pending_reason = 0;
    send_event(dev, &m);
}

void bkd_dev_report(bkd_dev *dev, uint8_t reason)
{
    /* a pending expired_locally or button report is not downgraded to "rendered" */
    if (!(reason == BKD_REASON_RENDERED && dev->pending_reason != 0)) {
        dev->pending_reason = reason;
    }
    flush_report(dev);
}

void bkd_dev_init(bkd_dev *dev, const bkd_dev_config *cfg)
{
    memset(dev, 0, sizeof *dev);
    dev->cfg = *cfg;
    if (dev->cfg.rto_ms == 0) {
        dev->cfg.rto_ms = BKD_RTO_MS;
    }
    bkd_decoder_init(&dev->dec);
    dev->boot_ms = now(dev);
    dev->link_timeout_ms = BKD_DEFAULT_LINK_TIMEOUT_MS;
    dev->screen = BKD_SCREEN_BLANK;
    dev->status = BKD_STATUS_NONE;
    send_boot(dev);
}

/* Answers the request (seq, type) with m and keeps the bytes for duplicates. */
static void answer(bkd_dev *dev, uint8_t seq, uint8_t type, const bkd_msg *m, int cache)
{
    uint8_t *buf = cache ? dev->cache : dev->scratch;
    uint16_t n = build(m, BKD_FLAG_RESPONSE, seq, buf);
    if (n == 0) {
        return;
    }
    if (cache) {
        dev->cache_valid = 1;
        dev->cache_seq = seq;
        dev->cache_type = type;
        dev->cache_len = n;
    }
    dev->cfg.write(dev->cfg.ctx, buf, n);
}

static void answer_ack(bkd_dev *dev, uint8_t seq, uint8_t type, uint8_t result, int cache)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_ACK;
    m.u.ack.result = result;
    m.u.ack.acked_type = type;
    answer(dev, seq, type, &m, cache);
}

static int on_screen(const bkd_dev *dev, bkd_str id)
{
    return (dev->screen == BKD_SCREEN_QR || dev->screen == BKD_SCREEN_STATUS) && id.len == dev->payment_id_len &&
           (id.len == 0 || memcmp(id.ptr, dev->payment_id, id.len) == 0);
}

/* Applies a validated screen command to the model. A screen command also supersedes a STATE_CHANGED that is still
 * pending or unacknowledged: the host has decided what is shown, the old report is stale. */
static void apply(bkd_dev *dev, const bkd_msg *m)
{
    if (m->type == BKD_T_SHOW_IDLE || m->type == BKD_T_CLEAR || m->type == BKD_T_SHOW_QR ||
        m->type == BKD_T_SET_STATUS) {
        dev->pending_reason = 0;
        if (dev->ev_state && dev->ev_type == BKD_T_STATE_CHANGED) {
            dev->ev_state = 0;
        }
    }
    switch (m->type) {
    case BKD_T_SHOW_IDLE:
    case BKD_T_CLEAR:
        dev->screen = BKD_SCREEN_IDLE;
        dev->status = BKD_STATUS_NONE;
        dev->payment_id_len = 0;
        dev->qr_running = 0;
        dev->pending_reason = 0;
        break;
    case BKD_T_SHOW_QR:
        if (!(dev->screen == BKD_SCREEN_QR && on_screen(dev, m->u.show_qr.payment_id))) {
            dev->screen = BKD_SCREEN_QR;
            dev->status = BKD_STATUS_WAITING;
            dev->payment_id_len = (uint8_t)m->u.show_qr.payment_id.len;
            if (m->u.show_qr.payment_id.len) {
                memcpy(dev->payment_id, m->u.show_qr.payment_id.ptr, m->u.show_qr.payment_id.len);
            }
        }
        /* the same payment already on screen: only the countdown is refreshed */
        dev->qr_running = 1;
        dev->qr_deadline_ms = now(dev) + (uint32_t)m->u.show_qr.seconds_left * 1000u;
        dev->pending_reason = 0;
        break;
    case BKD_T_SET_STATUS:
        if (m->u.set_status.status != BKD_STATUS_WAITING) { /* WAITING on the QR screen changes nothing */
            dev->screen = BKD_SCREEN_STATUS;
            dev->status = m->u.set_status.status;
            dev->qr_running = 0;
        }
        dev->pending_reason = 0;
        break;
    default: /* SET_CONFIG and BEEP do not change the screen model */
        break;
    }
}

static void handle_hello(bkd_dev *dev, const bkd_frame *f, const bkd_msg *m)
{
    bkd_msg r;
    if (m->u.hello.proto_major != BKD_PROTO_MAJOR) {
        answer_ack(dev, f->seq, f->type, BKD_R_UNSUPPORTED_VERSION, 0);
        return;
    }
    dev->hello_seen = 1;
    dev->link_timeout_ms = m->u.hello.link_timeout_ms ? m->u.hello.link_timeout_ms : BKD_DEFAULT_LINK_TIMEOUT_MS;
    if (dev->ev_state && dev->ev_type == BKD_T_BOOT) {
        dev->ev_state = 0; /* HELLO ends the BOOT repeat */
    }
    dev->cache_valid = 0; /* a new host session: forget the de-duplication state */
    memset(&r, 0, sizeof r);
    r.type = BKD_T_HELLO_ACK;
    r.u.hello_ack.proto_major = BKD_PROTO_MAJOR;
    r.u.hello_ack.proto_minor = BKD_PROTO_MINOR;
    r.u.hello_ack.boot_id = dev->cfg.boot_id;
    r.u.hello_ack.mtu = BKD_MAX_BODY;
    r.u.hello_ack.capabilities = dev->cfg.capabilities;
    r.u.hello_ack.fw_version = cstr(dev->cfg.fw_version);
    r.u.hello_ack.model = cstr(dev->cfg.model);
    r.u.hello_ack.serial = cstr(dev->cfg.serial);
    answer(dev, f->seq, f->type, &r, 1);
}

static void handle_request(bkd_dev *dev, const bkd_frame *f)
{
    bkd_msg m, r;
    int answer_it = (f->flags & BKD_FLAG_ACK_REQUESTED) != 0;
    int result;

    /* device->host types sent the wrong way are unknown here too */
    result = bkd_msg_to_device(f->type) ? bkd_msg_unpack(f->type, f->payload, f->len, &m) : BKD_R_UNKNOWN_TYPE;
    if (result == BKD_R_OK && f->type == BKD_T_SET_STATUS &&
        (!on_screen(dev, m.u.set_status.payment_id) ||
         (m.u.set_status.status == BKD_STATUS_WAITING && dev->screen != BKD_SCREEN_QR))) {
        result = BKD_R_BAD_STATE; /* another payment, or WAITING when the QR is no longer shown */
    }
    dev->executed++;
    if (result != BKD_R_OK) {
        if (answer_it) {
            answer_ack(dev, f->seq, f->type, (uint8_t)result, 1);
        }
        return;
    }
    memset(&r, 0, sizeof r);
    switch (f->type) {
    case BKD_T_HELLO:
        if (answer_it) {
            handle_hello(dev, f, &m);
        }
        return;
    case BKD_T_PING:
        r.type = BKD_T_PONG;
        r.u.pong.boot_id = dev->cfg.boot_id;
        r.u.pong.uptime_ms = now(dev) - dev->boot_ms;
        r.u.pong.screen = dev->screen;
        break;
    case BKD_T_GET_STATE:
        r.type = BKD_T_STATE;
        r.u.state.screen = dev->screen;
        r.u.state.status = dev->status;
        r.u.state.seconds_left = bkd_dev_seconds_left(dev);
        r.u.state.payment_id = payment_id(dev);
        break;
    default:
        r.type = BKD_T_ACK;
        r.u.ack.result = BKD_R_OK;
        r.u.ack.acked_type = f->type;
        break;
    }
    /* answer first (the host's RTO is running), then the slow work */
    if (answer_it) {
        answer(dev, f->seq, f->type, &r, 1);
    }
    if (r.type == BKD_T_ACK) {
        apply(dev, &m);
        if (dev->cfg.on_command) {
            dev->cfg.on_command(dev->cfg.ctx, &m);
        }
    }
}

static void handle_frame(bkd_dev *dev, const bkd_frame *f)
{
    dev->last_rx_ms = now(dev);
    if (!dev->link_up) {
        dev->link_up = 1;
        dev->offline = 0;
    }
    if (f->flags & BKD_FLAG_RESPONSE) {
        bkd_msg a;
        if (f->ver == BKD_PROTO_MAJOR && f->type == BKD_T_ACK && dev->ev_state && f->seq == dev->ev_seq &&
            bkd_msg_unpack(f->type, f->payload, f->len, &a) == BKD_R_OK && a.u.ack.acked_type == dev->ev_type) {
            dev->ev_state = 0;
        }
    } else if (f->ver != BKD_PROTO_MAJOR) {
        if (f->flags & BKD_FLAG_ACK_REQUESTED) {
            answer_ack(dev, f->seq, f->type, BKD_R_UNSUPPORTED_VERSION, 0);
        }
    } else if ((f->flags & BKD_FLAG_ACK_REQUESTED) && f->type != BKD_T_HELLO && dev->cache_valid &&
               f->seq == dev->cache_seq && f->type == dev->cache_type) {
        dev->duplicates++; /* a retransmit whose answer was lost: answer again, do not execute again */
        dev->cfg.write(dev->cfg.ctx, dev->cache, dev->cache_len);
    } else {
        handle_request(dev, f);
    }
    flush_report(dev);
}

void bkd_dev_rx(bkd_dev *dev, const uint8_t *bytes, size_t len)
{
    size_t i;
    bkd_frame f;
    for (i = 0; i < len; i++) {
        if (bkd_decoder_push(&dev->dec, bytes[i], &f)) {
            handle_frame(dev, &f);
        }
    }
}

int bkd_dev_poll(bkd_dev *dev)
{
    uint32_t t = now(dev);
    int changed = 0;

    if (dev->link_up && t - dev->last_rx_ms >= dev->link_timeout_ms) {
        dev->link_up = 0;
        dev->offline = 1; /* keep what is shown, with an offline mark */
        changed = 1;
    }
    if (dev->qr_running && (int32_t)(t - dev->qr_deadline_ms) >= 0) {
        /* the display's own countdown ended: the QR can no longer be paid; never infer any other outcome */
        dev->qr_running = 0;
        dev->screen = BKD_SCREEN_STATUS;
        dev->status = BKD_STATUS_EXPIRED;
        dev->pending_reason = BKD_REASON_EXPIRED_LOCALLY;
        changed = 1;
    }
    if (!dev->hello_seen && t - dev->boot_sent_ms >= BKD_BOOT_REPEAT_MS) {
        send_boot(dev);
    } else if (dev->ev_state && t - dev->ev_sent_ms >= dev->cfg.rto_ms) {
        if (dev->ev_retries < BKD_RETRIES) {
            dev->ev_retries++;
            dev->ev_sent_ms = t;
            dev->cfg.write(dev->cfg.ctx, dev->ev, dev->ev_len); /* the identical bytes, same seq */
        } else {
            dev->ev_state = 0; /* give up silently */
        }
    }
    flush_report(dev);
    return changed;
}

void bkd_dev_log(bkd_dev *dev, uint8_t level, const char *text)
{
    bkd_msg m;
    uint16_t n;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_LOG;
    m.u.log.level = level;
    m.u.log.text = cstr(text);
    n = build(&m, 0, 0, dev->scratch);
    if (n) {
        dev->cfg.write(dev->cfg.ctx, dev->scratch, n);
    }
}
