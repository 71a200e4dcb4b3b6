/* make_corpus VECTOR_DIR OUT_DIR: one seed file per vector (frames: the wire bytes; messages and v1.1 messages: type
 * byte + payload, the layout fuzz_decoder's second stage reads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vecfmt.h"

static unsigned char buf[16384];
static char line[32768];

static int emit(const char *out, const char *prefix, int n, const unsigned char *p, size_t len)
{
    char path[1200];
    FILE *f;
    sprintf(path, "%.1000s/%s-%03d", out, prefix, n);
    f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(p, 1, len, f);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    char path[1200];
    FILE *f;
    int n = 0, k;
    if (argc != 3) {
        fprintf(stderr, "usage: make_corpus VECTOR_DIR OUT_DIR\n");
        return 2;
    }
    sprintf(path, "%.1000s/frames.txt", argv[1]);
    if (!(f = fopen(path, "r"))) return 1;
    while (fgets(line, sizeof line, f)) {
        char *t[8], *s;
        int k = 0;
        long len;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        for (s = strtok(line, " "); s && k < 8; s = strtok(0, " ")) t[k++] = s;
        s = strcmp(t[0], "frame") == 0 ? t[6] : t[2]; /* frame: wire-hex is 7th; reject/stream: 3rd */
        len = vec_unhex(s, buf, sizeof buf);
        if (len > 0 && emit(argv[2], "frame", n++, buf, (size_t)len)) return 1;
    }
    fclose(f);
    for (k = 0; k < 2; k++) {
    sprintf(path, "%.1000s/%s", argv[1], k == 0 ? "messages.txt" : "messages-1.1.txt");
    if (!(f = fopen(path, "r"))) return 1;
    while (fgets(line, sizeof line, f)) {
        char *kind, *type, *hex;
        long len;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        kind = strtok(line, " ");
        (void)kind;
        (void)strtok(0, " ");
        type = strtok(0, " ");
        hex = strtok(0, " ");
        buf[0] = (unsigned char)strtoul(type, 0, 16);
        len = vec_unhex(hex, buf + 1, sizeof buf - 1);
        if (len >= 0 && emit(argv[2], "message", n++, buf, (size_t)len + 1)) return 1;
    }
    fclose(f);
    }
    printf("make_corpus: %d seeds\n", n);
    return 0;
}
