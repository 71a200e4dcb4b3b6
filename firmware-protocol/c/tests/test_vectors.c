/* The shared vector files (vectors/README.md) and the hex examples in SPEC.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"
#include "test.h"
#include "vecfmt.h"

#define LINE_MAX_LEN 16384

static unsigned long tok_ul(const char *s)
{
    return s ? strtoul(s, 0, 0) : 0xFFFFFFFFul;
}

static int drop_of(const char *name)
{
    int i;
    for (i = 0; i < (int)BKD_DROP_COUNT; i++) {
        if (name && strcmp(name, bkd_drop_name(i)) == 0) return i;
    }
    return -1;
}

static void feed(bkd_decoder *d, const uint8_t *w, size_t n, size_t *frames, bkd_frame *last)
{
    size_t i;
    bkd_frame f;
    bkd_decoder_init(d);
    *frames = 0;
    for (i = 0; i < n; i++) {
        if (bkd_decoder_push(d, w[i], &f)) {
            (*frames)++;
            *last = f;
        }
    }
}

int test_frames(const char *path)
{
    static char line[LINE_MAX_LEN];
    static uint8_t payload[4096], wire[8192], enc[BKD_MAX_WIRE];
    static bkd_decoder d;
    int records = 0;
    int kinds[3] = {0, 0, 0};
    FILE *f = fopen(path, "r");
    CHECK(f != 0);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *kind, *name;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        kind = strtok(line, " ");
        name = strtok(0, " ");
        records++;
        if (strcmp(kind, "frame") == 0) {
            unsigned long type = tok_ul(strtok(0, " ")), flags = tok_ul(strtok(0, " ")), seq = tok_ul(strtok(0, " "));
            long plen = vec_unhex(strtok(0, " "), payload, sizeof payload);
            long wlen = vec_unhex(strtok(0, " "), wire, sizeof wire);
            size_t n, frames;
            bkd_frame fr;
            kinds[0]++;
            CHECK_MSG(plen >= 0 && wlen > 0, name);
            n = bkd_frame_encode((uint8_t)type, (uint8_t)flags, (uint8_t)seq, payload, (size_t)plen, enc, sizeof enc);
            CHECK_MSG(n == (size_t)wlen && memcmp(enc, wire, n) == 0, name);
            feed(&d, wire, (size_t)wlen, &frames, &fr);
            CHECK_MSG(frames == 1 && bkd_decoder_drop_total(&d) == 0, name);
            if (frames == 1) {
                CHECK_MSG(fr.ver == 1 && fr.type == type && fr.flags == flags && fr.seq == seq, name);
                CHECK_MSG(fr.len == plen && (plen == 0 || memcmp(fr.payload, payload, (size_t)plen) == 0), name);
            }
        } else if (strcmp(kind, "reject") == 0) {
            long wlen = vec_unhex(strtok(0, " "), wire, sizeof wire);
            int drop = drop_of(strtok(0, " "));
            size_t frames;
            bkd_frame fr;
            kinds[1]++;
            CHECK_MSG(wlen > 0 && drop >= 0, name);
            feed(&d, wire, (size_t)(wlen > 0 ? wlen : 0), &frames, &fr);
            CHECK_MSG(frames == 0 && bkd_decoder_drop_total(&d) == 1 && drop >= 0 && d.drops[drop] == 1, name);
        } else if (strcmp(kind, "stream") == 0) {
            long wlen = vec_unhex(strtok(0, " "), wire, sizeof wire);
            unsigned long want_frames = tok_ul(strtok(0, " ")), want_errors = tok_ul(strtok(0, " "));
            size_t frames;
            bkd_frame fr;
            kinds[2]++;
            CHECK_MSG(wlen > 0, name);
            feed(&d, wire, (size_t)(wlen > 0 ? wlen : 0), &frames, &fr);
            CHECK_MSG(frames == want_frames && bkd_decoder_drop_total(&d) == want_errors, name);
        } else {
            CHECK_MSG(0 && "unknown record", kind);
        }
    }
    fclose(f);
    CHECK(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0);
    return records;
}

int test_messages(const char *path)
{
    static char line[LINE_MAX_LEN], fields[LINE_MAX_LEN], got[LINE_MAX_LEN];
    static uint8_t payload[4096], packed[4096], storage[8192];
    int records = 0;
    int types_seen[256];
    int i, distinct = 0;
    FILE *f = fopen(path, "r");
    memset(types_seen, 0, sizeof types_seen);
    CHECK(f != 0);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *kind, *name, *tok;
        unsigned long type;
        long plen;
        bkd_msg m, u;
        size_t used = 0, n = 0;
        int ext;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        kind = strtok(line, " ");
        name = strtok(0, " ");
        type = tok_ul(strtok(0, " "));
        plen = vec_unhex(strtok(0, " "), payload, sizeof payload);
        records++;
        CHECK_MSG(plen >= 0 && type < 256, name);
        if (plen < 0 || type >= 256) continue;
        if (strcmp(kind, "bad-message") == 0) {
            const char *want = strtok(0, " ");
            int r = bkd_msg_unpack((uint8_t)type, payload, (size_t)plen, &u);
            CHECK_MSG(want && strcmp(want, r == BKD_R_BAD_PAYLOAD ? "BAD_PAYLOAD" : r == BKD_R_UNKNOWN_TYPE
                                                                                    ? "UNKNOWN_TYPE"
                                                                                    : "OK") == 0,
                      name);
            continue;
        }
        ext = strcmp(kind, "message-ext") == 0;
        CHECK_MSG(ext || strcmp(kind, "message") == 0, name);
        types_seen[type] = 1;
        memset(&m, 0, sizeof m);
        m.type = (uint8_t)type;
        fields[0] = 0;
        while ((tok = strtok(0, " ")) != 0) {
            CHECK_MSG(vec_parse_field(&m, tok, storage, sizeof storage, &used) == 0, tok);
            strcat(fields, " ");
            strcat(fields, tok);
        }
        /* unpack gives the fields */
        CHECK_MSG(bkd_msg_unpack((uint8_t)type, payload, (size_t)plen, &u) == BKD_R_OK, name);
        CHECK_MSG(vec_format_fields(&u, got, sizeof got) == 0 && strcmp(got, fields) == 0, name);
        /* pack gives the payload (a strict prefix of it for message-ext) */
        CHECK_MSG(bkd_msg_pack(&m, packed, sizeof packed, &n) == BKD_R_OK, name);
        CHECK_MSG(ext ? n < (size_t)plen : n == (size_t)plen, name);
        CHECK_MSG(memcmp(packed, payload, n) == 0, name);
    }
    fclose(f);
    for (i = 0; i < 256; i++) {
        if (types_seen[i]) {
            CHECK_MSG(bkd_msg_known((uint8_t)i), vec_type_name((unsigned)i));
            distinct++;
        }
    }
    CHECK(distinct == 16); /* every v1 message type has a vector */
    return records;
}

/* SPEC.md examples. A marker line is followed by a ``` block whose hex bytes (any spacing and line breaks) must
 * equal bytes taken from the vectors:
 *   <!-- wire frames.txt NAME -->        the wire-hex of frame vector NAME
 *   <!-- decoded frames.txt NAME -->     that frame decoded (header, payload, CRC)
 *   <!-- payload messages.txt NAME -->   the payload-hex of message vector NAME */
static long vector_bytes(const char *path, const char *what, const char *want, uint8_t *out, size_t cap)
{
    static char line[LINE_MAX_LEN];
    static bkd_decoder d;
    FILE *f = fopen(path, "r");
    long n = -1;
    if (!f) return -1;
    while (n < 0 && fgets(line, sizeof line, f)) {
        char *kind, *name, *t, *tokens[16];
        int k = 0;
        line[strcspn(line, "\r\n")] = 0;
        kind = strtok(line, " ");
        name = strtok(0, " ");
        if (!kind || !name || strcmp(name, want) != 0) continue;
        while ((t = strtok(0, " ")) != 0 && k < 16) tokens[k++] = t;
        if (strcmp(kind, "frame") == 0 && k == 5 && strcmp(what, "wire") == 0) {
            n = vec_unhex(tokens[4], out, cap);
        } else if (strcmp(kind, "frame") == 0 && k == 5 && strcmp(what, "decoded") == 0) {
            static uint8_t wire[BKD_MAX_WIRE];
            long wl = vec_unhex(tokens[4], wire, sizeof wire), i;
            bkd_frame fr;
            bkd_decoder_init(&d);
            for (i = 0; i < wl; i++) {
                if (bkd_decoder_push(&d, wire[i], &fr) && (size_t)fr.len + 10u <= cap) {
                    n = (long)fr.len + 10;
                    memcpy(out, fr.payload - 6, (size_t)n);
                }
            }
        } else if ((strcmp(kind, "message") == 0 || strcmp(kind, "message-ext") == 0) && k >= 2 &&
                   strcmp(what, "payload") == 0) {
            n = vec_unhex(tokens[1], out, cap);
        }
    }
    fclose(f);
    return n;
}

int test_spec(const char *spec, const char *frames, const char *messages)
{
    static char line[LINE_MAX_LEN], hex[LINE_MAX_LEN];
    static uint8_t want[BKD_MAX_WIRE * 2], got[BKD_MAX_WIRE * 2];
    char what[16], file[32], name[128];
    int examples = 0;
    FILE *f = fopen(spec, "r");
    CHECK(f != 0);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        int in_block = 0;
        size_t h = 0, i;
        long n, glen;
        if (sscanf(line, "<!-- %15s %31s %127s -->", what, file, name) != 3) continue;
        examples++;
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "```", 3) == 0) {
                if (in_block) break;
                in_block = 1;
                continue;
            }
            if (!in_block) continue;
            for (i = 0; line[i] && h + 1 < sizeof hex; i++) {
                if ((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')) hex[h++] = line[i];
            }
        }
        hex[h] = 0;
        n = vector_bytes(strcmp(file, "messages.txt") == 0 ? messages : frames, what, name, want, sizeof want);
        glen = vec_unhex(hex, got, sizeof got);
        CHECK_MSG(n > 0, name);
        CHECK_MSG(glen == n && memcmp(got, want, (size_t)(n > 0 ? n : 0)) == 0, name);
    }
    fclose(f);
    return examples;
}
