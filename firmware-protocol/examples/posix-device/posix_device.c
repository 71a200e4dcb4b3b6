/* posix-device: a reference display on a POSIX serial port, built from the C library (and bkd_qr). It opens the path
 * given on the command line (a tty, a USB-CDC port, or a pseudo-terminal's slave), runs the device session, and
 * prints every screen as one line of text on stdout (format: README.md beside this file). It is the main loop of
 * PORTING.md on a PC.
 *
 *   posix-device [--broken=WHAT[,WHAT...]] [--boot-id=N] [--key=HEX] [--qr-max=N] [--ascii-qr] PATH
 *
 * --broken breaks one rule on purpose, so that a conformance check can show that it catches it:
 *   no-dedupe        executes a retransmitted request again (SPEC.md section 5.5)
 *   no-boot-repeat   sends BOOT once and never again before HELLO (section 9.1)
 *   late-answers     answers every request 400 ms late (sections 5.3 and 8)
 *   qr-after-result  draws a payment's QR again after its result, as v1.0 did (section 11.2)
 *   banner           prints a boot banner on the port, outside any frame (section 2)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bkd_qr.h"
#include "bkdisp.h"

enum { B_NO_DEDUPE = 1, B_NO_BOOT_REPEAT = 2, B_LATE_ANSWERS = 4, B_QR_AFTER_RESULT = 8, B_BANNER = 16 };

typedef struct {
    int fd;
    unsigned broken;
    int ascii_qr;
    /* late-answers: bytes held back until their time (a ring of chunks) */
    uint8_t late[16384];
    size_t late_len;
    uint32_t late_due[64];
    size_t late_end[64];
    int late_n;
    /* what the application draws: copied in on_command (SPEC: the content of a payment is immutable) */
    char merchant[97], line2[97], message[97], qr[513];
    uint16_t qr_len16;
    uint64_t amount;
    uint16_t currency;
    uint8_t exponent;
} app;

static uint32_t now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void write_all(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return; /* the port went away: the loop notices on read */
        }
        b += w;
        n -= (size_t)w;
    }
}

static void port_write(void *ctx, const uint8_t *b, size_t n)
{
    app *a = (app *)ctx;
    if (!(a->broken & B_LATE_ANSWERS)) {
        write_all(a->fd, b, n);
        return;
    }
    if (a->late_n < 64 && a->late_len + n <= sizeof a->late) {
        memcpy(a->late + a->late_len, b, n);
        a->late_len += n;
        a->late_end[a->late_n] = a->late_len;
        a->late_due[a->late_n] = now_ms(0) + 400u;
        a->late_n++;
    }
}

static void flush_late(app *a)
{
    size_t done = 0;
    int k = 0;
    while (k < a->late_n && (int32_t)(now_ms(0) - a->late_due[k]) >= 0) {
        write_all(a->fd, a->late + done, a->late_end[k] - done);
        done = a->late_end[k];
        k++;
    }
    if (k > 0) {
        int i;
        memmove(a->late, a->late + done, a->late_len - done);
        a->late_len -= done;
        for (i = k; i < a->late_n; i++) {
            a->late_end[i - k] = a->late_end[i] - done;
            a->late_due[i - k] = a->late_due[i];
        }
        a->late_n -= k;
    }
}

static void copy_str(char *dst, size_t cap, bkd_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = 0;
}

/* Copies what the screens need. Drawing happens in redraw(), from the session's screen model. */
static void on_command(void *ctx, const bkd_msg *m)
{
    app *a = (app *)ctx;
    switch (m->type) {
    case BKD_T_SHOW_IDLE:
        copy_str(a->merchant, sizeof a->merchant, m->u.show_idle.merchant_name);
        copy_str(a->line2, sizeof a->line2, m->u.show_idle.line2);
        break;
    case BKD_T_CLEAR:
        a->merchant[0] = a->line2[0] = 0;
        break;
    case BKD_T_SHOW_QR:
        copy_str(a->merchant, sizeof a->merchant, m->u.show_qr.merchant_name);
        copy_str(a->qr, sizeof a->qr, m->u.show_qr.qr);
        a->qr_len16 = m->u.show_qr.qr.len;
        a->amount = m->u.show_qr.amount_minor;
        a->currency = m->u.show_qr.currency;
        a->exponent = m->u.show_qr.exponent;
        a->message[0] = 0;
        break;
    case BKD_T_SET_STATUS:
        copy_str(a->message, sizeof a->message, m->u.set_status.message);
        break;
    case BKD_T_SHOW_RESULT:
        copy_str(a->merchant, sizeof a->merchant, m->u.show_result.merchant_name);
        copy_str(a->message, sizeof a->message, m->u.show_result.message);
        a->amount = m->u.show_result.amount_minor;
        a->currency = m->u.show_result.currency;
        a->exponent = m->u.show_result.exponent;
        a->qr[0] = 0;
        a->qr_len16 = 0;
        break;
    default: /* SET_CONFIG and BEEP: the session keeps the values; redraw() plays and shows them */
        break;
    }
}

static const char *status_name(uint8_t s)
{
    static const char *const names[] = {"NONE", "WAITING", "PAID", "FAILED", "EXPIRED", "CANCELLED"};
    return s < 6 ? names[s] : "?";
}

static void print_amount(const app *a)
{
    uint64_t scale = 1;
    unsigned i;
    for (i = 0; i < a->exponent; i++) scale *= 10u;
    printf(" amount=%llu", (unsigned long long)(a->amount / scale));
    if (a->exponent) printf(".%0*llu", (int)a->exponent, (unsigned long long)(a->amount % scale));
    printf(" currency=%u", (unsigned)a->currency);
}

static void print_id(const bkd_dev *d)
{
    printf(" payment=%.*s", (int)d->payment_id_len, (const char *)d->payment_id);
}

static void ascii_qr(const app *a)
{
    static bkd_qr q;
    static uint8_t work[BKD_QR_GRID_BYTES];
    int x, y;
    if (bkd_qr_encode((const uint8_t *)a->qr, a->qr_len16, -1, work, &q) != 0) {
        printf("  (qr too long to draw)\n");
        return;
    }
    for (y = -1; y <= q.size; y += 2) { /* two rows per text line: upper and lower half blocks */
        printf("  ");
        for (x = -2; x < q.size + 2; x++) {
            int top = bkd_qr_module(&q, x, y), bottom = bkd_qr_module(&q, x, y + 1);
            printf("%s", top && bottom ? " " : top ? "\xe2\x96\x84" : bottom ? "\xe2\x96\x80" : "\xe2\x96\x88");
        }
        printf("\n");
    }
}

/* One line per reason; a conformance check reads them (README.md beside this file). */
static void redraw(app *a, const bkd_dev *d, unsigned why)
{
    if (why & BKD_REDRAW_SCREEN) {
        switch (d->screen) {
        case BKD_SCREEN_BLANK: printf("screen BLANK\n"); break;
        case BKD_SCREEN_IDLE: printf("screen IDLE merchant=\"%s\" line2=\"%s\"\n", a->merchant, a->line2); break;
        case BKD_SCREEN_QR:
            printf("screen QR");
            print_id(d);
            print_amount(a);
            printf(" seconds=%u merchant=\"%s\" qr=%s\n", (unsigned)bkd_dev_seconds_left(d), a->merchant, a->qr);
            if (a->ascii_qr) ascii_qr(a);
            break;
        default:
            printf("screen STATUS %s", status_name(d->status));
            print_id(d);
            print_amount(a);
            printf(" message=\"%s\"\n", a->message);
            break;
        }
    }
    if ((why & BKD_REDRAW_COUNTDOWN) && d->screen == BKD_SCREEN_QR) {
        printf("countdown %u\n", (unsigned)bkd_dev_seconds_left(d));
    }
    if (why & BKD_REDRAW_OFFLINE) printf("offline %s\n", d->offline ? "on" : "off");
    if (why & BKD_REDRAW_CONFIG) printf("config brightness=%u language=%u\n", d->brightness, d->language);
    if (why & BKD_REDRAW_BEEP) printf("beep pattern=%u repeat=%u\n", d->beep_pattern, d->beep_repeat);
    fflush(stdout);
}

static int raw_mode(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
    t.c_oflag &= (tcflag_t)~OPOST;
    t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB | CSTOPB);
#ifdef CRTSCTS
    t.c_cflag &= (tcflag_t)~CRTSCTS; /* no hardware flow control */
#endif
    t.c_cflag |= CS8 | CREAD | CLOCAL; /* CLOCAL: modem-control lines are ignored (SPEC.md section 2) */
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    return tcsetattr(fd, TCSANOW, &t);
}

static uint32_t random_boot_id(void)
{
    uint32_t id = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &id, sizeof id) != (ssize_t)sizeof id) id = 0;
        close(fd);
    }
    if (id == 0) id = now_ms(0) ^ ((uint32_t)getpid() << 16) ^ 0x9E3779B9u;
    return id ? id : 1u;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned parse_broken(const char *s)
{
    static const char *const names[] = {"no-dedupe", "no-boot-repeat", "late-answers", "qr-after-result", "banner"};
    unsigned r = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned i, found = 0;
        for (i = 0; i < 5; i++) {
            if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0) {
                r |= 1u << i;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "posix-device: unknown --broken=%.*s\n", (int)n, s);
            exit(2);
        }
        s += n;
        if (*s == ',') s++;
    }
    return r;
}

int main(int argc, char **argv)
{
    static app a;
    static bkd_dev dev;
    static uint8_t key[64];
    bkd_dev_config cfg;
    const char *path = 0;
    int i, ascii = 0;
    unsigned long qr_max = bkd_qr_capacity() < BKD_QR_MAX ? bkd_qr_capacity() : BKD_QR_MAX;
    size_t key_len = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.boot_id = 0;
    for (i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--broken=", 9) == 0) {
            a.broken = parse_broken(argv[i] + 9);
        } else if (strncmp(argv[i], "--boot-id=", 10) == 0) {
            cfg.boot_id = (uint32_t)strtoul(argv[i] + 10, 0, 0);
        } else if (strncmp(argv[i], "--qr-max=", 9) == 0) {
            qr_max = strtoul(argv[i] + 9, 0, 0);
        } else if (strcmp(argv[i], "--ascii-qr") == 0) {
            ascii = 1;
        } else if (strncmp(argv[i], "--key=", 6) == 0) {
            const char *h = argv[i] + 6;
            while (h[0] && h[1] && key_len < sizeof key && hexval(h[0]) >= 0 && hexval(h[1]) >= 0) {
                key[key_len++] = (uint8_t)(hexval(h[0]) * 16 + hexval(h[1]));
                h += 2;
            }
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            path = 0;
            break;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: posix-device [--broken=no-dedupe,no-boot-repeat,late-answers,qr-after-result,banner]\n"
                        "                    [--boot-id=N] [--key=HEX] [--qr-max=N] [--ascii-qr] PATH\n");
        return 2;
    }
    a.fd = open(path, O_RDWR | O_NOCTTY);
    if (a.fd < 0 || raw_mode(a.fd) != 0) {
        perror(path);
        return 1;
    }
    a.ascii_qr = ascii;
    if (a.broken & B_BANNER) {
        static const char banner[] = "posix-device booting\r\n";
        write_all(a.fd, (const uint8_t *)banner, sizeof banner - 1);
    }
    cfg.now_ms = now_ms;
    cfg.write = port_write;
    cfg.on_command = on_command;
    cfg.ctx = &a;
    if (cfg.boot_id == 0) cfg.boot_id = random_boot_id();
    cfg.reset_reason = 1;
    cfg.capabilities = BKD_CAP_QR | BKD_CAP_BEEP | BKD_CAP_KHMER_TEXT;
    cfg.fw_version = "1.1.0";
    cfg.model = "posix-device";
    cfg.serial = "POSIX0001";
    cfg.qr_max = (uint16_t)(qr_max > BKD_QR_MAX ? BKD_QR_MAX : qr_max);
    if (key_len) {
        cfg.mac_key = key;
        cfg.mac_key_len = (uint8_t)key_len;
    }
    bkd_dev_init(&dev, &cfg);
    if (a.broken & B_NO_BOOT_REPEAT) dev.hello_seen = 1; /* broken: as if HELLO had come, so BOOT is not repeated */

    for (;;) {
        struct pollfd p;
        uint8_t buf[256];
        ssize_t n;
        unsigned why;
        p.fd = a.fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, 10) < 0 && errno != EINTR) break;
        n = read(a.fd, buf, sizeof buf);
        if (n > 0) {
            if (a.broken & B_NO_DEDUPE) dev.cache_valid = 0; /* broken: every retransmit looks new */
            if (a.broken & B_QR_AFTER_RESULT) memset(dev.latch_len, 0, sizeof dev.latch_len); /* broken: no latch */
            bkd_dev_rx(&dev, buf, (size_t)n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
            break;
        }
        (void)bkd_dev_poll(&dev);
        why = bkd_dev_take_redraw(&dev);
        if (why) redraw(&a, &dev, why);
        if (a.late_n) flush_late(&a);
        if (p.revents & (POLLHUP | POLLERR)) {
            /* a pty master that closed: wait for it (a USB port that went away: the same) */
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, 0);
        }
    }
    return 0;
}
