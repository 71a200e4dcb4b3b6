/* bkd_tests SUITE [FILES...]: one CTest test per suite (see CMakeLists.txt). */
#include <stdio.h>
#include <string.h>

#include "test.h"

int test_failures = 0;
int test_checks = 0;

int main(int argc, char **argv)
{
    const char *suite = argc > 1 ? argv[1] : "";
    int records = -1;
    if (strcmp(suite, "crc") == 0) {
        test_crc();
    } else if (strcmp(suite, "cobs") == 0) {
        test_cobs();
    } else if (strcmp(suite, "stream") == 0) {
        test_stream();
    } else if (strcmp(suite, "frames") == 0 && argc > 2) {
        records = test_frames(argv[2]);
    } else if (strcmp(suite, "messages") == 0 && argc > 2) {
        records = test_messages(argv[2], 0);
    } else if (strcmp(suite, "messages-1.1") == 0 && argc > 2) {
        records = test_messages(argv[2], 1);
    } else if (strcmp(suite, "mac") == 0 && argc > 2) {
        records = test_mac(argv[2]);
    } else if (strcmp(suite, "sessions") == 0 && argc > 2) {
        records = test_sessions(argv[2]);
    } else if (strcmp(suite, "v11") == 0) {
        test_v11();
    } else if (strcmp(suite, "sizes") == 0 && argc > 2) {
        records = test_sizes(argv[2]);
    } else if (strcmp(suite, "sha") == 0) {
        test_sha();
    } else if (strcmp(suite, "spec") == 0 && argc > 4) {
        records = test_spec(argv[2], argv[3], argv[4]);
    } else if (strcmp(suite, "session") == 0) {
        test_session();
    } else if (strcmp(suite, "text") == 0) {
        test_text();
    } else {
        fprintf(stderr, "usage: bkd_tests crc|cobs|stream|session|text|v11|sha|frames FILE|messages FILE|messages-1.1 FILE|"
                        "mac FILE|sessions FILE|sizes SPEC|spec SPEC FRAMES MESSAGES\n");
        return 2;
    }
    if (records == 0) {
        fprintf(stderr, "%s: no records read\n", suite);
        return 1;
    }
    printf("%s: %d checks, %d failed%s", suite, test_checks, test_failures, records > 0 ? "" : "\n");
    if (records > 0) {
        printf(", %d records\n", records);
    }
    return test_failures == 0 && test_checks > 0 ? 0 : 1;
}
