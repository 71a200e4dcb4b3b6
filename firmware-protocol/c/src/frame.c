/* COBS, frame encoding and the streaming decoder (SPEC.md sections 3 and 4). */
#include "bkdisp.h"

size_t bkd_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t r = 0;     /* read index */
    size_t w = 1;     /* write index (out[0] is the first code byte) */
    size_t code_at = 0;
    uint8_t code = 1; /* 1 + data bytes in the current block */

    if (cap == 0) {
        return 0;
    }
    while (r < len) {
        if (in[r] == 0) {
            out[code_at] = code;
            code = 1;
            if (w >= cap) {
                return 0;
            }
            code_at = w++;
        } else {
            if (w >= cap) {
                return 0;
            }
            out[w++] = in[r];
            code++;
            /* A full block of 254 data bytes: close it with 0xFF. A new block starts only if data follows. */
            if (code == 0xFFu && r + 1 < len) {
                out[code_at] = code;
                code = 1;
                if (w >= cap) {
                    return 0;
                }
                code_at = w++;
            }
        }
        r++;
    }
    out[code_at] = code;
    return w;
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

size_t bkd_frame_encode_ver(uint8_t ver, uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *payload, size_t len,
                            uint8_t *out, size_t cap)
{
    uint8_t raw[BKD_MAX_DECODED];
    size_t i;
    size_t n;
    uint32_t crc;

    if (len > BKD_MAX_PAYLOAD || cap < 3) {
        return 0;
    }
    raw[0] = ver;
    raw[1] = type;
    raw[2] = flags;
    raw[3] = seq;
    put_u16(&raw[4], (uint16_t)len);
    for (i = 0; i < len; i++) {
        raw[BKD_HEADER_LEN + i] = payload[i];
    }
    crc = bkd_crc32c(raw, BKD_HEADER_LEN + len);
    put_u32(&raw[BKD_HEADER_LEN + len], crc);
    out[0] = 0x00;
    n = bkd_cobs_encode(raw, BKD_HEADER_LEN + len + BKD_CRC_LEN, out + 1, cap - 2);
    if (n == 0) {
        return 0;
    }
    out[1 + n] = 0x00;
    return n + 2;
}

size_t bkd_frame_encode(uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *payload, size_t len, uint8_t *out,
                        size_t cap)
{
    return bkd_frame_encode_ver((uint8_t)BKD_PROTO_MAJOR, type, flags, seq, payload, len, out, cap);
}

const char *bkd_drop_name(int drop)
{
    static const char *const names[BKD_DROP_COUNT] = {"COBS_INVALID", "TOO_SHORT", "LENGTH_MISMATCH", "BAD_CRC",
                                                      "TOO_LONG"};
    return (drop >= 0 && drop < (int)BKD_DROP_COUNT) ? names[drop] : "?";
}

int bkd_frame_parse(const uint8_t *decoded, size_t len, bkd_frame *out)
{
    uint16_t plen;
    uint32_t crc;
    size_t body;

    if (len > BKD_MAX_DECODED) {
        return BKD_DROP_TOO_LONG;
    }
    if (len < BKD_MIN_DECODED) {
        return BKD_DROP_TOO_SHORT;
    }
    plen = (uint16_t)(decoded[4] | (decoded[5] << 8));
    if ((size_t)plen != len - BKD_MIN_DECODED) {
        return BKD_DROP_LENGTH_MISMATCH;
    }
    body = BKD_HEADER_LEN + plen;
    crc = (uint32_t)decoded[body] | ((uint32_t)decoded[body + 1] << 8) | ((uint32_t)decoded[body + 2] << 16) |
          ((uint32_t)decoded[body + 3] << 24);
    if (crc != bkd_crc32c(decoded, body)) {
        return BKD_DROP_BAD_CRC;
    }
    out->ver = decoded[0];
    out->type = decoded[1];
    out->flags = decoded[2];
    out->seq = decoded[3];
    out->len = plen;
    out->payload = decoded + BKD_HEADER_LEN;
    return -1;
}

static void decoder_reset(bkd_decoder *d)
{
    d->n = 0;
    d->enc = 0;
    d->code = 0;
    d->left = 0;
    d->overflow = 0;
}

void bkd_decoder_init(bkd_decoder *d)
{
    int i;
    decoder_reset(d);
    d->frames = 0;
    for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
        d->drops[i] = 0;
    }
}

uint32_t bkd_decoder_drop_total(const bkd_decoder *d)
{
    uint32_t t = 0;
    int i;
    for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
        t += d->drops[i];
    }
    return t;
}

static void decoder_store(bkd_decoder *d, uint8_t b)
{
    if (d->n >= BKD_MAX_DECODED) {
        d->overflow = 1;
        return;
    }
    d->buf[d->n++] = b;
}

int bkd_decoder_push(bkd_decoder *d, uint8_t byte, bkd_frame *out)
{
    int r;

    if (byte == 0x00) {
        if (d->enc == 0) {
            return 0; /* empty frame (consecutive 0x00): ignored, not an error */
        }
        if (d->overflow) {
            d->drops[BKD_DROP_TOO_LONG]++;
            decoder_reset(d);
            return 0;
        }
        if (d->left != 0) {
            d->drops[BKD_DROP_COBS_INVALID]++;
            decoder_reset(d);
            return 0;
        }
        r = bkd_frame_parse(d->buf, d->n, out);
        decoder_reset(d);
        if (r >= 0) {
            d->drops[r]++;
            return 0;
        }
        d->frames++;
        return 1;
    }
    if (d->overflow) {
        return 0; /* discarding to the next 0x00 */
    }
    if (++d->enc > BKD_MAX_ENCODED) {
        d->overflow = 1;
        return 0;
    }
    if (d->left == 0) {
        /* a code byte: the previous block (if any, and shorter than 254) ended with an implied zero */
        if (d->code != 0 && d->code != 0xFFu) {
            decoder_store(d, 0x00);
        }
        d->code = byte;
        d->left = (uint8_t)(byte - 1u);
    } else {
        decoder_store(d, byte);
        d->left--;
    }
    return 0;
}
