/*
 * bkdisp.h - Bakong serial display protocol v1, C99 reference implementation.
 *
 * Normative text: firmware-protocol/SPEC.md. This header is the whole public API:
 *   - CRC-32C, COBS encode, frame encode (bkd_frame_encode)
 *   - streaming decoder, one byte at a time (bkd_decoder_*)
 *   - message pack/unpack for every v1 message (bkd_msg_*)
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
#define BKD_PROTO_MINOR 0u
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
    BKD_R_BAD_STATE = 6
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

/* String limits (bytes of UTF-8). */
#define BKD_TEXT_MAX 96u
#define BKD_PAYMENT_ID_MAX 32u
#define BKD_QR_MAX 512u

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
} bkd_hello_ack;
typedef struct {
    uint32_t boot_id, uptime_ms;
    uint8_t screen;
} bkd_pong;
typedef struct {
    uint8_t screen, status;
    uint16_t seconds_left;
    bkd_str payment_id;
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
    uint8_t type; /* enum bkd_type; PING, CLEAR and GET_STATE have no fields */
    union {
        bkd_hello hello;
        bkd_show_idle show_idle;
        bkd_show_qr show_qr;
        bkd_set_status set_status;
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

/* 1 if type is a v1 message type. */
int bkd_msg_known(uint8_t type);
/* 1 if type is a v1 host -> device request (what a device executes). */
int bkd_msg_to_device(uint8_t type);
/* Unpacks a payload. Returns BKD_R_OK, BKD_R_UNKNOWN_TYPE or BKD_R_BAD_PAYLOAD. Bytes after the known fields are
 * ignored (newer minor versions append fields). String views point into payload. */
int bkd_msg_unpack(uint8_t type, const uint8_t *payload, size_t len, bkd_msg *out);
/* Packs m into out. Returns BKD_R_OK (*out_len set), BKD_R_UNKNOWN_TYPE, BKD_R_BAD_PAYLOAD (a field over its limit)
 * or BKD_R_TOO_LARGE (does not fit cap or the 634-byte payload maximum). */
int bkd_msg_pack(const bkd_msg *m, uint8_t *out, size_t cap, size_t *out_len);

/* ---- device session (SPEC.md sections 5, 8, 9) ------------------------------------------------ */
#define BKD_RTO_MS 250u
#define BKD_RETRIES 3u
#define BKD_BOOT_REPEAT_MS 1000u
#define BKD_DEFAULT_LINK_TIMEOUT_MS 3000u
/* Largest frame the device sends: HELLO_ACK with three 96-byte strings (payload 303). */
#define BKD_DEV_MAX_PAYLOAD 303u
#define BKD_DEV_MAX_WIRE (BKD_COBS_MAX(BKD_HEADER_LEN + BKD_DEV_MAX_PAYLOAD + BKD_CRC_LEN) + 2u)

typedef uint32_t (*bkd_clock_fn)(void *ctx);                                 /* milliseconds, wraps freely */
typedef void (*bkd_write_fn)(void *ctx, const uint8_t *bytes, size_t len);   /* queue bytes for the UART */
/* Called after the device answered a host command that changes what is shown (SHOW_IDLE, SHOW_QR, SET_STATUS,
 * CLEAR, SET_CONFIG, BEEP) with result OK. msg views point into the receive buffer: render or copy before
 * returning. Optional (NULL). */
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
    uint16_t rto_ms;       /* 0 = BKD_RTO_MS; on a UART add 2x the longest frame's wire time */
} bkd_dev_config;

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
    /* counters */
    uint32_t executed;       /* host commands executed */
    uint32_t duplicates;     /* duplicates answered from the cache */
} bkd_dev;

/* Initialises the session and sends the first BOOT. */
void bkd_dev_init(bkd_dev *dev, const bkd_dev_config *cfg);
/* Feeds received bytes (from the UART ISR's ring buffer, in the main loop). */
void bkd_dev_rx(bkd_dev *dev, const uint8_t *bytes, size_t len);
/* Call often (every 10-50 ms): retransmits, BOOT repeat, link-lost detection, the local countdown.
 * Returns 1 when the screen model changed by itself (link lost: draw the offline mark; countdown ended: draw
 * EXPIRED), so the application redraws from dev->screen, dev->status, dev->offline. */
int bkd_dev_poll(bkd_dev *dev);
/* Reports the current screen to the host as STATE_CHANGED with the given reason (after rendering, or a button);
 * held until HELLO was seen and the link is up. */
void bkd_dev_report(bkd_dev *dev, uint8_t reason);
/* Sends a LOG frame (no ACK). text is NUL-terminated, truncated to 96 bytes. */
void bkd_dev_log(bkd_dev *dev, uint8_t level, const char *text);
/* Whole seconds left on the QR countdown (rounded up), 0 when none. */
uint16_t bkd_dev_seconds_left(const bkd_dev *dev);

#ifdef __cplusplus
}
#endif
#endif
