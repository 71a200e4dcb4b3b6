/* A compact QR code encoder: byte mode, level M (see bkd_qr.h). Written from ISO/IEC 18004:2015; the tables are the
 * standard's level-M columns. The codewords are interleaved while they are placed, so one work buffer is enough. */
#include "bkd_qr.h"

#include <string.h>

/* Level M, index = version: error correction codewords per block, and the number of blocks. */
static const uint8_t ECC_PER_BLOCK[41] = {0,  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
                                          26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28};
static const uint8_t BLOCKS[41] = {0,  1,  1,  1,  2,  2,  4,  4,  4,  5,  5,  5,  8,  9,  9,  10, 10, 11, 13, 14, 16,
                                   17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49};

typedef struct {
    int version, size;
    uint8_t *grid;
} canvas;

/* Modules that are not function patterns, in bits: the capacity of a version. */
static int raw_modules(int v)
{
    int r = (16 * v + 128) * v + 64;
    if (v >= 2) {
        int n = v / 7 + 2;
        r -= (25 * n - 10) * n - 55;
        if (v >= 7) r -= 36;
    }
    return r;
}

static int total_codewords(int v)
{
    return raw_modules(v) / 8;
}

static int data_codewords(int v)
{
    return total_codewords(v) - ECC_PER_BLOCK[v] * BLOCKS[v];
}

/* Bytes of text that fit: 4 mode bits and an 8- or 16-bit count, then 8 bits per byte. */
static size_t capacity(int v)
{
    int bits = data_codewords(v) * 8 - 4 - (v < 10 ? 8 : 16);
    return (size_t)(bits / 8);
}

size_t bkd_qr_capacity(void)
{
    return capacity(BKD_QR_MAX_VERSION);
}

/* Alignment pattern centres (row and column coordinates). Returns how many. */
static int align_positions(int v, int pos[7])
{
    int n, step, i, p;
    if (v == 1) return 0;
    n = v / 7 + 2;
    step = v == 32 ? 26 : (v * 4 + n * 2 + 1) / (n * 2 - 2) * 2;
    for (i = n - 1, p = v * 4 + 10; i >= 1; i--, p -= step) pos[i] = p;
    pos[0] = 6;
    return n;
}

static int in_box(int x, int y, int cx, int cy, int r)
{
    return x >= cx - r && x <= cx + r && y >= cy - r && y <= cy + r;
}

/* 1 for finder patterns with their separators and format areas, timing patterns, alignment patterns, version
 * areas and the dark module: the modules that do not carry data. */
static int is_function(const canvas *c, int x, int y)
{
    int s = c->size, pos[7], n, i, j;
    if ((x < 9 && y < 9) || (x >= s - 8 && y < 9) || (x < 9 && y >= s - 8)) return 1;
    if (x == 6 || y == 6) return 1;
    if (c->version >= 7 && ((x < 6 && y >= s - 11 && y < s - 8) || (y < 6 && x >= s - 11 && x < s - 8))) return 1;
    n = align_positions(c->version, pos);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            if ((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) continue;
            if (in_box(x, y, pos[i], pos[j], 2)) return 1;
        }
    }
    return 0;
}

static void set(canvas *c, int x, int y, int dark)
{
    int i = y * c->size + x;
    if (dark) {
        c->grid[i >> 3] = (uint8_t)(c->grid[i >> 3] | (1u << (i & 7)));
    } else {
        c->grid[i >> 3] = (uint8_t)(c->grid[i >> 3] & ~(1u << (i & 7)));
    }
}

static int get(const canvas *c, int x, int y)
{
    int i = y * c->size + x;
    return (c->grid[i >> 3] >> (i & 7)) & 1;
}

static void finder(canvas *c, int cx, int cy)
{
    int dx, dy;
    for (dy = -4; dy <= 4; dy++) {
        for (dx = -4; dx <= 4; dx++) {
            int x = cx + dx, y = cy + dy, ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy, d = ax > ay ? ax : ay;
            if (x >= 0 && x < c->size && y >= 0 && y < c->size) set(c, x, y, d != 2 && d != 4);
        }
    }
}

static void function_patterns(canvas *c)
{
    int s = c->size, i, j, n, pos[7];
    for (i = 0; i < s; i++) {
        set(c, 6, i, i % 2 == 0);
        set(c, i, 6, i % 2 == 0);
    }
    finder(c, 3, 3);
    finder(c, s - 4, 3);
    finder(c, 3, s - 4);
    n = align_positions(c->version, pos);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            int dx, dy;
            if ((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) continue;
            for (dy = -2; dy <= 2; dy++) {
                for (dx = -2; dx <= 2; dx++) {
                    int ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy;
                    set(c, pos[i] + dx, pos[j] + dy, (ax > ay ? ax : ay) != 1);
                }
            }
        }
    }
    if (c->version >= 7) { /* 18 version bits: 6 data bits and a BCH(18,6) remainder */
        long rem = c->version, bits;
        for (i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >> 11) * 0x1F25L);
        bits = ((long)c->version << 12) | rem;
        for (i = 0; i < 18; i++) {
            int bit = (int)((bits >> i) & 1), a = s - 11 + i % 3, b = i / 3;
            set(c, a, b, bit);
            set(c, b, a, bit);
        }
    }
}

/* 15 format bits for level M (00) and the mask, BCH(15,5) with the 0x5412 pattern, in both copies; and the dark
 * module. */
static void format_bits(canvas *c, int mask)
{
    int data = (0 << 3) | mask, rem = data, bits, i, s = c->size;
    for (i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    bits = ((data << 10) | rem) ^ 0x5412;
    for (i = 0; i <= 5; i++) set(c, 8, i, (bits >> i) & 1);
    set(c, 8, 7, (bits >> 6) & 1);
    set(c, 8, 8, (bits >> 7) & 1);
    set(c, 7, 8, (bits >> 8) & 1);
    for (i = 9; i < 15; i++) set(c, 14 - i, 8, (bits >> i) & 1);
    for (i = 0; i < 8; i++) set(c, s - 1 - i, 8, (bits >> i) & 1);
    for (i = 8; i < 15; i++) set(c, 8, s - 15 + i, (bits >> i) & 1);
    set(c, 8, s - 8, 1);
}

/* GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1. */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    unsigned r = 0;
    int i;
    for (i = 7; i >= 0; i--) {
        r = (r << 1) ^ ((r >> 7) * 0x11Du);
        r ^= ((unsigned)(b >> i) & 1u) * a;
    }
    return (uint8_t)r;
}

/* Reed-Solomon: the remainder of data(x) * x^n divided by the generator (x - a^0)...(x - a^(n-1)). */
static void rs_ecc(const uint8_t *data, int len, int n, uint8_t *out)
{
    uint8_t gen[30];
    uint8_t root = 1;
    int i, j;
    memset(gen, 0, sizeof gen);
    gen[n - 1] = 1;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            gen[j] = gf_mul(gen[j], root);
            if (j + 1 < n) gen[j] ^= gen[j + 1];
        }
        root = gf_mul(root, 0x02);
    }
    memset(out, 0, (size_t)n);
    for (i = 0; i < len; i++) {
        uint8_t factor = (uint8_t)(data[i] ^ out[0]);
        memmove(out, out + 1, (size_t)(n - 1));
        out[n - 1] = 0;
        for (j = 0; j < n; j++) out[j] ^= gf_mul(gen[j], factor);
    }
}

/* The k-th codeword of the interleaved sequence, from work (data blocks one after the other, then the ECC blocks). */
static uint8_t codeword(const uint8_t *work, int v, int k)
{
    int nb = BLOCKS[v], ecc = ECC_PER_BLOCK[v], data = data_codewords(v);
    int shrt = nb - total_codewords(v) % nb, len = data / nb; /* short blocks and their data length */
    if (k < len * nb) {
        int b = k % nb, j = k / nb;
        return work[b * len + (b > shrt ? b - shrt : 0) + j];
    }
    if (k < data) {
        int b = shrt + (k - len * nb);
        return work[b * len + (b - shrt) + len];
    }
    k -= data;
    return work[data + (k % nb) * ecc + k / nb];
}

static int mask_bit(int m, int x, int y)
{
    switch (m) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
}

static void apply_mask(canvas *c, int m)
{
    int x, y;
    for (y = 0; y < c->size; y++) {
        for (x = 0; x < c->size; x++) {
            if (!is_function(c, x, y) && mask_bit(m, x, y)) set(c, x, y, !get(c, x, y));
        }
    }
}

/* The standard penalty: runs of 5+ (3 + extra), 2x2 blocks (3), finder-like 1:1:3:1:1 with 4 light modules on a
 * side (40), and the dark share away from 50% (10 per 5%). */
static long penalty(const canvas *c)
{
    static const uint8_t pat[2][11] = {{1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1}};
    long p = 0, dark = 0, total = (long)c->size * c->size;
    int s = c->size, a, b, dir, k, q;
    for (dir = 0; dir < 2; dir++) {
        for (a = 0; a < s; a++) {
            int run = 0, prev = -1;
            for (b = 0; b < s; b++) {
                int m = dir ? get(c, a, b) : get(c, b, a);
                if (m == prev) {
                    run++;
                    if (run == 5) p += 3;
                    else if (run > 5) p += 1;
                } else {
                    run = 1;
                    prev = m;
                }
                for (q = 0; q < 2 && b + 11 <= s; q++) {
                    for (k = 0; k < 11; k++) {
                        if ((dir ? get(c, a, b + k) : get(c, b + k, a)) != pat[q][k]) break;
                    }
                    if (k == 11) p += 40;
                }
            }
        }
    }
    for (a = 0; a < s; a++) {
        for (b = 0; b < s; b++) {
            int m = get(c, b, a);
            dark += m;
            if (a + 1 < s && b + 1 < s && m == get(c, b + 1, a) && m == get(c, b, a + 1) && m == get(c, b + 1, a + 1)) {
                p += 3;
            }
        }
    }
    {
        long pct = dark * 100 / total, dev = pct > 50 ? pct - 50 : 50 - pct;
        p += dev / 5 * 10;
    }
    return p;
}

int bkd_qr_encode(const uint8_t *text, size_t len, int mask, uint8_t *work, bkd_qr *out)
{
    canvas c;
    int v, i, bit = 0, data, right, vert, j, best = 0;
    long best_penalty = -1;
    size_t n;
    if (mask < -1 || mask > 7) return -1;
    for (v = 1; v <= BKD_QR_MAX_VERSION && capacity(v) < len; v++) {
    }
    if (v > BKD_QR_MAX_VERSION) return -1;
    data = data_codewords(v);

    /* the data bits: mode 0100 (byte), the count, the bytes, a terminator, pad codewords EC 11 */
    memset(work, 0, (size_t)total_codewords(v));
#define PUT(value, nbits)                                                                                             \
    do {                                                                                                              \
        int b_;                                                                                                       \
        for (b_ = (nbits)-1; b_ >= 0; b_--, bit++) {                                                                  \
            if (((unsigned long)(value) >> b_) & 1u) work[bit >> 3] = (uint8_t)(work[bit >> 3] | (0x80u >> (bit & 7))); \
        }                                                                                                             \
    } while (0)
    PUT(4u, 4);
    PUT(len, v < 10 ? 8 : 16);
    for (n = 0; n < len; n++) PUT(text[n], 8);
#undef PUT
    bit += data * 8 - bit < 4 ? data * 8 - bit : 4;
    bit = (bit + 7) / 8;
    for (i = 0; bit < data; i++, bit++) work[bit] = (uint8_t)(i % 2 == 0 ? 0xEC : 0x11);

    /* the ECC of each block, after all the data */
    {
        int nb = BLOCKS[v], ecc = ECC_PER_BLOCK[v], shrt = nb - total_codewords(v) % nb, blen = data / nb, at = 0, b;
        for (b = 0; b < nb; b++) {
            int l = blen + (b >= shrt ? 1 : 0);
            rs_ecc(work + at, l, ecc, work + data + b * ecc);
            at += l;
        }
    }

    /* the symbol: function patterns, then the codewords in the zigzag order, interleaved */
    memset(out, 0, sizeof *out);
    out->version = (uint8_t)v;
    out->size = (uint8_t)BKD_QR_SIZE(v);
    c.version = v;
    c.size = out->size;
    c.grid = out->grid;
    function_patterns(&c);
    format_bits(&c, 0); /* reserve the format modules (redrawn with the mask below) */
    bit = 0;
    for (right = c.size - 1; right >= 1; right -= 2) {
        if (right == 6) right = 5;
        for (vert = 0; vert < c.size; vert++) {
            for (j = 0; j < 2; j++) {
                int x = right - j, upward = ((right + 1) & 2) == 0, y = upward ? c.size - 1 - vert : vert;
                if (!is_function(&c, x, y) && bit < total_codewords(v) * 8) {
                    set(&c, x, y, (codeword(work, v, bit >> 3) >> (7 - (bit & 7))) & 1);
                    bit++;
                }
            }
        }
    }

    /* the mask: the one asked for, or the one with the lowest penalty */
    if (mask >= 0) {
        best = mask;
    } else {
        for (i = 0; i < 8; i++) {
            long pen;
            apply_mask(&c, i);
            format_bits(&c, i);
            pen = penalty(&c);
            if (best_penalty < 0 || pen < best_penalty) {
                best_penalty = pen;
                best = i;
            }
            apply_mask(&c, i); /* XOR again: undone */
        }
    }
    apply_mask(&c, best);
    format_bits(&c, best);
    out->mask = (uint8_t)best;
    return 0;
}

int bkd_qr_module(const bkd_qr *q, int x, int y)
{
    int i;
    if (x < 0 || y < 0 || x >= q->size || y >= q->size) return 0;
    i = y * q->size + x;
    return (q->grid[i >> 3] >> (i & 7)) & 1;
}
