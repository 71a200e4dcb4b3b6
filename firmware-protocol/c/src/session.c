/* The device side of a display link (SPEC.md sections 5, 8 to 11): answers requests at once, caches the last
 * response for duplicates, sends BOOT until HELLO, retransmits BOOT and STATE_CHANGED, keeps the QR on screen with a
 * local countdown when the link is lost, and (v1.1) never draws the QR of a payment whose result it has shown (the
 * result latch), checks the optional QR MAC, keeps SET_CONFIG, and tells the application what to redraw.
 * Single-threaded: call bkd_dev_rx, bkd_dev_poll and bkd_dev_take_redraw from one loop. */
#include <string.h>

#include "bkdisp.h"

static uint32_t now(const bkd_dev *dev)
{
    return dev->cfg.now_ms(dev->cfg.ctx);
}

/* A Khmer dependent vowel or sign (U+17B6-U+17D3, U+17DD) starts at p: E1 9E xx is U+1780-U+17BF, E1 9F xx U+17C0-U+17FF. */
static int khmer_sign_at(const uint8_t *p, size_t n)
{
    unsigned cp;
    if (n < 3 || p[0] != 0xE1u || (p[1] != 0x9Eu && p[1] != 0x9Fu)) {
        return 0;
    }
    cp = 0x1000u | ((unsigned)(p[1] & 0x3Fu) << 6) | (unsigned)(p[2] & 0x3Fu);
    return (cp >= 0x17B6u && cp <= 0x17D3u) || cp == 0x17DDu;
}

size_t bkd_text_cut(const uint8_t *text, size_t len, size_t limit)
{
    size_t cut;
    if (len <= limit) {
        return len;
    }
    for (cut = limit; cut > 0; cut--) {
        int inside = (text[cut] & 0xC0u) == 0x80u; /* a continuation byte */
        int after_coeng = cut >= 3 && text[cut - 3] == 0xE1u && text[cut - 2] == 0x9Fu && text[cut - 1] == 0x92u;
        if (!inside && !after_coeng && !khmer_sign_at(text + cut, len - cut)) {
            break;
        }
    }
    return cut;
}

static bkd_str cstr(const char *s)
{
    bkd_str r;
    size_t n = s ? strlen(s) : 0;
    r.ptr = (const uint8_t *)s;
    r.len = (uint16_t)bkd_text_cut(r.ptr, n, BKD_TEXT_MAX);
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

int bkd_dev_latched(const bkd_dev *dev, const uint8_t *id, size_t len)
{
    unsigned i;
    for (i = 0; i < BKD_LATCH_N; i++) {
        if (len > 0 && dev->latch_len[i] == len && memcmp(dev->latch_id[i], id, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Remembers that a result for the payment on screen was drawn: its QR is never drawn again in this boot. */
static void latch_current(bkd_dev *dev)
{
    if (dev->payment_id_len == 0 || bkd_dev_latched(dev, dev->payment_id, dev->payment_id_len)) {
        return;
    }
    dev->latch_len[dev->latch_next] = dev->payment_id_len;
    memcpy(dev->latch_id[dev->latch_next], dev->payment_id, dev->payment_id_len);
    dev->latch_next = (uint8_t)((dev->latch_next + 1u) % BKD_LATCH_N);
}

/* The STATUS screen for the payment on screen. A new result is drawn, latched, and beeped when beep_on_result is on
 * (PAID: success; FAILED, EXPIRED, CANCELLED: error). */
static void show_status(bkd_dev *dev, uint8_t status)
{
    int changed = dev->screen != BKD_SCREEN_STATUS || dev->status != status;
    dev->screen = BKD_SCREEN_STATUS;
    dev->status = status;
    dev->qr_running = 0;
    latch_current(dev);
    if (changed) {
        dev->redraw |= BKD_REDRAW_SCREEN;
        if (dev->beep_on_result) {
            dev->beep_pattern = status == BKD_STATUS_PAID ? 2u : 3u;
            dev->beep_repeat = 1;
            dev->redraw |= BKD_REDRAW_BEEP;
        }
    }
}

static void set_payment(bkd_dev *dev, bkd_str id)
{
    dev->payment_id_len = (uint8_t)id.len;
    if (id.len) {
        memcpy(dev->payment_id, id.ptr, id.len);
    }
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
    dev->brightness = 100;
    dev->beep_on_result = 1;
    dev->language = 0;
    dev->redraw = BKD_REDRAW_SCREEN | BKD_REDRAW_CONFIG; /* draw the blank screen once */
    if (dev->cfg.qr_max == 0 || dev->cfg.qr_max > BKD_QR_MAX) {
        dev->cfg.qr_max = BKD_QR_MAX;
    }
    if (dev->cfg.mac_key == 0 || dev->cfg.mac_key_len == 0 || dev->cfg.mac_key_len > BKD_MAC_KEY_MAX) {
        dev->cfg.mac_key = 0;
        dev->cfg.mac_key_len = 0;
        dev->cfg.capabilities &= ~(uint32_t)BKD_CAP_QR_MAC;
    } else {
        dev->cfg.capabilities |= BKD_CAP_QR_MAC;
    }
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

/* Applies a validated command to the model (SPEC.md section 11.2). Returns 1 if it was applied (the application gets
 * on_command), 0 if it changed nothing on purpose: SET_STATUS WAITING on the QR screen, and a SHOW_QR for a payment
 * whose result was shown (the result latch). A screen command also supersedes a STATE_CHANGED that is pending or
 * unacknowledged: the host has decided what is shown, the old report is stale. */
static int apply(bkd_dev *dev, const bkd_msg *m)
{
    switch (m->type) {
    case BKD_T_SHOW_QR:
        if (bkd_dev_latched(dev, m->u.show_qr.payment_id.ptr, m->u.show_qr.payment_id.len)) {
            return 0; /* payment ids are immutable: a paid (failed, expired...) payment's QR is never shown again */
        }
        break;
    case BKD_T_SET_STATUS:
        if (m->u.set_status.status == BKD_STATUS_WAITING) {
            return 0; /* WAITING on the QR screen changes nothing (on STATUS it was refused with BAD_STATE) */
        }
        break;
    default:
        break;
    }
    if (m->type == BKD_T_SHOW_IDLE || m->type == BKD_T_CLEAR || m->type == BKD_T_SHOW_QR ||
        m->type == BKD_T_SET_STATUS || m->type == BKD_T_SHOW_RESULT) {
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
        dev->redraw |= BKD_REDRAW_SCREEN;
        break;
    case BKD_T_SHOW_QR:
        if (!(dev->screen == BKD_SCREEN_QR && on_screen(dev, m->u.show_qr.payment_id))) {
            dev->screen = BKD_SCREEN_QR;
            dev->status = BKD_STATUS_WAITING;
            set_payment(dev, m->u.show_qr.payment_id);
            dev->redraw |= BKD_REDRAW_SCREEN;
        }
        /* the same payment already on screen: only the countdown is refreshed (its content is immutable) */
        dev->qr_running = 1;
        dev->qr_deadline_ms = now(dev) + (uint32_t)m->u.show_qr.seconds_left * 1000u;
        if (m->u.show_qr.seconds_left == 0) {
            show_status(dev, BKD_STATUS_EXPIRED); /* already expired: the QR is not drawn at all */
        }
        break;
    case BKD_T_SET_STATUS:
        show_status(dev, m->u.set_status.status); /* for the payment on screen (checked before) */
        dev->redraw |= BKD_REDRAW_SCREEN;         /* the message may be new */
        break;
    case BKD_T_SHOW_RESULT:
        if (!on_screen(dev, m->u.show_result.payment_id)) {
            set_payment(dev, m->u.show_result.payment_id);
            dev->screen = BKD_SCREEN_BLANK; /* a new payment: show_status draws it */
        }
        show_status(dev, m->u.show_result.status);
        break;
    case BKD_T_SET_CONFIG: {
        const bkd_set_config *c = &m->u.set_config;
        if ((c->has_brightness && c->brightness != dev->brightness) || (c->has_language && c->language != dev->language)) {
            dev->redraw |= BKD_REDRAW_CONFIG;
        }
        if (c->has_brightness) dev->brightness = c->brightness;
        if (c->has_beep_on_result) dev->beep_on_result = c->beep_on_result;
        if (c->has_language) dev->language = c->language;
        break;
    }
    case BKD_T_BEEP:
        if (m->u.beep.repeat > 0) { /* repeat 0 plays nothing */
            dev->beep_pattern = (m->u.beep.pattern >= 1 && m->u.beep.pattern <= 3) ? m->u.beep.pattern : 1u;
            dev->beep_repeat = m->u.beep.repeat;
            dev->redraw |= BKD_REDRAW_BEEP;
        }
        break;
    default:
        break;
    }
    return 1;
}

static void handle_hello(bkd_dev *dev, const bkd_frame *f, const bkd_msg *m)
{
    bkd_msg r;
    if (m->u.hello.proto_major != BKD_PROTO_MAJOR) {
        answer_ack(dev, f->seq, f->type, BKD_R_UNSUPPORTED_VERSION, 0);
        return;
    }
    dev->hello_seen = 1;
    dev->host_minor = m->u.hello.proto_minor;
    dev->link_timeout_ms = m->u.hello.link_timeout_ms ? m->u.hello.link_timeout_ms : BKD_DEFAULT_LINK_TIMEOUT_MS;
    if (dev->ev_state && dev->ev_type == BKD_T_BOOT) {
        dev->ev_state = 0; /* HELLO ends the BOOT repeat */
    }
    dev->cache_valid = 0; /* a new host session: forget the de-duplication state */
    memset(&r, 0, sizeof r);
    r.type = BKD_T_HELLO_ACK;
    r.minor = 1;
    r.u.hello_ack.mac_counter = dev->mac_counter;
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

/* The MAC check of SPEC.md section 6.5: with a key, SHOW_QR and SHOW_RESULT carry a trailer whose tag must match and
 * whose counter must be above the last accepted one; SET_STATUS is refused (results go in SHOW_RESULT). Returns the
 * length of the message fields (the payload without the trailer), or -1 for AUTH_FAILED. */
static long check_mac(bkd_dev *dev, const bkd_frame *f)
{
    uint32_t counter = 0;
    if (dev->cfg.mac_key == 0 || !(f->type == BKD_T_SHOW_QR || f->type == BKD_T_SHOW_RESULT || f->type == BKD_T_SET_STATUS)) {
        return (long)f->len;
    }
    if (f->type == BKD_T_SET_STATUS ||
        !bkd_mac_check(dev->cfg.mac_key, dev->cfg.mac_key_len, dev->cfg.boot_id, f->type, f->payload, f->len, &counter) ||
        counter <= dev->mac_counter) {
        return -1;
    }
    dev->mac_counter = counter;
    return (long)f->len - (long)BKD_MAC_TRAILER_LEN;
}

/* A valid request with ver 1 that is not a duplicate. Checks in the order of SPEC.md section 5.3: type, MAC, payload,
 * state; then answers at once, then applies. */
static void handle_request(bkd_dev *dev, const bkd_frame *f)
{
    bkd_msg m, r;
    int answer_it = (f->flags & BKD_FLAG_ACK_REQUESTED) != 0;
    int result = BKD_R_OK;
    long fields_len = 0;

    if (f->type == BKD_T_HELLO && !answer_it) {
        return; /* a session starts only with an answered HELLO (SPEC.md section 5.2) */
    }
    memset(&m, 0, sizeof m);
    if (!bkd_msg_to_device(f->type)) {
        result = BKD_R_UNKNOWN_TYPE; /* device->host types sent the wrong way are unknown here too */
    } else if ((fields_len = check_mac(dev, f)) < 0) {
        result = BKD_R_AUTH_FAILED;
    } else {
        result = bkd_msg_unpack(f->type, f->payload, (size_t)fields_len, &m);
    }
    if (result == BKD_R_OK && f->type == BKD_T_SET_STATUS &&
        (!on_screen(dev, m.u.set_status.payment_id) ||
         (m.u.set_status.status == BKD_STATUS_WAITING && dev->screen != BKD_SCREEN_QR))) {
        result = BKD_R_BAD_STATE; /* another payment, or WAITING when the QR is no longer shown */
    }
    if (result == BKD_R_OK && f->type == BKD_T_SHOW_QR && m.u.show_qr.qr.len > dev->cfg.qr_max &&
        !bkd_dev_latched(dev, m.u.show_qr.payment_id.ptr, m.u.show_qr.payment_id.len)) {
        result = BKD_R_TOO_LARGE; /* more than this display can draw */
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
        handle_hello(dev, f, &m);
        return;
    case BKD_T_PING:
        r.type = BKD_T_PONG;
        r.u.pong.boot_id = dev->cfg.boot_id;
        r.u.pong.uptime_ms = now(dev) - dev->boot_ms;
        r.u.pong.screen = dev->screen;
        break;
    case BKD_T_GET_STATE: {
        int i;
        r.type = BKD_T_STATE;
        r.minor = 1;
        r.u.state.screen = dev->screen;
        r.u.state.status = dev->status;
        r.u.state.seconds_left = bkd_dev_seconds_left(dev);
        r.u.state.payment_id = payment_id(dev);
        r.u.state.frames_ok = dev->dec.frames;
        for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
            r.u.state.drops[i] = dev->dec.drops[i];
        }
        r.u.state.duplicates = dev->duplicates;
        break;
    }
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
    if (r.type == BKD_T_ACK && apply(dev, &m) && dev->cfg.on_command) {
        dev->cfg.on_command(dev->cfg.ctx, &m);
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
        show_status(dev, BKD_STATUS_EXPIRED);
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

unsigned bkd_dev_take_redraw(bkd_dev *dev)
{
    unsigned why = dev->redraw;
    uint16_t secs = dev->screen == BKD_SCREEN_QR ? bkd_dev_seconds_left(dev) : 0u;
    if (secs != dev->shown_seconds) {
        why |= BKD_REDRAW_COUNTDOWN;
        dev->shown_seconds = secs;
    }
    if (dev->offline != dev->shown_offline) {
        why |= BKD_REDRAW_OFFLINE;
        dev->shown_offline = dev->offline;
    }
    dev->redraw = 0;
    return why;
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
