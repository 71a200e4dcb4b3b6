/* A tiny test harness: CHECK records a failure with file:line and continues. */
#ifndef BKD_TEST_H
#define BKD_TEST_H
#include <stdio.h>

extern int test_failures;
extern int test_checks;
#define CHECK(cond)                                                                                                   \
    do {                                                                                                              \
        test_checks++;                                                                                                \
        if (!(cond)) {                                                                                                \
            test_failures++;                                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                  \
        }                                                                                                             \
    } while (0)
#define CHECK_MSG(cond, name)                                                                                         \
    do {                                                                                                              \
        test_checks++;                                                                                                \
        if (!(cond)) {                                                                                                \
            test_failures++;                                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed for %s: %s\n", __FILE__, __LINE__, (name), #cond);                   \
        }                                                                                                             \
    } while (0)

void test_crc(void);
void test_cobs(void);
void test_stream(void);
int test_frames(const char *path);
int test_messages(const char *path, int minor);
int test_mac(const char *path);
int test_sessions(const char *path);
void test_v11(void);
int test_sizes(const char *spec);
void test_sha(void);
int test_spec(const char *spec, const char *frames, const char *messages);
void test_session(void);
void test_text(void);
#endif
