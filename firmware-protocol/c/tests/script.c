/* The session-script runner: see script.h and vectors/README.md (sessions.txt). */
#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"

typedef struct {
    uint32_t t;
    uint8_t out[16384];
    size_t n;
} rig;

static uint32_t rig_now(void *ctx)
{
    return ((rig *)ctx)->t;
}

static void rig_write(void *ctx, const uint8_t *b, size_t n)
{
    rig *r = (rig *)ctx;
    if (r->n + n <= sizeof r->out) {
        memcpy(r->out + r->n, b, n);
        r->n += n;
    }
}

typedef struct {
    rig r;
    bkd_dev dev;
    bkd_dev_config cfg;
    uint8_t seq;
    uint32_t boots;
    uint8_t last[BKD_MAX_WIRE];
    size_t last_len;
} runner;

static const char *result_name(uint8_t r)
{
    static const char *const names[] = {"OK",    "UNKNOWN_TYPE", "BAD_PAYLOAD", "UNSUPPORTED_VERSION",
                                        "TOO_LARGE", "BUSY",     "BAD_STATE",   "AUTH_FAILED"};
    return r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static const char *screen_name(uint8_t s)
{
    static const char *const names[] = {"BLANK", "IDLE", "QR", "STATUS"};
    return s < 4 ? names[s] : "?";
}

static const char *status_name(uint8_t s)
{
    static const char *const names[] = {"NONE", "WAITING", "PAID", "FAILED", "EXPIRED", "CANCELLED"};
    return s < 6 ? names[s] : "?";
}

static const char *reason_name(uint8_t r)
{
    return r == BKD_REASON_RENDERED ? "rendered" : r == BKD_REASON_EXPIRED_LOCALLY ? "expired_locally" : "button";
}

static void append(char *out, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n + 1 <= cap) {
        memcpy(out + *at, s, n);
        *at += n;
        out[*at] = 0;
    }
}

static void send_wire(runner *x, const uint8_t *w, size_t n)
{
    bkd_dev_rx(&x->dev, w, n);
}

/* Decodes what the device wrote: the answer to seq (want_seq < 0: none expected) and the device's events, which the
 * host ACKs at once (an ACK may release more output, e.g. a pending report). Writes "ANSWER[+EVENT...]" to desc:
 * ANSWER is an ACK result name, PONG, STATE or HELLO_ACK ("-" when none came); events are BOOT and
 * STATE_CHANGED.<reason>. For want_seq < 0 only the events, or "-". */
static void collect(runner *x, int want_seq, char *desc, size_t cap)
{
    static bkd_decoder d;
    char ans[32] = "", evs[192] = "";
    size_t ea = 0, i, at = 0;
    int rounds;
    for (rounds = 0; rounds < 8 && x->r.n > 0; rounds++) {
        static uint8_t buf[sizeof x->r.out];
        size_t n = x->r.n;
        bkd_frame f;
        memcpy(buf, x->r.out, n);
        x->r.n = 0;
        bkd_decoder_init(&d);
        for (i = 0; i < n; i++) {
            bkd_msg m;
            if (!bkd_decoder_push(&d, buf[i], &f) || bkd_msg_unpack(f.type, f.payload, f.len, &m) != BKD_R_OK) {
                continue;
            }
            if (f.flags & BKD_FLAG_RESPONSE) {
                if (want_seq >= 0 && f.seq == (uint8_t)want_seq && ans[0] == 0) {
                    snprintf(ans, sizeof ans, "%s",
                             f.type == BKD_T_ACK         ? result_name(m.u.ack.result)
                             : f.type == BKD_T_PONG      ? "PONG"
                             : f.type == BKD_T_STATE     ? "STATE"
                             : f.type == BKD_T_HELLO_ACK ? "HELLO_ACK"
                                                         : "?");
                }
            } else if (f.flags & BKD_FLAG_ACK_REQUESTED) {
                uint8_t p[2], w[32];
                size_t wn;
                if (ea > 0) append(evs, sizeof evs, &ea, "+");
                if (f.type == BKD_T_STATE_CHANGED) {
                    append(evs, sizeof evs, &ea, "STATE_CHANGED.");
                    append(evs, sizeof evs, &ea, reason_name(m.u.state_changed.reason));
                } else {
                    append(evs, sizeof evs, &ea, f.type == BKD_T_BOOT ? "BOOT" : "?");
                }
                p[0] = BKD_R_OK;
                p[1] = f.type;
                wn = bkd_frame_encode(BKD_T_ACK, BKD_FLAG_RESPONSE, f.seq, p, 2, w, sizeof w);
                send_wire(x, w, wn); /* may write more: handled in the next round */
            }
        }
    }
    desc[0] = 0;
    if (want_seq >= 0) append(desc, cap, &at, ans[0] ? ans : "-");
    if (ea > 0) {
        if (at > 0) append(desc, cap, &at, "+");
        append(desc, cap, &at, evs);
    }
    if (at == 0) append(desc, cap, &at, "-");
}

static void boot(runner *x)
{
    char ignored[64];
    x->cfg.boot_id = SCRIPT_BOOT_ID + x->boots;
    bkd_dev_init(&x->dev, &x->cfg);
    (void)bkd_dev_take_redraw(&x->dev);
    collect(x, -1, ignored, sizeof ignored); /* the host ACKs the first BOOT */
}

static void next_seq(runner *x)
{
    x->seq = (uint8_t)(x->seq == 255u ? 1u : x->seq + 1u);
}

static void hello(runner *x, uint8_t minor)
{
    bkd_msg m;
    uint8_t p[64];
    size_t n = 0;
    memset(&m, 0, sizeof m);
    m.type = BKD_T_HELLO;
    m.u.hello.proto_major = 1;
    m.u.hello.proto_minor = minor;
    m.u.hello.host_time_unix_ms = 1767226352402ull;
    m.u.hello.heartbeat_ms = 1000;
    m.u.hello.link_timeout_ms = 3000;
    m.u.hello.host_name.ptr = (const uint8_t *)"script";
    m.u.hello.host_name.len = 6;
    (void)bkd_msg_pack(&m, p, sizeof p, &n);
    next_seq(x);
    x->last_len = bkd_frame_encode(BKD_T_HELLO, BKD_FLAG_ACK_REQUESTED, x->seq, p, n, x->last, sizeof x->last);
    send_wire(x, x->last, x->last_len);
}

static int command(runner *x, const script_cmd *c, const char *mac, const uint8_t *key, size_t key_len)
{
    uint8_t p[BKD_MAX_PAYLOAD];
    size_t n = c->len;
    memcpy(p, c->payload, n);
    if (mac) { /* "+mac:<counter>" or "+mac:<counter>:bad" */
        char *end;
        unsigned long counter = strtoul(mac, &end, 10);
        if (!key) return -1;
        n = bkd_mac_append(key, key_len, x->dev.cfg.boot_id, c->type, (uint32_t)counter, p, n, sizeof p);
        if (n == 0) return -1;
        if (strncmp(end, ":bad", 4) == 0) p[n - 1] ^= 0x01u;
    }
    next_seq(x);
    x->last_len = bkd_frame_encode(c->type, BKD_FLAG_ACK_REQUESTED, x->seq, p, n, x->last, sizeof x->last);
    send_wire(x, x->last, x->last_len);
    return 0;
}

int script_run(const script_cmd *cmds, size_t ncmds, const uint8_t *key, size_t key_len, const char *steps, char *out,
               size_t cap)
{
    static runner x;
    char token[256], desc[256], state[160];
    const char *s = steps;
    size_t at = 0;
    memset(&x, 0, sizeof x);
    x.r.t = 100000;
    x.cfg.now_ms = rig_now;
    x.cfg.write = rig_write;
    x.cfg.ctx = &x.r;
    x.cfg.reset_reason = 1;
    x.cfg.capabilities = BKD_CAP_QR | BKD_CAP_BEEP;
    x.cfg.fw_version = "1.1.0";
    x.cfg.model = "script";
    x.cfg.serial = "S1";
    x.cfg.mac_key = key;
    x.cfg.mac_key_len = (uint8_t)key_len;
    boot(&x);
    out[0] = 0;
    while (*s) {
        size_t tl = strcspn(s, " ");
        size_t il = strcspn(s, " =");
        unsigned redraw;
        char input[256];
        size_t k;
        if (il >= sizeof input || tl >= sizeof token) return -1;
        memcpy(input, s, il);
        input[il] = 0;
        s += tl;
        while (*s == ' ') s++;
        desc[0] = 0;
        if (strcmp(input, "hello") == 0 || strcmp(input, "hello-1.0") == 0) {
            hello(&x, strcmp(input, "hello") == 0 ? 1u : 0u);
            collect(&x, x.seq, desc, sizeof desc);
        } else if (strcmp(input, "again") == 0) {
            send_wire(&x, x.last, x.last_len);
            collect(&x, x.seq, desc, sizeof desc);
        } else if (strcmp(input, "reboot") == 0) {
            x.boots++;
            x.cfg.boot_id = SCRIPT_BOOT_ID + x.boots;
            bkd_dev_init(&x.dev, &x.cfg);
            collect(&x, -1, desc, sizeof desc);
        } else if (strncmp(input, "wait:", 5) == 0) {
            uint32_t until = x.r.t + (uint32_t)strtoul(input + 5, 0, 10);
            char part[256];
            size_t dl = 0;
            while (x.r.t < until) {
                x.r.t += 10;
                (void)bkd_dev_poll(&x.dev);
                if (x.r.n) {
                    collect(&x, -1, part, sizeof part);
                    if (dl) append(desc, sizeof desc, &dl, "+");
                    append(desc, sizeof desc, &dl, part);
                }
            }
            if (dl == 0) append(desc, sizeof desc, &dl, "-");
        } else {
            char *plus = strchr(input, '+');
            const char *mac = 0;
            if (plus) {
                if (strncmp(plus, "+mac:", 5) != 0) return -1;
                *plus = 0;
                mac = plus + 5;
            }
            for (k = 0; k < ncmds && strcmp(cmds[k].name, input) != 0; k++) {
            }
            if (plus) *plus = '+';
            if (k == ncmds || command(&x, &cmds[k], mac, key, key_len) != 0) {
                snprintf(out, cap, "unknown step %s", input);
                return -1;
            }
            collect(&x, x.seq, desc, sizeof desc);
        }
        redraw = bkd_dev_take_redraw(&x.dev);
        {
            size_t sl = 0, i;
            char hex[3];
            state[0] = 0;
            append(state, sizeof state, &sl, "/");
            append(state, sizeof state, &sl, screen_name(x.dev.screen));
            append(state, sizeof state, &sl, "/");
            append(state, sizeof state, &sl, status_name(x.dev.status));
            append(state, sizeof state, &sl, "/");
            for (i = 0; i < x.dev.payment_id_len; i++) {
                snprintf(hex, sizeof hex, "%02x", x.dev.payment_id[i]);
                append(state, sizeof state, &sl, hex);
            }
            if (x.dev.payment_id_len == 0) append(state, sizeof state, &sl, "-");
            append(state, sizeof state, &sl, (redraw & BKD_REDRAW_SCREEN) ? "/draw" : "/same");
        }
        if (at > 0) append(out, cap, &at, " ");
        append(out, cap, &at, input);
        append(out, cap, &at, "=");
        append(out, cap, &at, desc);
        append(out, cap, &at, state);
    }
    return 0;
}
