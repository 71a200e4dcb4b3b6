/* Protocol v1.1 device rules: re-sync in every screen state, the result latch (also as a property over random
 * command sequences with re-syncs, retransmits, stale commands and reboots), seconds_left 0, HELLO without
 * ACK_REQUESTED, SET_CONFIG defaults, BEEP, redraw reasons, TOO_LARGE, the drop counters in STATE, the QR MAC. */
#include <stdio.h>
#include <string.h>

#include "bkdisp.h"
#include "test.h"

#define NPAY 6

typedef struct {
    uint32_t t;
    uint8_t out[16384];
    size_t n;
    /* what the application saw: on_command SHOW_QR per payment, draws of a QR per payment */
    int qr_commands[NPAY];
    int beeps;
    uint8_t last_beep_pattern;
} app;

static app A;
static bkd_dev D;
static uint8_t host_seq;
static uint8_t last_wire[BKD_MAX_WIRE];
static size_t last_len;
static uint32_t boots;

static const char *const ids[NPAY] = {"PAY-0", "PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-5"};

static int pay_index(const uint8_t *id, size_t len)
{
    int i;
    for (i = 0; i < NPAY; i++) {
        if (strlen(ids[i]) == len && memcmp(ids[i], id, len) == 0) return i;
    }
    return -1;
}

static uint32_t app_now(void *ctx)
{
    return ((app *)ctx)->t;
}

static void app_write(void *ctx, const uint8_t *b, size_t n)
{
    app *a = (app *)ctx;
    if (a->n + n <= sizeof a->out) {
        memcpy(a->out + a->n, b, n);
        a->n += n;
    }
}

static void app_command(void *ctx, const bkd_msg *m)
{
    app *a = (app *)ctx;
    if (m->type == BKD_T_SHOW_QR) {
        int k = pay_index(m->u.show_qr.payment_id.ptr, m->u.show_qr.payment_id.len);
        if (k >= 0) a->qr_commands[k]++;
    }
}

static const uint8_t test_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void boot_with(int with_key)
{
    bkd_dev_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.now_ms = app_now;
    cfg.write = app_write;
    cfg.on_command = app_command;
    cfg.ctx = &A;
    cfg.boot_id = 0x1000u + ++boots;
    cfg.reset_reason = 1;
    cfg.capabilities = BKD_CAP_QR | BKD_CAP_BEEP;
    cfg.fw_version = "1.1.0";
    cfg.model = "test";
    cfg.serial = "T1";
    if (with_key) {
        cfg.mac_key = test_key;
        cfg.mac_key_len = sizeof test_key;
    }
    bkd_dev_init(&D, &cfg);
    A.n = 0;
}

static void fresh(void)
{
    memset(&A, 0, sizeof A);
    A.t = 7000;
    host_seq = 0;
    boot_with(0);
}

/* Decodes the device's output since the last call: the first answer (its result for an ACK, or its type), and ACKs
 * every event like a host. Returns the ACK result, 100 + type for other answers, -1 for none. */
static int drain(bkd_msg *answer)
{
    static bkd_decoder d;
    size_t i, n = A.n;
    static uint8_t buf[sizeof A.out];
    int result = -1;
    bkd_frame f;
    memcpy(buf, A.out, n);
    A.n = 0;
    bkd_decoder_init(&d);
    for (i = 0; i < n; i++) {
        bkd_msg m;
        if (!bkd_decoder_push(&d, buf[i], &f)) continue;
        CHECK(bkd_msg_unpack(f.type, f.payload, f.len, &m) == BKD_R_OK);
        if ((f.flags & BKD_FLAG_RESPONSE) && result == -1) {
            result = f.type == BKD_T_ACK ? m.u.ack.result : 100 + f.type;
            if (answer) *answer = m;
        } else if (f.flags & BKD_FLAG_ACK_REQUESTED) {
            uint8_t p[2] = {BKD_R_OK, 0}, w[32];
            size_t wn;
            p[1] = f.type;
            wn = bkd_frame_encode(BKD_T_ACK, BKD_FLAG_RESPONSE, f.seq, p, 2, w, sizeof w);
            bkd_dev_rx(&D, w, wn);
        }
    }
    CHECK(bkd_decoder_drop_total(&d) == 0);
    if (A.n) (void)drain(0);
    return result;
}

static int send_payload(uint8_t type, uint8_t flags, const uint8_t *p, size_t n, bkd_msg *answer)
{
    host_seq = (uint8_t)(host_seq == 255u ? 1u : host_seq + 1u);
    last_len = bkd_frame_encode(type, flags, host_seq, p, n, last_wire, sizeof last_wire);
    CHECK(last_len > 0);
    bkd_dev_rx(&D, last_wire, last_len);
    return drain(answer);
}

static int send(const bkd_msg *m, bkd_msg *answer)
{
    uint8_t p[BKD_MAX_PAYLOAD];
    size_t n = 0;
    CHECK(bkd_msg_pack(m, p, sizeof p, &n) == BKD_R_OK);
    return send_payload(m->type, BKD_FLAG_ACK_REQUESTED, p, n, answer);
}

static int send_tagged(const bkd_msg *m, uint32_t counter)
{
    uint8_t p[BKD_MAX_PAYLOAD];
    size_t n = 0;
    CHECK(bkd_msg_pack(m, p, sizeof p, &n) == BKD_R_OK);
    n = bkd_mac_append(test_key, sizeof test_key, D.cfg.boot_id, m->type, counter, p, n, sizeof p);
    CHECK(n > 0);
    return send_payload(m->type, BKD_FLAG_ACK_REQUESTED, p, n, 0);
}

static int retransmit(void)
{
    bkd_dev_rx(&D, last_wire, last_len);
    return drain(0);
}

static bkd_str S(const char *s)
{
    bkd_str r;
    r.ptr = (const uint8_t *)s;
    r.len = (uint16_t)strlen(s);
    return r;
}

static int hello(uint8_t minor, bkd_msg *ack)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_HELLO;
    m.u.hello.proto_major = 1;
    m.u.hello.proto_minor = minor;
    m.u.hello.heartbeat_ms = 1000;
    m.u.hello.link_timeout_ms = 3000;
    m.u.hello.host_name = S("test-host");
    return send(&m, ack);
}

static bkd_msg qr(int k, uint16_t seconds)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SHOW_QR;
    m.u.show_qr.payment_id = S(ids[k]);
    m.u.show_qr.amount_minor = 25000u + (uint64_t)k;
    m.u.show_qr.currency = 116;
    m.u.show_qr.seconds_left = seconds;
    m.u.show_qr.merchant_name = S("Sokha Chan");
    m.u.show_qr.qr = S("00020101021229190015sokha_chan@aclb5204599953031165405250005802KH");
    return m;
}

static bkd_msg result(int k, uint8_t status)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SHOW_RESULT;
    m.u.show_result.payment_id = S(ids[k]);
    m.u.show_result.status = status;
    m.u.show_result.amount_minor = 25000u + (uint64_t)k;
    m.u.show_result.currency = 116;
    m.u.show_result.merchant_name = S("Sokha Chan");
    return m;
}

static bkd_msg set_status(int k, uint8_t status)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SET_STATUS;
    m.u.set_status.payment_id = S(ids[k]);
    m.u.set_status.status = status;
    return m;
}

static bkd_msg idle(void)
{
    bkd_msg m;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SHOW_IDLE;
    m.u.show_idle.merchant_name = S("Sokha Chan");
    return m;
}

static void run_ms(uint32_t ms)
{
    uint32_t end = A.t + ms;
    while (A.t < end) {
        A.t += 10;
        (void)bkd_dev_poll(&D);
        if (A.n) (void)drain(0);
    }
}

/* The property: once a result for payment k was drawn, the device never shows k's QR again and the application never
 * gets a SHOW_QR for k again. result_seen is reset only where the caller decides (a reboot under a v1.0 host). */
static int result_seen[NPAY];
static int result_this_boot[NPAY]; /* the device itself drew k's result since its last boot */
static int qr_commands_at_result[NPAY];
static int violations;

static void observe(void)
{
    int k = pay_index(D.payment_id, D.payment_id_len);
    if (k < 0) return;
    if (D.screen == BKD_SCREEN_STATUS) result_this_boot[k] = 1;
    if (D.screen == BKD_SCREEN_STATUS && !result_seen[k]) {
        result_seen[k] = 1;
        qr_commands_at_result[k] = A.qr_commands[k];
    }
    if (D.screen == BKD_SCREEN_QR && result_seen[k]) violations++;
    for (k = 0; k < NPAY; k++) {
        if (result_seen[k] && A.qr_commands[k] != qr_commands_at_result[k]) violations++;
    }
}

static void forget_results(void)
{
    memset(result_seen, 0, sizeof result_seen);
}

/* ---- re-sync in every screen state ---------------------------------------------------------------------------- */

enum { ST_IDLE, ST_QR, ST_PAID, ST_FAILED, ST_EXPIRED, ST_CANCELLED, ST_EXPIRED_LOCALLY, ST_COUNT };

static void reach(int state)
{
    static const uint8_t st[] = {0, 0, BKD_STATUS_PAID, BKD_STATUS_FAILED, BKD_STATUS_EXPIRED, BKD_STATUS_CANCELLED};
    bkd_msg m;
    if (state == ST_IDLE) {
        m = idle();
        CHECK(send(&m, 0) == BKD_R_OK);
        return;
    }
    m = qr(0, state == ST_EXPIRED_LOCALLY ? 2 : 300);
    CHECK(send(&m, 0) == BKD_R_OK);
    observe();
    if (state == ST_EXPIRED_LOCALLY) {
        run_ms(2000);
    } else if (state != ST_QR) { /* the result the way each host version sends it during normal operation */
        m = result(0, st[state]);
        CHECK(send(&m, 0) == BKD_R_OK);
    }
    observe();
}

static void check_shows(int state)
{
    static const uint8_t want[] = {BKD_STATUS_NONE,    BKD_STATUS_WAITING,   BKD_STATUS_PAID,   BKD_STATUS_FAILED,
                                   BKD_STATUS_EXPIRED, BKD_STATUS_CANCELLED, BKD_STATUS_EXPIRED};
    CHECK_MSG(D.screen == (state == ST_IDLE ? BKD_SCREEN_IDLE : state == ST_QR ? BKD_SCREEN_QR : BKD_SCREEN_STATUS),
              "resync screen");
    CHECK_MSG(D.status == want[state], "resync status");
}

/* The v1.1 host's re-sync (SPEC.md section 10.2): one command for the desired screen. */
static void resync_v11(int state)
{
    static const uint8_t st[] = {0, 0, BKD_STATUS_PAID, BKD_STATUS_FAILED, BKD_STATUS_EXPIRED, BKD_STATUS_CANCELLED,
                                 BKD_STATUS_EXPIRED};
    bkd_msg m;
    bkd_msg ack;
    CHECK(hello(1, &ack) == 100 + BKD_T_HELLO_ACK);
    CHECK(ack.u.hello_ack.proto_minor == 1);
    m = state == ST_IDLE ? idle() : state == ST_QR ? qr(0, 250) : result(0, st[state]);
    CHECK_MSG(send(&m, 0) == BKD_R_OK, "v1.1 resync command");
    observe();
}

/* A v1.0 host's re-sync (SPEC.md v1.0 section 10): SHOW_QR then SET_STATUS when a result is showing. */
static void resync_v10(int state)
{
    static const uint8_t st[] = {0, 0, BKD_STATUS_PAID, BKD_STATUS_FAILED, BKD_STATUS_EXPIRED, BKD_STATUS_CANCELLED,
                                 BKD_STATUS_EXPIRED};
    bkd_msg m;
    CHECK(hello(0, 0) == 100 + BKD_T_HELLO_ACK);
    if (state == ST_IDLE) {
        m = idle();
        CHECK(send(&m, 0) == BKD_R_OK);
        return;
    }
    m = qr(0, 250);
    CHECK_MSG(send(&m, 0) == BKD_R_OK, "v1.0 resync SHOW_QR");
    observe();
    if (state != ST_QR) {
        m = set_status(0, st[state]);
        CHECK_MSG(send(&m, 0) == BKD_R_OK, "v1.0 resync SET_STATUS");
        observe();
    }
}

static void resync_in_every_screen_state(void)
{
    int state, v10;
    for (v10 = 0; v10 <= 1; v10++) {
        for (state = 0; state < ST_COUNT; state++) {
            fresh();
            forget_results();
            violations = 0;
            CHECK(hello(v10 ? 0 : 1, 0) == 100 + BKD_T_HELLO_ACK);
            reach(state);
            check_shows(state);
            if (v10) {
                resync_v10(state);
                resync_v10(state); /* twice: a second reconnect */
            } else {
                resync_v11(state);
                resync_v11(state);
            }
            check_shows(state);
            CHECK_MSG(violations == 0, v10 ? "v1.0 host re-sync drew a paid QR" : "v1.1 host re-sync drew a paid QR");
        }
    }
    /* after a device reboot the latch is empty: a v1.1 host's re-sync still shows only the result */
    for (state = ST_PAID; state <= ST_CANCELLED; state++) {
        fresh();
        forget_results();
        violations = 0;
        CHECK(hello(1, 0) == 100 + BKD_T_HELLO_ACK);
        reach(state);
        boot_with(0);
        (void)drain(0);
        resync_v11(state);
        check_shows(state);
        CHECK(A.qr_commands[0] == 1 && violations == 0);
    }
}

/* ---- the property: random commands, re-syncs, retransmits, stale commands, reboots ---------------------------- */

static uint32_t rnd_state;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) % n;
}

/* The host's desired screen: -1 idle, else payment k with status (WAITING = its QR), and when k expires on the host's
 * clock (the gateway expires it then; seconds_left is the whole seconds left, rounded down: SPEC.md section 10.2). */
static int want_pay;
static uint8_t want_status;
static uint32_t want_expires;

static void send_desired(int v10)
{
    bkd_msg m;
    if (want_pay >= 0 && want_status == BKD_STATUS_WAITING && (int32_t)(want_expires - A.t) < 1000) {
        want_status = BKD_STATUS_EXPIRED; /* less than a second left: the host shows the outcome, not the QR */
    }
    if (want_pay < 0) {
        m = idle();
        (void)send(&m, 0);
    } else if (want_status == BKD_STATUS_WAITING) {
        m = qr(want_pay, (uint16_t)((want_expires - A.t) / 1000u));
        (void)send(&m, 0);
    } else if (!v10) {
        m = result(want_pay, want_status);
        (void)send(&m, 0);
    } else {
        m = qr(want_pay, 200);
        (void)send(&m, 0);
        observe();
        m = set_status(want_pay, want_status);
        (void)send(&m, 0);
    }
    observe();
}

static void property_run(uint32_t seed, int v10)
{
    int step, next_pay = 0;
    rnd_state = seed;
    fresh();
    forget_results();
    memset(result_this_boot, 0, sizeof result_this_boot);
    want_pay = -1;
    (void)hello(v10 ? 0 : 1, 0);
    send_desired(v10);
    for (step = 0; step < 150; step++) {
        uint32_t what = rnd(100);
        bkd_msg m;
        if (what < 30) { /* the payment flow moves on */
            if (want_pay >= 0 && want_status == BKD_STATUS_WAITING) {
                want_status = (uint8_t)(BKD_STATUS_PAID + rnd(4));
            } else if (next_pay < NPAY && rnd(3) != 0) {
                want_pay = next_pay++;
                want_status = BKD_STATUS_WAITING;
                want_expires = A.t + 1000u + rnd(6000);
            } else {
                want_pay = -1;
            }
            send_desired(v10);
        } else if (what < 45) { /* re-sync: the link came back */
            (void)hello(v10 ? 0 : 1, 0);
            send_desired(v10);
        } else if (what < 55) { /* the answer was lost: the host retransmits the identical frame */
            (void)retransmit();
            observe();
        } else if (what < 65) { /* a stale SHOW_QR (a v1.0 host's re-sync order, or a bug) for a payment whose result
                                 * this boot of the device drew (the latch knows it) */
            int k = (int)rnd(NPAY);
            if (result_this_boot[k]) {
                m = qr(k, 100);
                (void)send(&m, 0);
                observe();
            }
        } else if (what < 72) { /* the device reboots; the host sees BOOT and re-syncs */
            boot_with(0);
            (void)drain(0);
            memset(result_this_boot, 0, sizeof result_this_boot);
            if (v10) forget_results(); /* a v1.0 host re-sync after a reboot is the one case the latch cannot cover */
            (void)hello(v10 ? 0 : 1, 0);
            send_desired(v10);
        } else if (what < 80) { /* a SET_STATUS WAITING, a BEEP, a GET_STATE: nothing changes on screen */
            if (want_pay >= 0 && v10) {
                m = set_status(want_pay, BKD_STATUS_WAITING);
                (void)send(&m, 0);
            } else {
                memset(&m, 0, sizeof m);
                m.type = BKD_T_GET_STATE;
                (void)send(&m, 0);
            }
            observe();
        } else { /* time passes: the local countdown may expire, and so may the payment on the host */
            run_ms(rnd(3000));
            observe();
            if (want_pay >= 0 && want_status == BKD_STATUS_WAITING && (int32_t)(A.t - want_expires) >= 0) {
                want_status = BKD_STATUS_EXPIRED;
                send_desired(v10);
            }
        }
    }
}

static void latch_property(void)
{
    uint32_t seed;
    int bad = 0;
    for (seed = 1; seed <= 300; seed++) {
        violations = 0;
        property_run(seed, (int)(seed % 2u));
        if (violations) {
            bad++;
            if (bad <= 3) fprintf(stderr, "latch property violated: seed %lu (%s host)\n", (unsigned long)seed,
                                  seed % 2u ? "v1.0" : "v1.1");
        }
    }
    CHECK(bad == 0);
}

/* ---- single rules --------------------------------------------------------------------------------------------- */

static void seconds_left_zero_shows_expired_without_the_qr(void)
{
    bkd_msg m;
    unsigned why;
    fresh();
    (void)hello(1, 0);
    (void)bkd_dev_take_redraw(&D);
    m = qr(1, 0);
    CHECK(send(&m, 0) == BKD_R_OK);
    why = bkd_dev_take_redraw(&D);
    CHECK(D.screen == BKD_SCREEN_STATUS && D.status == BKD_STATUS_EXPIRED && bkd_dev_latched(&D, D.payment_id, 5));
    CHECK((why & BKD_REDRAW_SCREEN) && (why & BKD_REDRAW_BEEP) && D.beep_pattern == 3);
    CHECK(bkd_dev_seconds_left(&D) == 0 && D.pending_reason == 0);
}

static void hello_without_ack_requested_is_ignored(void)
{
    uint8_t p[64];
    size_t n = 0;
    bkd_msg m;
    fresh();
    memset(&m, 0, sizeof m);
    m.type = BKD_T_HELLO;
    m.u.hello.proto_major = 1;
    m.u.hello.proto_minor = 1;
    CHECK(bkd_msg_pack(&m, p, sizeof p, &n) == BKD_R_OK);
    CHECK(send_payload(BKD_T_HELLO, 0, p, n, 0) == -1); /* no answer */
    CHECK(!D.hello_seen);
    A.n = 0;
    run_ms(1000); /* BOOT still repeats */
    CHECK(D.tx_seq == 2);
}

static void config_defaults_beep_and_redraw_reasons(void)
{
    bkd_msg m;
    unsigned why;
    fresh();
    CHECK(D.brightness == 100 && D.beep_on_result == 1 && D.language == 0);
    why = bkd_dev_take_redraw(&D);
    CHECK(why == (BKD_REDRAW_SCREEN | BKD_REDRAW_CONFIG)); /* the first screen after boot */
    CHECK(bkd_dev_take_redraw(&D) == 0);
    (void)hello(1, 0);
    CHECK(bkd_dev_take_redraw(&D) == 0); /* HELLO draws nothing */
    /* a QR: SCREEN, then one COUNTDOWN per whole second, and nothing in between */
    m = qr(2, 3);
    (void)send(&m, 0);
    why = bkd_dev_take_redraw(&D);
    CHECK((why & BKD_REDRAW_SCREEN) && (why & BKD_REDRAW_COUNTDOWN) && D.shown_seconds == 3);
    {
        /* the v1.0 README's loop redrew only when bkd_dev_poll() returned 1: it never does for a countdown tick */
        int ticks = 0, poll_said = 0, i;
        for (i = 0; i < 200; i++) {
            A.t += 10;
            poll_said += bkd_dev_poll(&D);
            why = bkd_dev_take_redraw(&D);
            if (why & BKD_REDRAW_COUNTDOWN) ticks++;
            CHECK(!(why & BKD_REDRAW_SCREEN));
        }
        CHECK(ticks == 2 && D.shown_seconds == 1); /* 3 -> 2 -> 1 */
        CHECK(poll_said == 0);
    }
    /* the link is lost (3 s without a host frame): OFFLINE; the countdown ends: SCREEN + a beep (error) */
    {
        unsigned all = 0;
        int i;
        for (i = 0; i < 300; i++) {
            A.t += 10;
            (void)bkd_dev_poll(&D);
            all |= bkd_dev_take_redraw(&D);
        }
        CHECK((all & BKD_REDRAW_OFFLINE) && (all & BKD_REDRAW_SCREEN) && (all & BKD_REDRAW_BEEP));
        CHECK(D.offline && D.screen == BKD_SCREEN_STATUS && D.beep_pattern == 3 && D.beep_repeat == 1);
    }
    /* any host frame: OFFLINE again (the mark goes) */
    memset(&m, 0, sizeof m);
    m.type = BKD_T_PING;
    (void)send(&m, 0);
    CHECK(!D.offline && (bkd_dev_take_redraw(&D) & BKD_REDRAW_OFFLINE));
    /* SET_CONFIG: CONFIG when brightness or language change; beep_on_result 0 silences results */
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SET_CONFIG;
    m.u.set_config.has_brightness = 1;
    m.u.set_config.brightness = 40;
    m.u.set_config.has_beep_on_result = 1;
    m.u.set_config.beep_on_result = 0;
    CHECK(send(&m, 0) == BKD_R_OK);
    CHECK(bkd_dev_take_redraw(&D) == BKD_REDRAW_CONFIG && D.brightness == 40 && D.beep_on_result == 0);
    m = result(3, BKD_STATUS_PAID);
    CHECK(send(&m, 0) == BKD_R_OK);
    CHECK(bkd_dev_take_redraw(&D) == BKD_REDRAW_SCREEN);
    /* BEEP: repeat 0 plays nothing; an unknown pattern plays as short */
    memset(&m, 0, sizeof m);
    m.type = BKD_T_BEEP;
    m.u.beep.pattern = 2;
    m.u.beep.repeat = 0;
    CHECK(send(&m, 0) == BKD_R_OK && bkd_dev_take_redraw(&D) == 0);
    m.u.beep.pattern = 9;
    m.u.beep.repeat = 2;
    CHECK(send(&m, 0) == BKD_R_OK && bkd_dev_take_redraw(&D) == BKD_REDRAW_BEEP);
    CHECK(D.beep_pattern == 1 && D.beep_repeat == 2);
    /* the same result again (a re-sync): no redraw, no beep */
    m.u.set_config.has_beep_on_result = 1;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_SET_CONFIG;
    m.u.set_config.has_beep_on_result = 1;
    m.u.set_config.beep_on_result = 1;
    CHECK(send(&m, 0) == BKD_R_OK);
    m = result(3, BKD_STATUS_PAID);
    CHECK(send(&m, 0) == BKD_R_OK && bkd_dev_take_redraw(&D) == 0);
    m = result(3, BKD_STATUS_FAILED); /* a corrected result: redrawn and beeped */
    CHECK(send(&m, 0) == BKD_R_OK && bkd_dev_take_redraw(&D) == (BKD_REDRAW_SCREEN | BKD_REDRAW_BEEP));
    /* a reboot: the defaults again (settings live in RAM) */
    boot_with(0);
    CHECK(D.brightness == 100 && D.beep_on_result == 1 && D.language == 0);
}

static void refusals_and_counters(void)
{
    bkd_msg m, ans;
    uint8_t junk[] = {0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x00}; /* TOO_SHORT */
    fresh();
    (void)hello(1, 0);
    /* a QR longer than the display can draw */
    D.cfg.qr_max = 40;
    m = qr(1, 100);
    CHECK(send(&m, 0) == BKD_R_TOO_LARGE && D.screen == BKD_SCREEN_BLANK && A.qr_commands[1] == 0);
    D.cfg.qr_max = BKD_QR_MAX;
    /* an empty payment id (v1.1: BAD_PAYLOAD) */
    {
        static const uint8_t empty_id[] = {0x00, BKD_STATUS_PAID, 0x00};
        CHECK(send_payload(BKD_T_SET_STATUS, BKD_FLAG_ACK_REQUESTED, empty_id, sizeof empty_id, 0) == BKD_R_BAD_PAYLOAD);
    }
    /* a type that is not a request in this direction is UNKNOWN_TYPE even with a payload that does not unpack */
    CHECK(send_payload(BKD_T_PONG, BKD_FLAG_ACK_REQUESTED, 0, 0, 0) == BKD_R_UNKNOWN_TYPE);
    /* GET_STATE reports the drop counters and duplicates (v1.1) */
    bkd_dev_rx(&D, junk, sizeof junk);
    m = idle();
    (void)send(&m, 0);
    (void)retransmit();
    memset(&m, 0, sizeof m);
    m.type = BKD_T_GET_STATE;
    CHECK(send(&m, &ans) == 100 + BKD_T_STATE);
    CHECK(ans.minor == 1 && ans.u.state.drops[BKD_DROP_TOO_SHORT] == 1 && ans.u.state.duplicates == 1);
    CHECK(ans.u.state.frames_ok == D.dec.frames); /* the GET_STATE itself is counted before it is answered */
}

static void qr_mac_session(void)
{
    bkd_msg m, ack;
    memset(&A, 0, sizeof A);
    A.t = 7000;
    boot_with(1);
    CHECK(hello(1, &ack) == 100 + BKD_T_HELLO_ACK);
    CHECK((ack.u.hello_ack.capabilities & BKD_CAP_QR_MAC) && ack.minor == 1 && ack.u.hello_ack.mac_counter == 0);
    m = qr(0, 100);
    CHECK(send(&m, 0) == BKD_R_AUTH_FAILED && D.screen == BKD_SCREEN_BLANK);
    CHECK(send_tagged(&m, 1) == BKD_R_OK && D.screen == BKD_SCREEN_QR);
    CHECK(retransmit() == BKD_R_OK); /* a duplicate is answered from the cache, not checked again */
    m = set_status(0, BKD_STATUS_PAID);
    CHECK(send(&m, 0) == BKD_R_AUTH_FAILED && D.screen == BKD_SCREEN_QR);
    m = result(0, BKD_STATUS_PAID);
    CHECK(send_tagged(&m, 1) == BKD_R_AUTH_FAILED); /* counter not above the last */
    CHECK(send_tagged(&m, 2) == BKD_R_OK && D.status == BKD_STATUS_PAID);
    CHECK(hello(1, &ack) == 100 + BKD_T_HELLO_ACK && ack.u.hello_ack.mac_counter == 2);
    /* without a key the capability is never advertised, even if the application sets it */
    fresh();
    CHECK(hello(1, &ack) == 100 + BKD_T_HELLO_ACK && !(ack.u.hello_ack.capabilities & BKD_CAP_QR_MAC));
}

void test_v11(void)
{
    resync_in_every_screen_state();
    latch_property();
    seconds_left_zero_shows_expired_without_the_qr();
    hello_without_ack_requested_is_ignored();
    config_defaults_beep_and_redraw_reasons();
    refusals_and_counters();
    qr_mac_session();
}
