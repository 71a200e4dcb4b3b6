/*
 * bkdisp.h - Bakong serial display protocol v1.1, C99 reference implementation.
 *
 * Normative text: firmware-protocol/SPEC.md. This header is the whole public API:
 *   - CRC-32C, COBS encode, frame encode (bkd_frame_encode)
 *   - streaming decoder, one byte at a time (bkd_decoder_*)
 *   - message pack/unpack for every v1.0 and v1.1 message (bkd_msg_*)
 *   - SHA-256, HMAC-SHA256 and the optional QR MAC trailer (bkd_sha256_*, bkd_hmac_sha256, bkd_mac_*)
 *   - the device-side session (bkd_dev_*), driven by two callbacks: a millisecond clock and a byte writer.
 *
 * No heap, no globals except const tables, no headers beyond the standard C library.
 */
#ifndef BKDISP_H
#define BKDISP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sizes (SPEC.md section 3) ---------------------------------------------------------------- */
#define BKD_PROTO_MAJOR 1u
#define BKD_PROTO_MINOR 1u
#define BKD_HEADER_LEN 6u
#define BKD_CRC_LEN 4u
#define BKD_MAX_BODY 640u                               /* header + payload */
#define BKD_MAX_PAYLOAD (BKD_MAX_BODY - BKD_HEADER_LEN) /* 634 */
#define BKD_MAX_DECODED (BKD_MAX_BODY + BKD_CRC_LEN)    /* 644 */
#define BKD_MIN_DECODED (BKD_HEADER_LEN + BKD_CRC_LEN)  /* 10 */
#define BKD_MAX_ENCODED 647u                            /* COBS(644): 644 + ceil(644/254) */
#define BKD_MAX_WIRE (BKD_MAX_ENCODED + 2u)             /* with the leading and trailing 0x00: 649 */

/* COBS-encoded size of n bytes (upper bound used for buffers; the encoder never exceeds it). */
#define BKD_COBS_MAX(n) ((n) + ((n) + 253u) / 254u + ((n) == 0u ? 1u : 0u))

/* ---- header fields ---------------------------------------------------------------------------- */
#define BKD_FLAG_ACK_REQUESTED 0x01u
#define BKD_FLAG_RESPONSE 0x02u

enum bkd_type {
    /* host -> device */
    BKD_T_HELLO = 0x01,
    BKD_T_PING = 0x02,
    BKD_T_SHOW_IDLE = 0x10,
    BKD_T_SHOW_QR = 0x11,
    BKD_T_SET_STATUS = 0x12,
    BKD_T_CLEAR = 0x13,
    BKD_T_SHOW_RESULT = 0x14, /* v1.1 */
    BKD_T_SET_CONFIG = 0x20,
    BKD_T_BEEP = 0x22,
    BKD_T_GET_STATE = 0x30,
    /* device -> host */
    BKD_T_HELLO_ACK = 0x81,
    BKD_T_PONG = 0x82,
    BKD_T_STATE = 0x83,
    BKD_T_ACK = 0x8F, /* also host -> device, answering BOOT and STATE_CHANGED */
    BKD_T_BOOT = 0x90,
    BKD_T_STATE_CHANGED = 0x91,
    BKD_T_LOG = 0x92
};

/* ACK result codes (SPEC.md section 7). */
enum bkd_result {
    BKD_R_OK = 0,
    BKD_R_UNKNOWN_TYPE = 1,
    BKD_R_BAD_PAYLOAD = 2,
    BKD_R_UNSUPPORTED_VERSION = 3,
    BKD_R_TOO_LARGE = 4,
    BKD_R_BUSY = 5,
    BKD_R_BAD_STATE = 6,
    BKD_R_AUTH_FAILED = 7 /* v1.1: QR MAC trailer missing or wrong, or its counter not above the last one */
};

enum bkd_screen { BKD_SCREEN_BLANK = 0, BKD_SCREEN_IDLE = 1, BKD_SCREEN_QR = 2, BKD_SCREEN_STATUS = 3 };
enum bkd_status {
    BKD_STATUS_NONE = 0,
    BKD_STATUS_WAITING = 1,
    BKD_STATUS_PAID = 2,
    BKD_STATUS_FAILED = 3,
    BKD_STATUS_EXPIRED = 4,
    BKD_STATUS_CANCELLED = 5
};
enum bkd_reason { BKD_REASON_RENDERED = 1, BKD_REASON_EXPIRED_LOCALLY = 2, BKD_REASON_BUTTON = 3 };
enum bkd_config_key { BKD_CFG_BRIGHTNESS = 1, BKD_CFG_BEEP_ON_RESULT = 2, BKD_CFG_LANGUAGE = 3 };

#define BKD_CAP_QR 0x01u
#define BKD_CAP_BEEP 0x02u
#define BKD_CAP_COLOR 0x04u
#define BKD_CAP_KHMER_TEXT 0x08u
#define BKD_CAP_QR_MAC 0x10u /* v1.1: the device holds a key and requires the MAC trailer (SPEC.md section 6.5) */

/* String limits (bytes of UTF-8). */
#define BKD_TEXT_MAX 96u
/* Where to cut UTF-8 text of len bytes to at most limit bytes: len when it fits, else the last position <= limit that
 * is not inside a UTF-8 sequence, not right after a Khmer COENG (U+17D2, which joins the next consonant below the one
 * before it) and not before a Khmer dependent vowel or sign (U+17B6-U+17D3, U+17DD); 0 when there is none. The same
 * rule as the C# host's Utf8Text, without its full grapheme-cluster tables (docs/display.md). */
size_t bkd_text_cut(const uint8_t *text, size_t len, size_t limit);
#define BKD_PAYMENT_ID_MAX 32u
#define BKD_QR_MAX 512u

/* SHOW_QR / SHOW_RESULT value ranges (v1.1; a v1.1 receiver answers BAD_PAYLOAD outside them). */
#define BKD_CURRENCY_MIN 1u
#define BKD_CURRENCY_MAX 999u
#define BKD_EXPONENT_MAX 4u

/* ---- CRC-32C and COBS ------------------------------------------------------------------------- */
uint32_t bkd_crc32c_update(uint32_t crc, const uint8_t *data, size_t len); /* raw register, no xor */
uint32_t bkd_crc32c(const uint8_t *data, size_t len);                      /* init/xorout 0xFFFFFFFF */

/* Encodes len bytes into out (cap bytes). Returns the encoded length, or 0 if cap is too small.
 * Canonical COBS: a final block of 254 non-zero bytes is NOT followed by an extra 0x01 code. */
size_t bkd_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* ---- frames ----------------------------------------------------------------------------------- */
typedef struct {
    uint8_t ver;
    uint8_t type;
    uint8_t flags;
    uint8_t seq;
    uint16_t len;
    const uint8_t *payload; /* view into the decoder's buffer (or the caller's) */
} bkd_frame;

/* Builds 0x00 COBS(header payload crc) 0x00 into out. Returns the wire length, 0 if len > 634 or cap too small. */
size_t bkd_frame_encode(uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *payload, size_t len, uint8_t *out,
                        size_t cap);
/* Same with an explicit ver byte (tests and future versions). */
size_t bkd_frame_encode_ver(uint8_t ver, uint8_t type, uint8_t flags, uint8_t seq, const uint8_t *payload, size_t len,
                            uint8_t *out, size_t cap);

/* Drop reasons, counted by the decoder. */
enum bkd_drop {
    BKD_DROP_COBS_INVALID = 0,
    BKD_DROP_TOO_SHORT = 1,
    BKD_DROP_LENGTH_MISMATCH = 2,
    BKD_DROP_BAD_CRC = 3,
    BKD_DROP_TOO_LONG = 4,
    BKD_DROP_COUNT = 5
};
const char *bkd_drop_name(int drop); /* "COBS_INVALID", ... */

/* Checks one decoded frame (header payload crc). Returns -1 and fills *out if valid, else the drop reason. */
int bkd_frame_parse(const uint8_t *decoded, size_t len, bkd_frame *out);

typedef struct {
    uint8_t buf[BKD_MAX_DECODED]; /* decoded bytes of the frame in progress */
    uint16_t n;                   /* decoded bytes so far */
    uint16_t enc;                 /* encoded bytes since the last 0x00 */
    uint8_t code;                 /* current COBS code byte, 0 = expecting a code byte */
    uint8_t left;                 /* data bytes left in the current block */
    uint8_t overflow;             /* too long: discarding to the next 0x00 */
    uint32_t frames;              /* valid frames delivered */
    uint32_t drops[BKD_DROP_COUNT];
} bkd_decoder;

void bkd_decoder_init(bkd_decoder *d);
/* Feeds one byte. Returns 1 when a valid frame completed (*out is filled; its payload points into d->buf and
 * stays valid until the next call), 0 otherwise. Drops are counted in d->drops. */
int bkd_decoder_push(bkd_decoder *d, uint8_t byte, bkd_frame *out);
uint32_t bkd_decoder_drop_total(const bkd_decoder *d);

/* ---- messages --------------------------------------------------------------------------------- */
typedef struct {
    const uint8_t *ptr; /* UTF-8, not NUL-terminated; a view into the payload when unpacked */
    uint16_t len;
} bkd_str;

typedef struct {
    uint8_t proto_major, proto_minor;
    uint64_t host_time_unix_ms;
    uint16_t heartbeat_ms, link_timeout_ms;
    bkd_str host_name;
} bkd_hello;
typedef struct {
    bkd_str merchant_name, line2;
} bkd_show_idle;
typedef struct {
    bkd_str payment_id;
    uint64_t amount_minor;
    uint16_t currency;
    uint8_t exponent;
    uint64_t expire_unix_ms;
    uint16_t seconds_left;
    bkd_str merchant_name;
    bkd_str qr;
} bkd_show_qr;
typedef struct {
    bkd_str payment_id;
    uint8_t status;
    bkd_str message;
} bkd_set_status;
typedef struct { /* v1.1 */
    bkd_str payment_id;
    uint8_t status; /* 2 PAID, 3 FAILED, 4 EXPIRED, 5 CANCELLED */
    uint64_t amount_minor;
    uint16_t currency;
    uint8_t exponent;
    bkd_str merchant_name;
    bkd_str message;
} bkd_show_result;
typedef struct { /* has_* = the key was present */
    uint8_t has_brightness, brightness;
    uint8_t has_beep_on_result, beep_on_result;
    uint8_t has_language, language;
} bkd_set_config;
typedef struct {
    uint8_t pattern, repeat;
} bkd_beep;
typedef struct {
    uint8_t proto_major, proto_minor;
    uint32_t boot_id;
    uint16_t mtu;
    uint32_t capabilities;
    bkd_str fw_version, model, serial;
    uint32_t mac_counter; /* v1.1: the last MAC counter the device accepted in this boot, 0 = none */
} bkd_hello_ack;
typedef struct {
    uint32_t boot_id, uptime_ms;
    uint8_t screen;
} bkd_pong;
typedef struct {
    uint8_t screen, status;
    uint16_t seconds_left;
    bkd_str payment_id;
    /* v1.1: the device's receive counters since boot (SPEC.md section 12) */
    uint32_t frames_ok;
    uint32_t drops[5]; /* indexed by enum bkd_drop */
    uint32_t duplicates;
} bkd_state;
typedef struct {
    uint8_t result, acked_type;
} bkd_ack;
typedef struct {
    uint32_t boot_id;
    uint8_t reset_reason;
    bkd_str fw_version, model;
} bkd_boot;
typedef struct {
    uint8_t screen, status;
    uint16_t seconds_left;
    bkd_str payment_id;
    uint8_t reason;
} bkd_state_changed;
typedef struct {
    uint8_t level;
    bkd_str text;
} bkd_log;

typedef struct {
    uint8_t type;  /* enum bkd_type; PING, CLEAR and GET_STATE have no fields */
    uint8_t minor; /* HELLO_ACK and STATE: 1 when the payload carries the v1.1 fields (unpack sets it; pack writes them
                    * when it is >= 1); 0 for every other type */
    union {
        bkd_hello hello;
        bkd_show_idle show_idle;
        bkd_show_qr show_qr;
        bkd_set_status set_status;
        bkd_show_result show_result;
        bkd_set_config set_config;
        bkd_beep beep;
        bkd_hello_ack hello_ack;
        bkd_pong pong;
        bkd_state state;
        bkd_ack ack;
        bkd_boot boot;
        bkd_state_changed state_changed;
        bkd_log log;
    } u;
} bkd_msg;

/* 1 if type is a v1.1 message type. */
int bkd_msg_known(uint8_t type);
/* 1 if type is a v1.1 host -> device request (what a device executes). */
int bkd_msg_to_device(uint8_t type);
/* Unpacks a payload as protocol v1.1. Returns BKD_R_OK, BKD_R_UNKNOWN_TYPE or BKD_R_BAD_PAYLOAD. Bytes after the
 * known fields are ignored (newer minor versions append fields). String views point into payload. */
int bkd_msg_unpack(uint8_t type, const uint8_t *payload, size_t len, bkd_msg *out);
/* The same as a peer of the given minor version sees it: minor 0 reads only the v1.0 fields, applies only the v1.0
 * value rules and does not know SHOW_RESULT (what the shared v1.0 vectors describe). */
int bkd_msg_unpack_minor(uint8_t type, const uint8_t *payload, size_t len, uint8_t minor, bkd_msg *out);
/* Packs m into out. Returns BKD_R_OK (*out_len set), BKD_R_UNKNOWN_TYPE, BKD_R_BAD_PAYLOAD (a field over its limit)
 * or BKD_R_TOO_LARGE (does not fit cap or the 634-byte payload maximum). */
int bkd_msg_pack(const bkd_msg *m, uint8_t *out, size_t cap, size_t *out_len);

/* ---- SHA-256, HMAC-SHA256, the QR MAC trailer (SPEC.md section 6.5) --------------------------- */
#define BKD_SHA256_LEN 32u
#define BKD_MAC_KEY_MAX 64u     /* a key is 1..64 bytes; 32 random bytes recommended */
#define BKD_MAC_TAG_LEN 16u     /* HMAC-SHA256 truncated to its first 16 bytes */
#define BKD_MAC_TRAILER_LEN 20u /* mac_counter u32 + tag */

typedef struct {
    uint32_t h[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t block[64];
    uint8_t used; /* bytes in block */
} bkd_sha256;

void bkd_sha256_init(bkd_sha256 *s);
void bkd_sha256_update(bkd_sha256 *s, const uint8_t *data, size_t len);
void bkd_sha256_final(bkd_sha256 *s, uint8_t out[BKD_SHA256_LEN]);
/* HMAC-SHA256 (RFC 2104) of the concatenation of up to three parts (a part may be NULL with length 0). */
void bkd_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *p1, size_t n1, const uint8_t *p2, size_t n2,
                     const uint8_t *p3, size_t n3, uint8_t out[BKD_SHA256_LEN]);
/* Appends the MAC trailer (counter u32le, then the 16-byte tag over boot_id u32le | type | payload | counter) to the
 * len bytes of payload (the buffer holds cap bytes). Returns the new length, 0 if it does not fit. Used by hosts. */
size_t bkd_mac_append(const uint8_t *key, size_t key_len, uint32_t boot_id, uint8_t type, uint32_t counter,
                      uint8_t *payload, size_t len, size_t cap);
/* Checks the trailer at the end of payload (len bytes). Returns 1 and sets *counter if the tag is right (compared in
 * constant time), else 0. The message fields are the first len - 20 bytes. */
int bkd_mac_check(const uint8_t *key, size_t key_len, uint32_t boot_id, uint8_t type, const uint8_t *payload, size_t len,
                  uint32_t *counter);

/* ---- device session (SPEC.md sections 5, 8, 9, 10, 11) --------------------------------------- */
#define BKD_RTO_MS 250u
#define BKD_RETRIES 3u
#define BKD_BOOT_REPEAT_MS 1000u
#define BKD_DEFAULT_LINK_TIMEOUT_MS 3000u
#define BKD_LATCH_N 8u /* payment ids whose result was shown, remembered per boot (SPEC.md section 11.2) */
/* Largest frame the device sends: a v1.1 HELLO_ACK with three 96-byte strings (payload 307, 321 wire bytes). */
#define BKD_DEV_MAX_PAYLOAD 307u
#define BKD_DEV_MAX_WIRE (BKD_COBS_MAX(BKD_HEADER_LEN + BKD_DEV_MAX_PAYLOAD + BKD_CRC_LEN) + 2u)

typedef uint32_t (*bkd_clock_fn)(void *ctx);                                 /* milliseconds, wraps freely */
typedef void (*bkd_write_fn)(void *ctx, const uint8_t *bytes, size_t len);   /* queue bytes for the UART */
/* Called after the device answered a host command with OK, once per command the session APPLIED: SHOW_IDLE, CLEAR,
 * SHOW_QR (a new QR, a countdown refresh, or seconds_left 0, which shows EXPIRED), SHOW_RESULT, SET_STATUS (a new
 * status), SET_CONFIG, BEEP. It is not called for duplicates, refused commands, no-ops (SET_STATUS WAITING on the QR
 * screen) or a SHOW_QR that the result latch ignores. Copy the content you draw (texts, amount, the QR text): msg's
 * views point into the receive buffer. Do not draw here: draw from dev->screen / dev->status when
 * bkd_dev_take_redraw() says so, so that the screen rules stay in one place. Optional (NULL). */
typedef void (*bkd_command_fn)(void *ctx, const bkd_msg *msg);

typedef struct {
    bkd_clock_fn now_ms;
    bkd_write_fn write;
    bkd_command_fn on_command; /* may be NULL */
    void *ctx;
    uint32_t boot_id;      /* random, non-zero, new on every boot */
    uint8_t reset_reason;  /* 0 unknown, 1 power-on, 2 watchdog, 3 software, 4 brown-out */
    uint32_t capabilities; /* BKD_CAP_* */
    const char *fw_version, *model, *serial; /* NUL-terminated, <= 96 bytes each */
    uint16_t rto_ms;       /* 0 = BKD_RTO_MS; on a UART see PORTING.md (SPEC.md section 8) */
    uint16_t qr_max;       /* longest qr text the device can draw; 0 = 512. Longer: ACK TOO_LARGE */
    const uint8_t *mac_key; /* NULL = no QR MAC; else the per-display key: BKD_CAP_QR_MAC is advertised and required */
    uint8_t mac_key_len;    /* 1..64 */
} bkd_dev_config;

/* Redraw reasons, OR-ed, returned (and cleared) by bkd_dev_take_redraw. */
#define BKD_REDRAW_SCREEN 0x01u    /* a new screen or new content: draw everything from dev->screen / dev->status */
#define BKD_REDRAW_COUNTDOWN 0x02u /* the QR countdown's whole-second value changed: redraw the seconds */
#define BKD_REDRAW_OFFLINE 0x04u   /* dev->offline changed: draw or remove the offline mark */
#define BKD_REDRAW_CONFIG 0x08u    /* dev->brightness or dev->language changed */
#define BKD_REDRAW_BEEP 0x10u      /* play dev->beep_pattern dev->beep_repeat times (BEEP, or beep_on_result) */

typedef struct {
    bkd_dev_config cfg;
    bkd_decoder dec;
    uint32_t boot_ms;        /* clock at init, for uptime */
    uint8_t hello_seen;      /* a HELLO arrived since boot: BOOT stops repeating */
    uint8_t link_up;         /* a valid host frame within link_timeout_ms */
    uint32_t last_rx_ms;     /* clock of the last valid host frame */
    uint16_t link_timeout_ms;
    /* de-duplication: the last executed request and its response bytes */
    uint8_t cache_valid, cache_seq, cache_type;
    uint16_t cache_len;
    uint8_t cache[BKD_DEV_MAX_WIRE];
    /* the one outstanding device-originated event (BOOT or STATE_CHANGED) */
    uint8_t tx_seq;          /* last seq used, 0 = none yet */
    uint8_t ev_state;        /* 0 none, 1 sent and waiting for its ACK */
    uint8_t ev_type, ev_seq, ev_retries;
    uint32_t ev_sent_ms, boot_sent_ms;
    uint16_t ev_len;
    uint8_t ev[BKD_DEV_MAX_WIRE];
    uint8_t scratch[BKD_DEV_MAX_WIRE]; /* LOG and uncached answers */
    /* what is on screen */
    uint8_t screen, status, offline;
    uint8_t payment_id_len;
    uint8_t payment_id[BKD_PAYMENT_ID_MAX];
    uint8_t qr_running;      /* countdown running on the QR screen */
    uint32_t qr_deadline_ms; /* clock value at which the countdown ends */
    uint8_t pending_reason;  /* a STATE_CHANGED (this reason) to send once HELLO was seen and the link is up */
    /* v1.1: the result latch, payment ids whose result was shown in this boot (a ring of BKD_LATCH_N) */
    uint8_t latch_len[BKD_LATCH_N];
    uint8_t latch_id[BKD_LATCH_N][BKD_PAYMENT_ID_MAX];
    uint8_t latch_next;
    uint8_t host_minor;      /* proto_minor of the last HELLO */
    uint32_t mac_counter;    /* the last QR MAC counter accepted in this boot */
    /* SET_CONFIG, RAM only; defaults after boot: brightness 100, beep_on_result 1, language 0 */
    uint8_t brightness, beep_on_result, language;
    /* what the application has to redraw or play (bkd_dev_take_redraw) */
    uint8_t redraw;
    uint16_t shown_seconds;  /* countdown value at the last take_redraw */
    uint8_t shown_offline;
    uint8_t beep_pattern, beep_repeat;
    /* counters */
    uint32_t executed;       /* host commands executed */
    uint32_t duplicates;     /* duplicates answered from the cache */
} bkd_dev;

/* Initialises the session and sends the first BOOT. */
void bkd_dev_init(bkd_dev *dev, const bkd_dev_config *cfg);
/* Feeds received bytes (from the UART ISR's ring buffer, in the main loop). */
void bkd_dev_rx(bkd_dev *dev, const uint8_t *bytes, size_t len);
/* Call often (every 10-50 ms): retransmits, BOOT repeat, link-lost detection, the local countdown.
 * Returns 1 when the screen model changed by itself (link lost: the offline mark; countdown ended: EXPIRED). That is
 * NOT everything that needs drawing: use bkd_dev_take_redraw() to decide when to draw. */
int bkd_dev_poll(bkd_dev *dev);
/* What to redraw (BKD_REDRAW_* bits) since the last call, and clears it: commands that changed the screen, a
 * countdown second that ticked, the offline mark, SET_CONFIG, a beep. Call it after bkd_dev_rx/bkd_dev_poll in the
 * main loop and draw when it is not 0. */
unsigned bkd_dev_take_redraw(bkd_dev *dev);
/* 1 if a result for this payment id was shown in this boot (the result latch): its QR is never drawn again. */
int bkd_dev_latched(const bkd_dev *dev, const uint8_t *payment_id, size_t len);
/* Reports the current screen to the host as STATE_CHANGED with the given reason (after rendering, or a button);
 * held until HELLO was seen and the link is up. */
void bkd_dev_report(bkd_dev *dev, uint8_t reason);
/* Sends a LOG frame (no ACK). text is NUL-terminated, cut to 96 bytes with bkd_text_cut. */
void bkd_dev_log(bkd_dev *dev, uint8_t level, const char *text);
/* Whole seconds left on the QR countdown (rounded up), 0 when none. */
uint16_t bkd_dev_seconds_left(const bkd_dev *dev);

#ifdef __cplusplus
}
#endif
#endif
