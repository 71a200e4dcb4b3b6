/*
 * bkd_qr.h - a compact QR code encoder for displays (ISO/IEC 18004): byte mode, error correction level M,
 * versions 1..BKD_QR_MAX_VERSION, Reed-Solomon, the eight masks with the standard penalty. C99, no heap, no globals
 * except const tables. Not part of the protocol library: a display draws SHOW_QR's `qr` text with it.
 *
 * RAM: one bkd_qr (the module grid, 991 bytes at version 18) plus a work buffer of the same size, caller-owned.
 * Version 18 at level M holds 560 bytes: every qr of SPEC.md (at most 512). Define BKD_QR_MAX_VERSION lower to save
 * RAM (version 14: 362 bytes of text, 2 x 667 bytes of RAM); a longer text is refused and the device answers
 * TOO_LARGE (bkd_dev_config.qr_max = bkd_qr_capacity()).
 */
#ifndef BKD_QR_H
#define BKD_QR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef BKD_QR_MAX_VERSION
#define BKD_QR_MAX_VERSION 18
#endif
#define BKD_QR_SIZE(v) (4 * (v) + 17)
#define BKD_QR_GRID_BYTES ((BKD_QR_SIZE(BKD_QR_MAX_VERSION) * BKD_QR_SIZE(BKD_QR_MAX_VERSION) + 7) / 8)

typedef struct {
    uint8_t version; /* 1..BKD_QR_MAX_VERSION */
    uint8_t size;    /* modules per side: 4 * version + 17 (draw a quiet zone of 4 modules around it) */
    uint8_t mask;    /* 0..7 */
    uint8_t grid[BKD_QR_GRID_BYTES]; /* bit y * size + x, 1 = dark */
} bkd_qr;

/* Encodes len bytes (byte mode, level M) in the smallest version that holds them. mask: 0..7, or -1 to choose the
 * mask with the lowest penalty (normal use). work: BKD_QR_GRID_BYTES of scratch. Returns 0, or -1 if the text does not
 * fit in BKD_QR_MAX_VERSION (or mask is out of range). */
int bkd_qr_encode(const uint8_t *data, size_t len, int mask, uint8_t *work, bkd_qr *out);
/* 1 if the module at column x, row y is dark (0 outside the symbol). */
int bkd_qr_module(const bkd_qr *q, int x, int y);
/* The longest text (bytes) that fits in BKD_QR_MAX_VERSION at level M. */
size_t bkd_qr_capacity(void);

#ifdef __cplusplus
}
#endif
#endif
