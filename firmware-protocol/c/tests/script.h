/* Session scripts (vectors/sessions.txt): a host plays steps against a fresh device session and every step records
 * the device's answer, its events and its screen model afterwards. Shared by the generator and the tests. */
#ifndef SCRIPT_H
#define SCRIPT_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    uint8_t type;
    const uint8_t *payload;
    size_t len;
} script_cmd;

/* Runs steps (tokens separated by one space; anything from '=' on in a token is ignored) on a fresh device
 * (boot_id 0x5EB0071D, or 0x5EB0071D + n after the n-th reboot; key NULL = no QR MAC) and writes the tokens with
 * "=<outcome>" appended, separated by one space, to out. Returns 0, or -1 with a message in out. */
int script_run(const script_cmd *cmds, size_t ncmds, const uint8_t *key, size_t key_len, const char *steps, char *out,
               size_t cap);

#define SCRIPT_BOOT_ID 0x5EB0071Du
#endif
