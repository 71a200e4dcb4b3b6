/* bkd_text_cut: text the device cuts to a field's limit (its own LOG lines, fw_version, model, serial) ends between
 * two characters, and never splits a Khmer consonant cluster (COENG + consonant) or a consonant from its vowel. */
#include <string.h>

#include "bkdisp.h"
#include "test.h"

static size_t cut(const char *s, size_t limit)
{
    return bkd_text_cut((const uint8_t *)s, strlen(s), limit);
}

/* The code point of the 3-byte UTF-8 sequence at p (0 when it is not one). */
static unsigned cp3(const uint8_t *p, size_t n)
{
    return n >= 3 && (p[0] & 0xF0u) == 0xE0u ? ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu) : 0;
}

/* What every cut must be: within the limit, at a UTF-8 boundary, not after COENG, not before a Khmer sign. */
static int is_clean_cut(const char *s, size_t at, size_t limit)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    unsigned next;
    if (at == n) {
        return n <= limit;
    }
    next = cp3(p + at, n - at);
    return at <= limit && (p[at] & 0xC0u) != 0x80u && !(at >= 3 && cp3(p + at - 3, 3) == 0x17D2u) &&
           !(at > 0 && ((next >= 0x17B6u && next <= 0x17D3u) || next == 0x17DDu));
}

void test_text(void)
{
    /* ស្ត្រី (woman): SA COENG TA COENG RO vowel II, 18 bytes, one visual cluster */
    static const char stri[] = "\xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xb8";
    /* ខ្មែរ (Khmer): KHA COENG MO vowel AE | RO */
    static const char khmer[] = "\xe1\x9e\x81\xe1\x9f\x92\xe1\x9e\x98\xe1\x9f\x82\xe1\x9e\x9a";
    /* សុខា (Sokha): SA vowel U | KHA vowel AA */
    static const char sokha[] = "\xe1\x9e\x9f\xe1\x9e\xbb\xe1\x9e\x81\xe1\x9e\xb6";
    char log[200];
    size_t limit, i;

    CHECK(cut("Sokha", 96) == 5);
    CHECK(cut("Sokha", 3) == 3);
    CHECK(cut("a\xc3\xa9", 2) == 1); /* a, e acute (2 bytes): never half of it */
    CHECK(cut("", 0) == 0);
    CHECK(bkd_text_cut(NULL, 0, 96) == 0);
    CHECK(cut(stri, 18) == 18);
    CHECK(cut(stri, 17) == 0);
    CHECK(cut(stri, 9) == 0); /* SA COENG TA fits, but COENG RO belongs to it */
    CHECK(cut(stri, 6) == 0); /* SA COENG: never a COENG at the end */
    CHECK(cut(khmer, 14) == 12);
    CHECK(cut(khmer, 11) == 0);
    CHECK(cut(sokha, 8) == 6);
    CHECK(cut(sokha, 5) == 0); /* SA without its vowel U: no */
    for (limit = 0; limit <= 20; limit++) {
        CHECK_MSG(is_clean_cut(stri, cut(stri, limit), limit), "stri");
        CHECK_MSG(is_clean_cut(khmer, cut(khmer, limit), limit), "khmer");
        CHECK_MSG(is_clean_cut(sokha, cut(sokha, limit), limit), "sokha");
    }

    /* A device's LOG line of six ស្ត្រី (108 bytes) is cut to five whole ones (90 bytes), not to 96 bytes ending in
     * SA COENG. */
    log[0] = 0;
    for (i = 0; i < 6; i++) {
        strcat(log, stri);
    }
    CHECK(cut(log, BKD_TEXT_MAX) == 90);
}
