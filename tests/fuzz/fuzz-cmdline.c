/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line as the upgrader reads it at boot (upgrader/
 * cmdline.c): whatever the boot loader, an operator at the GRUB prompt or
 * a hypervisor put there. The parser must stay inside the buffer, stop at
 * a NUL, and leave every stored value NUL-terminated inside its field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cmdline.h"
#include "kernel-args.h"

static void check_words(const char *text, size_t len) {
        const char *pos = text, *end = text + len, *prev = text;
        struct cmdline_word w;

        while (cmdline_next_word(&pos, end, &w) > 0) {
                /* Progress, and every piece inside what was given. */
                fuzz_check(pos > prev && pos <= end);
                prev = pos;
                fuzz_check(w.key >= text && w.key + w.key_len <= end);
                if (w.value)
                        fuzz_check(w.value >= text && w.value + w.value_len <= end);
                fuzz_check(!memchr(w.key, '\0', w.key_len));
        }
        fuzz_check(pos >= text && pos <= end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        struct boot_cmdline c;

        check_words(text, size);
        {
                /* The old system's part of any command line: inside what
                 * was given, no NUL in it. */
                char *old = NULL;
                int r = cmdline_old_system(text, size, &old);

                fuzz_check(r == 0 || r == -ENOENT || r == -ENOMEM);
                if (r == 0) {
                        fuzz_check(strlen(old) <= size);
                        free(old);
                }
        }

        memset(&c, 0xaa, sizeof(c));
        cmdline_parse(text, size, &c);
        fuzz_check(c.read_only >= -1 && c.read_only <= 1);
        fuzz_check((unsigned) c.root_kind <= ROOT_UNSUPPORTED);
        fuzz_check(strnlen(c.root, sizeof(c.root)) < sizeof(c.root));
        fuzz_check(strnlen(c.rootfstype, sizeof(c.rootfstype)) < sizeof(c.rootfstype));
        fuzz_check(strnlen(c.rootflags, sizeof(c.rootflags)) < sizeof(c.rootflags));
        /* A root to look for is never empty; an unusable one may be
         * (too long to keep). */
        if (c.root_kind == ROOT_NONE)
                fuzz_check(c.root[0] == '\0');
        else if (c.root_kind == ROOT_PATH)
                fuzz_check(c.root[0] == '/');
        else if (c.root_kind != ROOT_UNSUPPORTED)
                fuzz_check(c.root[0] != '\0');
        for (unsigned i = 0; i < c.n_problems && i < CMDLINE_PROBLEMS_MAX; i++) {
                fuzz_check(strnlen(c.problems[i], CMDLINE_PROBLEM_SIZE) < CMDLINE_PROBLEM_SIZE);
                /* Problems are logged to the console as they are. */
                fuzz_check(fuzz_printable(c.problems[i]));
        }
        return 0;
}
