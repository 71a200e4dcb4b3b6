/* The shared vector files (vectors/README.md) and the hex examples in SPEC.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkdisp.h"
#include "script.h"
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

int test_messages(const char *path, int minor)
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
            int r = bkd_msg_unpack_minor((uint8_t)type, payload, (size_t)plen, (uint8_t)minor, &u);
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
        CHECK_MSG(bkd_msg_unpack_minor((uint8_t)type, payload, (size_t)plen, (uint8_t)minor, &u) == BKD_R_OK, name);
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
    if (minor == 0) {
        CHECK(distinct == 16); /* every v1.0 message type has a vector */
    } else {                   /* what v1.1 adds or changes */
        CHECK(types_seen[BKD_T_SHOW_RESULT] && types_seen[BKD_T_HELLO_ACK] && types_seen[BKD_T_STATE] &&
              types_seen[BKD_T_ACK] && types_seen[BKD_T_SHOW_QR]);
    }
    return records;
}

/* mac.txt: sha256, hmac-sha256, tagged and tag-rejected records. */
int test_mac(const char *path)
{
    static char line[LINE_MAX_LEN];
    static uint8_t a[4096], b[4096], c[4096], d[4096];
    int records = 0, kinds[4] = {0, 0, 0, 0};
    FILE *f = fopen(path, "r");
    CHECK(f != 0);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *kind, *name;
        uint8_t out[BKD_SHA256_LEN];
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        kind = strtok(line, " ");
        name = strtok(0, " ");
        records++;
        if (strcmp(kind, "sha256") == 0) {
            long ml = vec_unhex(strtok(0, " "), a, sizeof a), dl = vec_unhex(strtok(0, " "), b, sizeof b);
            bkd_sha256 s;
            kinds[0]++;
            bkd_sha256_init(&s);
            bkd_sha256_update(&s, a, (size_t)(ml > 0 ? ml : 0));
            bkd_sha256_final(&s, out);
            CHECK_MSG(ml >= 0 && dl == 32 && memcmp(out, b, 32) == 0, name);
        } else if (strcmp(kind, "hmac-sha256") == 0) {
            long kl = vec_unhex(strtok(0, " "), a, sizeof a), ml = vec_unhex(strtok(0, " "), b, sizeof b);
            long tl = vec_unhex(strtok(0, " "), c, sizeof c);
            kinds[1]++;
            bkd_hmac_sha256(a, (size_t)kl, b, (size_t)ml, 0, 0, 0, 0, out);
            CHECK_MSG(kl > 0 && ml >= 0 && tl >= 16 && tl <= 32 && memcmp(out, c, (size_t)tl) == 0, name);
        } else if (strcmp(kind, "tagged") == 0) {
            unsigned long type = tok_ul(strtok(0, " "));
            long kl = vec_unhex(strtok(0, " "), a, sizeof a);
            unsigned long boot_id = tok_ul(strtok(0, " ")), counter = tok_ul(strtok(0, " "));
            long pl = vec_unhex(strtok(0, " "), b, sizeof b), tl = vec_unhex(strtok(0, " "), c, sizeof c);
            uint32_t got = 0;
            size_t n;
            kinds[2]++;
            memcpy(d, b, (size_t)pl);
            n = bkd_mac_append(a, (size_t)kl, (uint32_t)boot_id, (uint8_t)type, (uint32_t)counter, d, (size_t)pl, sizeof d);
            CHECK_MSG(n == (size_t)tl && memcmp(d, c, n) == 0, name);
            CHECK_MSG(bkd_mac_check(a, (size_t)kl, (uint32_t)boot_id, (uint8_t)type, c, (size_t)tl, &got) && got == counter,
                      name);
        } else if (strcmp(kind, "tag-rejected") == 0) {
            unsigned long type = tok_ul(strtok(0, " "));
            long kl = vec_unhex(strtok(0, " "), a, sizeof a);
            unsigned long boot_id = tok_ul(strtok(0, " "));
            long pl = vec_unhex(strtok(0, " "), b, sizeof b);
            uint32_t got = 0;
            kinds[3]++;
            CHECK_MSG(kl > 0 && pl >= 0 && !bkd_mac_check(a, (size_t)kl, (uint32_t)boot_id, (uint8_t)type, b, (size_t)pl, &got),
                      name);
        } else {
            CHECK_MSG(0 && "unknown record", kind);
        }
    }
    fclose(f);
    CHECK(kinds[0] > 0 && kinds[1] >= 7 && kinds[2] > 0 && kinds[3] > 0);
    return records;
}

/* sessions.txt: every script re-run on a fresh device session gives exactly the recorded outcomes. */
int test_sessions(const char *path)
{
    static char line[LINE_MAX_LEN], got[LINE_MAX_LEN], names[64][64];
    static uint8_t store[64][BKD_MAX_PAYLOAD];
    static script_cmd cmds[64];
    static const uint8_t key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    size_t ncmds = 0;
    int records = 0, scripts = 0;
    FILE *f = fopen(path, "r");
    CHECK(f != 0);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *kind, *name, *rest;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        kind = strtok(line, " ");
        name = strtok(0, " ");
        rest = name + strlen(name) + 1;
        records++;
        if (strcmp(kind, "command") == 0 && ncmds < 64) {
            unsigned long type = tok_ul(strtok(0, " "));
            long pl = vec_unhex(strtok(0, " "), store[ncmds], BKD_MAX_PAYLOAD);
            CHECK_MSG(pl >= 0 && strlen(name) < sizeof names[0], name);
            strcpy(names[ncmds], name);
            cmds[ncmds].name = names[ncmds];
            cmds[ncmds].type = (uint8_t)type;
            cmds[ncmds].payload = store[ncmds];
            cmds[ncmds].len = (size_t)(pl > 0 ? pl : 0);
            ncmds++;
        } else if (strcmp(kind, "script") == 0 || strcmp(kind, "script-mac") == 0) {
            int mac = strcmp(kind, "script-mac") == 0;
            scripts++;
            CHECK_MSG(script_run(cmds, ncmds, mac ? key : 0, mac ? sizeof key : 0, rest, got, sizeof got) == 0, name);
            CHECK_MSG(strcmp(got, rest) == 0, name);
            if (strcmp(got, rest) != 0) fprintf(stderr, "  want %s\n  got  %s\n", rest, got);
        } else {
            CHECK_MSG(0 && "unknown record", kind);
        }
    }
    fclose(f);
    CHECK(scripts > 100);
    return records;
}

/* SPEC.md examples. A marker line is followed by a ``` block whose hex bytes (any spacing and line breaks) must
 * equal bytes taken from the vectors:
 *   <!-- wire frames.txt NAME -->        the wire-hex of frame vector NAME
 *   <!-- decoded frames.txt NAME -->     that frame decoded (header, payload, CRC)
 *   <!-- payload messages.txt NAME -->   the payload-hex of message vector NAME (also messages-1.1.txt)
 *   <!-- tagged mac.txt NAME -->         the payload with its MAC trailer of tagged vector NAME */
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
        } else if (strcmp(kind, "tagged") == 0 && k == 6 && strcmp(what, "tagged") == 0) {
            n = vec_unhex(tokens[5], out, cap);
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
        {
            /* the named file, in the directory of frames.txt */
            static char path[1200];
            const char *slash = strrchr(frames, '/');
            (void)messages;
            snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - frames + 1) : 0, frames, file);
            n = vector_bytes(path, what, name, want, sizeof want);
        }
        glen = vec_unhex(hex, got, sizeof got);
        CHECK_MSG(n > 0, name);
        CHECK_MSG(glen == n && memcmp(got, want, (size_t)(n > 0 ? n : 0)) == 0, name);
    }
    fclose(f);
    return examples;
}
