/* test_qr OUT_DIR: encodes texts of many lengths (every version boundary up to the 512-byte maximum of SPEC.md, a
 * real KHQR, Khmer UTF-8, binary bytes) with bkd_qr, writes each as a PGM image with a quiet zone, and decodes it
 * with zbarimg (Debian zbar-tools): the decoded bytes must equal the input. Every mask is forced once as well.
 * Exit 77 (CTest: skipped) when zbarimg is not installed; ci.sh installs it. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkd_qr.h"

static int failures, checks;

static void pgm(const bkd_qr *q, const char *path)
{
    const int scale = 4, quiet = 4, side = (q->size + 2 * quiet) * scale;
    int x, y;
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fprintf(f, "P5 %d %d 255\n", side, side);
    for (y = 0; y < side; y++) {
        for (x = 0; x < side; x++) {
            fputc(bkd_qr_module(q, x / scale - quiet, y / scale - quiet) ? 0 : 255, f);
        }
    }
    fclose(f);
}

/* Runs zbarimg on the image; returns the decoded bytes (without the trailing newline zbarimg adds). */
static long zbar(const char *path, unsigned char *out, size_t cap)
{
    char cmd[1200];
    FILE *p;
    size_t n;
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q -Sbinary '%s' 2>/dev/null", path);
    p = popen(cmd, "r");
    if (!p) return -1;
    n = fread(out, 1, cap, p);
    if (pclose(p) != 0) return -1;
    if (n > 0 && out[n - 1] == '\n') n--;
    return (long)n;
}

static void check(const char *dir, const char *name, const unsigned char *text, size_t len, int mask, int want_version)
{
    static bkd_qr q;
    static uint8_t work[BKD_QR_GRID_BYTES];
    static unsigned char got[4096];
    char path[1100];
    long n;
    checks++;
    if (bkd_qr_encode(text, len, mask, work, &q) != 0) {
        fprintf(stderr, "%s: encode failed (%lu bytes)\n", name, (unsigned long)len);
        failures++;
        return;
    }
    if (want_version && q.version != want_version) {
        fprintf(stderr, "%s: version %d, want %d\n", name, q.version, want_version);
        failures++;
    }
    snprintf(path, sizeof path, "%s/%s.pgm", dir, name);
    pgm(&q, path);
    n = zbar(path, got, sizeof got);
    if (n != (long)len || memcmp(got, text, len) != 0) {
        fprintf(stderr, "%s: zbarimg decoded %ld bytes, want %lu (version %d, mask %d)\n", name, n, (unsigned long)len,
                q.version, q.mask);
        failures++;
    }
}

int main(int argc, char **argv)
{
    static const char khqr[] =
        "00020101021229190015sokha_chan@aclb5204599953031165405250005802KH5910Sokha Chan6010Phnom Penh"
        "9934001317672263524020113176722665240263045185";
    static const char khmer[] = "\xe1\x9e\xa0\xe1\x9e\xb6\xe1\x9e\x84\xe1\x9e\x80\xe1\x9e\xb6\xe1\x9e\xa0\xe1\x9f\x92"
                                "\xe1\x9e\x9c\xe1\x9f\x81 \xe1\x9e\x9f\xe1\x9e\xbb\xe1\x9e\x81\xe1\x9e\xb6";
    /* the last byte count of each version at level M, and the first of the next */
    static const size_t sizes[][2] = {{1, 1},    {14, 1},   {15, 2},   {26, 2},   {42, 3},   {62, 4},  {84, 5},
                                      {106, 6},  {122, 7},  {152, 8},  {180, 9},  {213, 10}, {251, 11}, {287, 12},
                                      {331, 13}, {362, 14}, {363, 15}, {412, 15}, {450, 16}, {504, 17}, {505, 18},
                                      {512, 18}, {560, 18}};
    static unsigned char text[600];
    char name[64];
    const char *dir = argc > 1 ? argv[1] : ".";
    size_t i;
    int m;
    if (system("zbarimg --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "zbarimg not found (apt-get install zbar-tools): skipped\n");
        return 77;
    }
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t k;
        for (k = 0; k < sizes[i][0]; k++) text[k] = (unsigned char)("0123456789ABCDEFabcdef@._-"[(k * 7 + i) % 26]);
        snprintf(name, sizeof name, "len-%lu", (unsigned long)sizes[i][0]);
        check(dir, name, text, sizes[i][0], -1, (int)sizes[i][1]);
    }
    checks++;
    if (bkd_qr_capacity() != 560 || bkd_qr_encode(text, 561, -1, text + 0, 0) != -1) {
        /* (the second call fails before it touches its buffers) */
        fprintf(stderr, "capacity: %lu\n", (unsigned long)bkd_qr_capacity());
        failures++;
    }
    check(dir, "khqr", (const unsigned char *)khqr, strlen(khqr), -1, 0);
    check(dir, "khmer-utf8", (const unsigned char *)khmer, strlen(khmer), -1, 0);
    for (i = 0; i < 200; i++) text[i] = (unsigned char)(i * 37u + 1u);
    check(dir, "binary-200", text, 200, -1, 0);
    for (m = 0; m < 8; m++) {
        snprintf(name, sizeof name, "khqr-mask-%d", m);
        check(dir, name, (const unsigned char *)khqr, strlen(khqr), m, 0);
    }
    for (m = 0; m < 8; m++) { /* a version with version-information bits (>= 7), every mask */
        memset(text, 'K', 300);
        snprintf(name, sizeof name, "v13-mask-%d", m);
        check(dir, name, text, 300, m, 13);
    }
    printf("qr: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
