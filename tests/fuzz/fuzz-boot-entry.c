/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What host-prep stage and cancel read to arm and disarm the one-time
 * upgrade boot (host-prep/boot-cmdline.c, grub-block.c):
 *
 *  - the kernel command line the entry starts from (/proc/cmdline, or
 *    --cmdline), with the extra arguments after the input's first NUL:
 *    boot_entry_make_cmdline() must keep rd.oslift.upgrade a word of its
 *    own, the one the upgrade initramfs looks for, and everything it
 *    passes on must survive GRUB;
 *  - GRUB's custom.cfg, which admins and other tools edit: our block is
 *    found, replaced or appended, and found again exactly as written;
 *  - the record of what arm changed (BOOT_ENTRY_RECORD), read by cancel.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"

#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "kernel-args.h"
#include "strv.h"

#define BLOCK                                                                               \
        BOOT_ENTRY_BEGIN_MARKER "\nmenuentry 'oslift upgrade (x)' --id " BOOT_ENTRY_ID " {\n}\n" \
        BOOT_ENTRY_END_MARKER "\n"

static void check_cmdline(const char *current, const char *extra) {
        _cleanup_(strv_freep) char **words = NULL;
        _cleanup_free_ char *cmdline = NULL, *block = NULL;
        size_t ours = 0, begin, end;
        int r;

        r = boot_entry_make_cmdline(current, extra, &cmdline);
        fuzz_check(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r < 0)
                return;
        fuzz_check(boot_entry_split_words(cmdline, &words) == 0);
        for (char **w = words; *w && strcmp(*w, "--") != 0; w++) {
                fuzz_check(boot_entry_word_passes_grub(*w));
                if (strcmp(*w, OSLIFT_ARG_UPGRADE) == 0)
                        ours++;
        }
        /* The upgrade initramfs acts on it alone. */
        fuzz_check(ours >= 1);

        /* The old system's command line comes back out of it
         * (cmdline_old_system(), the layout's inverse): written again
         * with the same extras it gives the same entry. Extras never hold
         * "--" (stage takes rd.oslift words only); with one the layout
         * does not hold. */
        {
                _cleanup_(strv_freep) char **extra_words = NULL;
                _cleanup_free_ char *old = NULL, *again = NULL;
                bool dashes = false;

                fuzz_check(boot_entry_split_words(extra ?: "", &extra_words) == 0);
                for (char **w = extra_words; *w; w++)
                        dashes = dashes || strcmp(*w, "--") == 0;
                r = cmdline_old_system(cmdline, strlen(cmdline), &old);
                fuzz_check(r == 0 || r == -ENOMEM);
                if (r == 0 && !dashes) {
                        r = boot_entry_make_cmdline(old, extra, &again);
                        fuzz_check(r == 0 || r == -ENOMEM);
                        if (r == 0)
                                fuzz_check(strcmp(again, cmdline) == 0);
                }
        }

        r = boot_entry_format_block(&(struct boot_entry_params) {
                                 .kver = "6.1.0-18-amd64",
                                 .kernel = "/vmlinuz-6.1.0-18-amd64",
                                 .initrd = "/oslift-upgrade-6.1.0-18-amd64.img",
                                 .cmdline = cmdline,
                                 .linux_cmd = "linux",
                                 .initrd_cmd = "initrd",
                         },
                         &block);
        fuzz_check(r == 0 || r == -ENOMEM);
        if (r == 0)
                fuzz_check(boot_entry_find_block(block, strlen(block), &begin, &end) == 1 && begin == 0 &&
                           end == strlen(block));
}

static void check_custom(const char *old, size_t size) {
        _cleanup_free_ char *text = NULL;
        struct boot_record rec = {};
        size_t begin, end, n = 0;
        int r, had;

        had = boot_entry_find_block(old, size, &begin, &end);
        fuzz_check(had >= 0 || had == -EBADMSG);
        if (had > 0)
                fuzz_check(begin < end && end <= size);

        r = boot_entry_compose_custom(old, size, BLOCK, &rec, true, &text, &n);
        fuzz_check(r == had || (had > 0 && r == 0));
        if (r < 0)
                return;
        /* Ours, once, where it was or at the end. */
        fuzz_check(boot_entry_find_block(text, n, &begin, &end) == 1);
        fuzz_check(end - begin == strlen(BLOCK) && memcmp(text + begin, BLOCK, end - begin) == 0);
        if (had == 0)
                fuzz_check(end == n && begin == size + rec.newline_added);
        boot_record_done(&rec);
}

static void check_record(const char *text, size_t size) {
        _cleanup_free_ char *copy = strndup(text, size);
        struct boot_record rec = {};
        int r;

        fuzz_check(copy);
        r = boot_record_parse(copy, &rec);
        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r == 0)
                fuzz_check(rec.grub_dir && boot_grub_dir_valid(rec.grub_dir) && rec.next_entry && rec.grubenv &&
                           boot_grubenv_path_valid(rec.grubenv));
        boot_record_done(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        const char *nul = memchr(text, '\0', size);
        _cleanup_free_ char *current = strndup(text, size), *extra = NULL;

        /* Messages are formatted, so their arguments are read, but not
         * printed: libFuzzer runs thousands of inputs a second. */
        log_set_quiet(true);
        fuzz_check(current);
        if (nul) {
                extra = strndup(nul + 1, size - (size_t) (nul + 1 - text));
                fuzz_check(extra);
        }
        check_cmdline(current, extra);
        check_custom(text, size);
        check_record(text, size);
        return 0;
}
