/* The device session against a scripted host, with a fake millisecond clock. */
#include <string.h>

#include "bkdisp.h"
#include "test.h"

typedef struct {
    uint32_t t;                  /* the fake clock */
    uint8_t out[16384];          /* bytes the device wrote since the last take() */
    size_t out_len;
    int commands[256];           /* on_command calls per type */
} rig;

static uint32_t rig_now(void *ctx)
{
    return ((rig *)ctx)->t;
}

static void rig_write(void *ctx, const uint8_t *b, size_t n)
{
    rig *r = (rig *)ctx;
    if (r->out_len + n <= sizeof r->out) {
        memcpy(r->out + r->out_len, b, n);
        r->out_len += n;
    }
}

static void rig_command(void *ctx, const bkd_msg *m)
{
    ((rig *)ctx)->commands[m->type]++;
}

/* Frames the device wrote since the last call (decoded by a host-side decoder). */
typedef struct {
    int n;
    bkd_frame f[16];
    bkd_msg m[16];
    uint8_t payload[16][BKD_MAX_PAYLOAD];
    uint8_t wire[16][BKD_MAX_WIRE];
    size_t wire_len[16];
} taken;

static taken tk;

static taken *take(rig *r)
{
    static bkd_decoder d;
    size_t i, start = 0;
    bkd_frame f;
    bkd_decoder_init(&d);
    tk.n = 0;
    for (i = 0; i < r->out_len; i++) {
        if (r->out[i] == 0 && (i == 0 || r->out[i - 1] == 0)) start = i;
        if (bkd_decoder_push(&d, r->out[i], &f) && tk.n < 16) {
            int k = tk.n++;
            memcpy(tk.payload[k], f.payload, f.len);
            tk.f[k] = f;
            tk.f[k].payload = tk.payload[k];
            tk.wire_len[k] = i + 1 - start;
            memcpy(tk.wire[k], r->out + start, tk.wire_len[k]);
            CHECK(bkd_msg_unpack(f.type, tk.payload[k], f.len, &tk.m[k]) == BKD_R_OK);
        }
    }
    CHECK(bkd_decoder_drop_total(&d) == 0);
    r->out_len = 0;
    return &tk;
}

static void send_raw(bkd_dev *dev, uint8_t ver, uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *p, size_t n)
{
    uint8_t wire[BKD_MAX_WIRE];
    size_t w = bkd_frame_encode_ver(ver, type, flags, seq, p, n, wire, sizeof wire);
    CHECK(w > 0);
    bkd_dev_rx(dev, wire, w);
}

static void send_msg(bkd_dev *dev, const bkd_msg *m, uint8_t flags, uint8_t seq)
{
    uint8_t p[BKD_MAX_PAYLOAD];
    size_t n = 0;
    CHECK(bkd_msg_pack(m, p, sizeof p, &n) == BKD_R_OK);
    send_raw(dev, 1, m->type, flags, seq, p, n);
}

static bkd_str S(const char *s)
{
    bkd_str r;
    r.ptr = (const uint8_t *)s;
    r.len = (uint16_t)strlen(s);
    return r;
}

static void hello(bkd_dev *dev, uint8_t seq, uint8_t major)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_HELLO;
    m.u.hello.proto_major = major;
    m.u.hello.host_time_unix_ms = 1767226352402ull;
    m.u.hello.heartbeat_ms = 1000;
    m.u.hello.link_timeout_ms = 3000;
    m.u.hello.host_name = S("test-host");
    send_msg(dev, &m, BKD_FLAG_ACK_REQUESTED, seq);
}

static void simple(bkd_dev *dev, uint8_t type, uint8_t seq)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    if (type == BKD_T_BEEP) {
        m.u.beep.pattern = 1;
        m.u.beep.repeat = 1;
    }
    send_msg(dev, &m, BKD_FLAG_ACK_REQUESTED, seq);
}

static void show_qr(bkd_dev *dev, uint8_t seq, const char *id, uint16_t seconds)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SHOW_QR;
    m.u.show_qr.payment_id = S(id);
    m.u.show_qr.amount_minor = 25000;
    m.u.show_qr.currency = 116;
    m.u.show_qr.seconds_left = seconds;
    m.u.show_qr.merchant_name = S("Sokha Chan");
    m.u.show_qr.qr = S("00020101021229190015sokha_chan@aclb5204599953031165405250005802KH");
    send_msg(dev, &m, BKD_FLAG_ACK_REQUESTED, seq);
}

static void host_ack(bkd_dev *dev, uint8_t seq, uint8_t type)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_ACK;
    m.u.ack.result = BKD_R_OK;
    m.u.ack.acked_type = type;
    send_msg(dev, &m, BKD_FLAG_RESPONSE, seq);
}

static int is_ack(const taken *t, int k, uint8_t seq, uint8_t result, uint8_t type)
{
    return k < t->n && t->f[k].type == BKD_T_ACK && t->f[k].flags == BKD_FLAG_RESPONSE && t->f[k].seq == seq &&
           t->m[k].u.ack.result == result && t->m[k].u.ack.acked_type == type;
}

/* Advances the clock in 10 ms steps, polling like a main loop. */
static void run_until(bkd_dev *dev, rig *r, uint32_t t)
{
    while (r->t < t) {
        r->t += 10;
        bkd_dev_poll(dev);
    }
}

static rig R;
static bkd_dev D;

static void start(void)
{
    bkd_dev_config cfg;
    memset(&R, 0, sizeof R);
    R.t = 5000; /* the clock does not start at 0 */
    memset(&cfg, 0, sizeof cfg);
    cfg.now_ms = rig_now;
    cfg.write = rig_write;
    cfg.on_command = rig_command;
    cfg.ctx = &R;
    cfg.boot_id = 0x5EB0071Du;
    cfg.reset_reason = 1;
    cfg.capabilities = BKD_CAP_QR | BKD_CAP_BEEP;
    cfg.fw_version = "1.0.0";
    cfg.model = "BKD-QR35";
    cfg.serial = "SN000123";
    bkd_dev_init(&D, &cfg);
}

static void boot_repeats_until_hello(void)
{
    taken *t;
    uint8_t first[BKD_MAX_WIRE];
    size_t first_len;
    int i;
    start();
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_BOOT && t->f[0].flags == BKD_FLAG_ACK_REQUESTED && t->f[0].seq == 1);
    CHECK(t->m[0].u.boot.boot_id == 0x5EB0071Du && t->m[0].u.boot.reset_reason == 1);
    first_len = t->wire_len[0];
    memcpy(first, t->wire[0], first_len);
    /* unacknowledged: retransmitted byte-identical at 250, 500, 750 ms */
    for (i = 1; i <= 3; i++) {
        run_until(&D, &R, 5000u + 250u * (uint32_t)i - 10u);
        CHECK(take(&R)->n == 0);
        run_until(&D, &R, 5000u + 250u * (uint32_t)i);
        t = take(&R);
        CHECK(t->n == 1 && t->wire_len[0] == first_len && memcmp(t->wire[0], first, first_len) == 0);
    }
    /* at 1 s a new BOOT (new seq) */
    run_until(&D, &R, 6000);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_BOOT && t->f[0].seq == 2);
    /* the host ACKs it but says no HELLO: no retransmit, but BOOT repeats every second */
    host_ack(&D, 2, BKD_T_BOOT);
    CHECK(take(&R)->n == 0);
    run_until(&D, &R, 6990);
    CHECK(take(&R)->n == 0);
    run_until(&D, &R, 7000);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_BOOT && t->f[0].seq == 3);
    /* HELLO: HELLO_ACK at once, and BOOT stops */
    hello(&D, 1, 1);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_HELLO_ACK && t->f[0].flags == BKD_FLAG_RESPONSE && t->f[0].seq == 1);
    CHECK(t->m[0].u.hello_ack.proto_major == 1 && t->m[0].u.hello_ack.proto_minor == 1);
    CHECK(t->m[0].u.hello_ack.boot_id == 0x5EB0071Du && t->m[0].u.hello_ack.mtu == 640);
    CHECK(t->m[0].u.hello_ack.capabilities == (BKD_CAP_QR | BKD_CAP_BEEP));
    CHECK(t->m[0].u.hello_ack.serial.len == 8 && memcmp(t->m[0].u.hello_ack.serial.ptr, "SN000123", 8) == 0);
    run_until(&D, &R, 12000);
    CHECK(take(&R)->n == 0);
}

static void requests_are_answered_and_duplicates_not_executed(void)
{
    taken *t;
    uint8_t ack[BKD_MAX_WIRE];
    size_t ack_len;
    start();
    hello(&D, 1, 1);
    take(&R);
    /* PING -> PONG with boot id, uptime and screen */
    R.t += 1234;
    simple(&D, BKD_T_PING, 2);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_PONG && t->f[0].seq == 2 && t->f[0].flags == BKD_FLAG_RESPONSE);
    CHECK(t->m[0].u.pong.boot_id == 0x5EB0071Du && t->m[0].u.pong.uptime_ms == 1234 && t->m[0].u.pong.screen == 0);
    /* a lost request is retransmitted by the host: the retransmit is simply answered */
    simple(&D, BKD_T_BEEP, 3);
    t = take(&R);
    CHECK(is_ack(t, 0, 3, BKD_R_OK, BKD_T_BEEP) && t->n == 1);
    CHECK(R.commands[BKD_T_BEEP] == 1);
    ack_len = t->wire_len[0];
    memcpy(ack, t->wire[0], ack_len);
    /* the ACK was lost: the same frame again is answered with the cached bytes and NOT executed again */
    simple(&D, BKD_T_BEEP, 3);
    t = take(&R);
    CHECK(t->n == 1 && t->wire_len[0] == ack_len && memcmp(t->wire[0], ack, ack_len) == 0);
    CHECK(R.commands[BKD_T_BEEP] == 1 && D.duplicates == 1);
    /* same seq, different type: a different frame, executed */
    simple(&D, BKD_T_CLEAR, 3);
    t = take(&R);
    CHECK(is_ack(t, 0, 3, BKD_R_OK, BKD_T_CLEAR) && R.commands[BKD_T_CLEAR] == 1);
    /* next seq: executed */
    simple(&D, BKD_T_BEEP, 4);
    CHECK(is_ack(take(&R), 0, 4, BKD_R_OK, BKD_T_BEEP) && R.commands[BKD_T_BEEP] == 2);
    /* HELLO resets de-duplication and is always executed, even twice with the same seq */
    hello(&D, 4, 1);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_HELLO_ACK && t->f[0].seq == 4);
    hello(&D, 4, 1);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_HELLO_ACK && t->f[0].seq == 4);
    simple(&D, BKD_T_BEEP, 4); /* a new host session reusing seq 4: executed, not taken for the old BEEP */
    CHECK(is_ack(take(&R), 0, 4, BKD_R_OK, BKD_T_BEEP) && R.commands[BKD_T_BEEP] == 3);
    /* a cached non-OK answer is re-sent too (the NAK is not re-evaluated) */
    send_raw(&D, 1, 0x7e, BKD_FLAG_ACK_REQUESTED, 5, 0, 0);
    CHECK(is_ack(take(&R), 0, 5, BKD_R_UNKNOWN_TYPE, 0x7e));
    send_raw(&D, 1, 0x7e, BKD_FLAG_ACK_REQUESTED, 5, 0, 0);
    CHECK(is_ack(take(&R), 0, 5, BKD_R_UNKNOWN_TYPE, 0x7e) && D.duplicates == 2);
    /* a frame without ACK_REQUESTED is executed but not answered */
    send_raw(&D, 1, BKD_T_PING, 0, 0, 0, 0);
    send_raw(&D, 1, BKD_T_BEEP, 0, 0, (const uint8_t *)"\x01\x01", 2);
    CHECK(take(&R)->n == 0 && R.commands[BKD_T_BEEP] == 4);
}

static void errors_are_nacked(void)
{
    taken *t;
    bkd_msg m;
    start();
    hello(&D, 1, 1);
    take(&R);
    send_raw(&D, 2, BKD_T_PING, BKD_FLAG_ACK_REQUESTED, 2, 0, 0);
    t = take(&R);
    CHECK(is_ack(t, 0, 2, BKD_R_UNSUPPORTED_VERSION, BKD_T_PING) && t->f[0].ver == 1);
    hello(&D, 3, 2);
    CHECK(is_ack(take(&R), 0, 3, BKD_R_UNSUPPORTED_VERSION, BKD_T_HELLO));
    send_raw(&D, 1, BKD_T_SHOW_IDLE, BKD_FLAG_ACK_REQUESTED, 4, (const uint8_t *)"\x05" "ab", 3);
    CHECK(is_ack(take(&R), 0, 4, BKD_R_BAD_PAYLOAD, BKD_T_SHOW_IDLE));
    send_raw(&D, 1, BKD_T_PONG, BKD_FLAG_ACK_REQUESTED, 5, 0, 0);
    CHECK(is_ack(take(&R), 0, 5, BKD_R_UNKNOWN_TYPE, BKD_T_PONG));
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SET_STATUS;
    m.u.set_status.payment_id = S("not-on-screen");
    m.u.set_status.status = BKD_STATUS_PAID;
    send_msg(&D, &m, BKD_FLAG_ACK_REQUESTED, 6);
    CHECK(is_ack(take(&R), 0, 6, BKD_R_BAD_STATE, BKD_T_SET_STATUS));
    CHECK(R.commands[BKD_T_SET_STATUS] == 0 && D.screen == BKD_SCREEN_BLANK);
    /* v1.1 host: trailing bytes after the known fields are accepted */
    send_raw(&D, 1, BKD_T_BEEP, BKD_FLAG_ACK_REQUESTED, 7, (const uint8_t *)"\x02\x01\x09\x09", 4);
    CHECK(is_ack(take(&R), 0, 7, BKD_R_OK, BKD_T_BEEP));
}

static void screens_and_state(void)
{
    taken *t;
    bkd_msg m;
    start();
    hello(&D, 1, 1);
    take(&R);
    show_qr(&D, 2, "pay-1", 300);
    CHECK(is_ack(take(&R), 0, 2, BKD_R_OK, BKD_T_SHOW_QR));
    CHECK(D.screen == BKD_SCREEN_QR && D.status == BKD_STATUS_WAITING && R.commands[BKD_T_SHOW_QR] == 1);
    R.t += 12500;
    simple(&D, BKD_T_GET_STATE, 3);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_STATE && t->f[0].seq == 3);
    CHECK(t->m[0].u.state.screen == BKD_SCREEN_QR && t->m[0].u.state.status == BKD_STATUS_WAITING);
    CHECK(t->m[0].u.state.seconds_left == 288 && t->m[0].u.state.payment_id.len == 5);
    /* the same payment again: no new screen, only the countdown refreshed */
    show_qr(&D, 4, "pay-1", 100);
    CHECK(is_ack(take(&R), 0, 4, BKD_R_OK, BKD_T_SHOW_QR) && bkd_dev_seconds_left(&D) == 100);
    CHECK(D.screen == BKD_SCREEN_QR);
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SET_STATUS;
    m.u.set_status.payment_id = S("pay-1");
    m.u.set_status.status = BKD_STATUS_WAITING; /* WAITING on the QR screen: nothing changes */
    send_msg(&D, &m, BKD_FLAG_ACK_REQUESTED, 41);
    CHECK(is_ack(take(&R), 0, 41, BKD_R_OK, BKD_T_SET_STATUS) && D.screen == BKD_SCREEN_QR);
    CHECK(bkd_dev_seconds_left(&D) == 100);
    m.u.set_status.status = BKD_STATUS_PAID;
    m.u.set_status.message = S("Thank you");
    send_msg(&D, &m, BKD_FLAG_ACK_REQUESTED, 5);
    CHECK(is_ack(take(&R), 0, 5, BKD_R_OK, BKD_T_SET_STATUS));
    CHECK(D.screen == BKD_SCREEN_STATUS && D.status == BKD_STATUS_PAID && bkd_dev_seconds_left(&D) == 0);
    m.u.set_status.status = BKD_STATUS_WAITING; /* the QR is gone: WAITING cannot be shown without SHOW_QR */
    send_msg(&D, &m, BKD_FLAG_ACK_REQUESTED, 42);
    CHECK(is_ack(take(&R), 0, 42, BKD_R_BAD_STATE, BKD_T_SET_STATUS) && D.status == BKD_STATUS_PAID);
    simple(&D, BKD_T_CLEAR, 6);
    CHECK(is_ack(take(&R), 0, 6, BKD_R_OK, BKD_T_CLEAR) && D.screen == BKD_SCREEN_IDLE && D.payment_id_len == 0);
    /* STATE_CHANGED after rendering: sent with ACK_REQUESTED, retransmitted identical, cleared by the host's ACK */
    bkd_dev_report(&D, BKD_REASON_RENDERED);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_STATE_CHANGED && t->f[0].flags == BKD_FLAG_ACK_REQUESTED);
    CHECK(t->m[0].u.state_changed.screen == BKD_SCREEN_IDLE && t->m[0].u.state_changed.reason == BKD_REASON_RENDERED);
    {
        uint8_t seq = t->f[0].seq;
        size_t len = t->wire_len[0];
        uint8_t first[BKD_MAX_WIRE];
        memcpy(first, t->wire[0], len);
        R.t += 250;
        bkd_dev_poll(&D);
        t = take(&R);
        CHECK(t->n == 1 && t->wire_len[0] == len && memcmp(t->wire[0], first, len) == 0);
        host_ack(&D, (uint8_t)(seq + 1u), BKD_T_STATE_CHANGED); /* wrong seq: ignored */
        host_ack(&D, seq, BKD_T_BOOT);                         /* wrong type: ignored */
        R.t += 250;
        bkd_dev_poll(&D);
        CHECK(take(&R)->n == 1);
        host_ack(&D, seq, BKD_T_STATE_CHANGED);
        R.t += 1000;
        bkd_dev_poll(&D);
        CHECK(take(&R)->n == 0);
    }
    /* an unacknowledged STATE_CHANGED is superseded by the host's next screen command: no more retransmits */
    bkd_dev_report(&D, BKD_REASON_BUTTON);
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_STATE_CHANGED);
    {
        const uint8_t ack_ok[2] = {BKD_R_OK, BKD_T_STATE_CHANGED};
        send_raw(&D, 2, BKD_T_ACK, BKD_FLAG_RESPONSE, t->f[0].seq, ack_ok, 2); /* an ACK with ver 2 does not count */
        R.t += 250;
        bkd_dev_poll(&D);
        CHECK(take(&R)->n == 1);
    }
    simple(&D, BKD_T_CLEAR, 43);
    CHECK(is_ack(take(&R), 0, 43, BKD_R_OK, BKD_T_CLEAR));
    R.t += 1000;
    bkd_dev_poll(&D);
    CHECK(take(&R)->n == 0);
    /* LOG: no ACK requested, seq 0 */
    bkd_dev_log(&D, 1, "hello log");
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_LOG && t->f[0].flags == 0 && t->f[0].seq == 0);
    /* a LOG line over 96 bytes is cut between characters (bkd_text_cut): six Khmer clusters of 18 bytes (ស្ត្រី) keep
     * five whole ones, 90 bytes, rather than 96 ending in SA COENG */
    bkd_dev_log(&D, 1,
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8"
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8"
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8"
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8"
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8"
                "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8");
    t = take(&R);
    CHECK(t->n == 1 && t->f[0].type == BKD_T_LOG && t->m[0].u.log.text.len == 90);
    /* device seq wraps 255 -> 1 */
    D.tx_seq = 254;
    bkd_dev_report(&D, BKD_REASON_BUTTON);
    bkd_dev_report(&D, BKD_REASON_BUTTON);
    bkd_dev_report(&D, BKD_REASON_BUTTON);
    t = take(&R);
    CHECK(t->n == 3 && t->f[0].seq == 255 && t->f[1].seq == 1 && t->f[2].seq == 2);
}

static void link_lost_keeps_qr_until_local_countdown(void)
{
    taken *t;
    uint32_t t0;
    int changed = 0;
    start();
    hello(&D, 1, 1);
    show_qr(&D, 2, "pay-7", 10);
    take(&R);
    t0 = R.t;
    /* the host goes silent: after 3 s the link is down, the QR stays (offline mark), nothing is sent */
    while (R.t < t0 + 2990u) {
        R.t += 10;
        changed |= bkd_dev_poll(&D);
    }
    CHECK(!changed && D.link_up && !D.offline);
    R.t += 10;
    CHECK(bkd_dev_poll(&D) == 1);
    CHECK(!D.link_up && D.offline && D.screen == BKD_SCREEN_QR && D.status == BKD_STATUS_WAITING);
    run_until(&D, &R, t0 + 9990u);
    CHECK(D.screen == BKD_SCREEN_QR && bkd_dev_seconds_left(&D) == 1);
    /* the display's own countdown ends: EXPIRED, never any other outcome; still nothing sent */
    R.t = t0 + 10000u;
    CHECK(bkd_dev_poll(&D) == 1);
    CHECK(D.screen == BKD_SCREEN_STATUS && D.status == BKD_STATUS_EXPIRED && D.offline);
    run_until(&D, &R, t0 + 20000u);
    CHECK(take(&R)->n == 0);
    /* the link returns (any valid host frame): the answer first, then STATE_CHANGED expired_locally */
    simple(&D, BKD_T_PING, 3);
    t = take(&R);
    CHECK(t->n == 2 && t->f[0].type == BKD_T_PONG && t->m[0].u.pong.screen == BKD_SCREEN_STATUS);
    CHECK(t->f[1].type == BKD_T_STATE_CHANGED && t->f[1].flags == BKD_FLAG_ACK_REQUESTED);
    CHECK(t->m[1].u.state_changed.screen == BKD_SCREEN_STATUS && t->m[1].u.state_changed.status == BKD_STATUS_EXPIRED);
    CHECK(t->m[1].u.state_changed.reason == BKD_REASON_EXPIRED_LOCALLY);
    CHECK(t->m[1].u.state_changed.payment_id.len == 5 && !D.offline);
    /* unacknowledged: 3 retransmits, then given up silently */
    {
        int k, j, sent = 0;
        for (k = 0; k < 200; k++) {
            R.t += 10;
            bkd_dev_poll(&D);
            if (k % 50 == 49) {
                simple(&D, BKD_T_PING, (uint8_t)(4 + k / 50)); /* keep the link up */
            }
            t = take(&R);
            for (j = 0; j < t->n; j++) {
                sent += t->f[j].type == BKD_T_STATE_CHANGED ? 1 : 0;
            }
        }
        CHECK(sent == 3);
    }
    /* the host may still show the real outcome on the expired screen (same payment id) */
    {
        bkd_msg m;
        memset(&m, 0, sizeof m);
        m.type = BKD_T_SET_STATUS;
        m.u.set_status.payment_id = S("pay-7");
        m.u.set_status.status = BKD_STATUS_PAID;
        send_msg(&D, &m, BKD_FLAG_ACK_REQUESTED, 20);
        CHECK(is_ack(take(&R), 0, 20, BKD_R_OK, BKD_T_SET_STATUS) && D.status == BKD_STATUS_PAID);
    }
}

void test_session(void)
{
    boot_repeats_until_hello();
    requests_are_answered_and_duplicates_not_executed();
    errors_are_nacked();
    screens_and_state();
    link_lost_keeps_qr_until_local_countdown();
}
