/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line, both ends (liboslift/kernel-args.h): what
 * host-prep writes into the upgrade entry (boot_entry_make_cmdline()) is
 * read back by the upgrader's parser (cmdline_parse(), cmdline_next_word())
 * with the upgrade flag set, none of the old system's rd.oslift.* words
 * left, and everything else, quoted values included, as the old command
 * line had it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-entry.h"
#include "cmdline.h"
#include "kernel-args.h"
#include "macro.h"

/* The words the upgrader sees in s, "key" or "key=[value]", joined by '|'. */
static void words(const char *s, char *out, size_t size) {
        const char *pos = s, *end = s + strlen(s);
        struct cmdline_word w;
        size_t o = 0;

        out[0] = '\0';
        while (cmdline_next_word(&pos, end, &w) > 0) {
                o += (size_t) snprintf(out + o, size - o, "%s%.*s", o ? "|" : "", (int) w.key_len, w.key);
                if (w.value)
                        o += (size_t) snprintf(out + o, size - o, "=[%.*s]", (int) w.value_len, w.value);
                assert_true(o < size);
        }
}

static void parse(const char *s, struct boot_cmdline *c) {
        cmdline_parse(s, strlen(s), c);
}

/* The old command line's root, read by the upgrader before and after. */
static void assert_same_root(const struct boot_cmdline *a, const struct boot_cmdline *b) {
        assert_int_equal(a->root_kind, b->root_kind);
        assert_string_equal(a->root, b->root);
        assert_string_equal(a->rootfstype, b->rootfstype);
        assert_string_equal(a->rootflags, b->rootflags);
        assert_int_equal(a->read_only, b->read_only);
}

static void test_round_trip(void **state) {
        static const struct {
                const char *current, *extra;
                /* The upgrader's words of what host-prep wrote. */
                const char *want;
        } cases[] = {
                { "BOOT_IMAGE=(hd0,msdos1)/vmlinuz-4.18.0 root=UUID=0f5b1c7e ro crashkernel=auto quiet\n", NULL,
                  "root=[UUID=0f5b1c7e]|ro|crashkernel=[auto]|quiet|rd.oslift.upgrade|rd.shell=[0]|"
                  "rd.emergency=[reboot]|rd.timeout=[300]" },
                /* Quoted values keep their blanks; the quotes go as the kernel drops them. */
                { "root=LABEL=\"my root\" rootflags=\"subvol=@,compress=zstd\" rootfstype=btrfs rw",
                  "console=ttyS0,115200 \"x=a b\"",
                  "root=[LABEL=\"my root\"]|rootflags=[subvol=@,compress=zstd]|rootfstype=[btrfs]|rw|"
                  "rd.oslift.upgrade|rd.shell=[0]|rd.emergency=[reboot]|rd.timeout=[300]|"
                  "console=[ttyS0,115200]|x=[a b]" },
                /* The old system's words of ours go, every one of them. */
                { "rd.oslift.break rd.oslift.debug=1 rd.oslift.attempts=9 rd.oslift.checkpoint=5 "
                  "rd.oslift.watchdog=0 rd.oslift rd.oslift=1 rd.osliftx=1 root=/dev/vda1",
                  NULL,
                  "rd.osliftx=[1]|root=[/dev/vda1]|rd.oslift.upgrade|rd.shell=[0]|rd.emergency=[reboot]|"
                  "rd.timeout=[300]" },
                /* init's arguments stay after "--", where the upgrader does not look. */
                { "root=/dev/sda2 -- single rd.oslift.break", "console=tty0",
                  "root=[/dev/sda2]|rd.oslift.upgrade|rd.shell=[0]|rd.emergency=[reboot]|rd.timeout=[300]|"
                  "console=[tty0]" },
                { "", NULL, "rd.oslift.upgrade|rd.shell=[0]|rd.emergency=[reboot]|rd.timeout=[300]" },
                /* \v, \f and \r are blanks to the kernel, so to both ends: the
                 * old system's rd.oslift.break goes, the words stay apart. */
                { "root=/dev/vda1\vro\frd.oslift.break\rquiet", NULL,
                  "root=[/dev/vda1]|ro|quiet|rd.oslift.upgrade|rd.shell=[0]|rd.emergency=[reboot]|rd.timeout=[300]" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *written = NULL;
                struct boot_cmdline before, after;
                char got[1024];

                assert_int_equal(boot_entry_make_cmdline(cases[i].current, cases[i].extra, &written), 0);
                words(written, got, sizeof(got));
                assert_string_equal(got, cases[i].want);

                parse(cases[i].current, &before);
                parse(written, &after);
                assert_true(after.upgrade);
                assert_false(after.stop);
                assert_false(after.debug);
                assert_int_equal(after.max_attempts, 0);
                assert_int_equal(after.checkpoint_every, 0);
                assert_int_equal(after.watchdog_seconds, CMDLINE_WATCHDOG_DEFAULT);
                assert_int_equal(after.n_problems, 0);
                assert_same_root(&before, &after);
        }
}

/* cmdline_old_system() undoes boot_entry_make_cmdline(): from the upgrade
 * boot's command line (GRUB's BOOT_IMAGE= first, the kernel's newline
 * last) it gives the old system's own words, init's "--" tail included,
 * and none of ours. */
static void test_old_system(void **state) {
        static const struct {
                const char *current, *extra;
                /* The old system's command line as the upgrade boot gives it back. */
                const char *want;
        } cases[] = {
                { "BOOT_IMAGE=(hd0,msdos1)/vmlinuz-4.18.0 root=UUID=0f5b1c7e ro crashkernel=auto quiet\n", NULL,
                  "root=UUID=0f5b1c7e ro crashkernel=auto quiet" },
                /* Quotes stay as written, blanks inside them too. */
                { "root=LABEL=\"my root\" rootflags=\"subvol=@,compress=zstd\" rootfstype=btrfs rw",
                  "console=ttyS0,115200 \"x=a b\"",
                  "root=LABEL=\"my root\" rootflags=\"subvol=@,compress=zstd\" rootfstype=btrfs rw" },
                /* The old system's words of ours were dropped by the writer. */
                { "rd.oslift.break rd.oslift.debug=1 rd.oslift.attempts=9 rd.oslift.checkpoint=5 "
                  "rd.oslift.watchdog=0 rd.oslift rd.oslift=1 rd.osliftx=1 root=/dev/vda1",
                  NULL, "rd.osliftx=1 root=/dev/vda1" },
                /* The old system's own dracut words are its own: they stay. */
                { "root=/dev/vda1 rd.shell=0 rd.timeout=30 ro", "rd.oslift.attempts=3 rd.oslift.debug",
                  "root=/dev/vda1 rd.shell=0 rd.timeout=30 ro" },
                /* init's arguments after "--", ours among them, come back. */
                { "root=/dev/sda2 -- single rd.oslift.break", "rd.oslift.break rd.oslift.watchdog=60",
                  "root=/dev/sda2 -- single rd.oslift.break" },
                { "root=/dev/sda2 quiet --", NULL, "root=/dev/sda2 quiet --" },
                { "", NULL, "" },
                { "root=/dev/vda1\vro\frd.oslift.break\rquiet  \t console=ttyS0", "rd.oslift.debug=1",
                  "root=/dev/vda1 ro quiet console=ttyS0" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *written = NULL, *booted = NULL, *old = NULL, *old_booted = NULL,
                                    *want_booted = NULL;

                assert_int_equal(boot_entry_make_cmdline(cases[i].current, cases[i].extra, &written), 0);
                assert_int_equal(cmdline_old_system(written, strlen(written), &old), 0);
                assert_string_equal(old, cases[i].want);

                /* As the kernel shows it in the upgrade boot. */
                assert_true(asprintf(&booted, "BOOT_IMAGE=(hd0,gpt2)/vmlinuz-7 %s\n", written) > 0);
                assert_int_equal(cmdline_old_system(booted, strlen(booted), &old_booted), 0);
                assert_true(asprintf(&want_booted, "BOOT_IMAGE=(hd0,gpt2)/vmlinuz-7%s%s", *cases[i].want ? " " : "",
                                     cases[i].want) > 0);
                assert_string_equal(old_booted, want_booted);
                assert_null(strstr(old_booted, OSLIFT_ARG_UPGRADE));
                assert_null(strstr(old_booted, "rd.emergency=reboot"));
        }
}

/* Not the upgrade boot's layout: nothing to give back. */
static void test_old_system_refused(void **state) {
        static const char *const lines[] = {
                "", "root=/dev/vda1 ro\n", "root=/dev/vda1 rd.oslift.upgrade=1", "\"rd.oslift.upgrade\"",
                /* After "--" it is init's, not the kernel's. */
                "root=/dev/vda1 -- rd.oslift.upgrade",
        };
        /* A NUL before the end ends the line, as for the reader. */
        static const char nul[] = "ro rd.oslift.upgrade\0-- single";
        char *old = NULL;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                assert_int_equal(cmdline_old_system(lines[i], strlen(lines[i]), &old), -ENOENT);
        assert_int_equal(cmdline_old_system(nul, sizeof(nul) - 1, &old), 0);
        assert_string_equal(old, "ro");
        free(old);
}

/* Each key of kernel-args.h is one the parser acts on, and one the writer
 * takes off the command line it starts from. */
static void test_every_key(void **state) {
        static const char *const given = OSLIFT_ARG_UPGRADE " " OSLIFT_ARG_BREAK " " OSLIFT_ARG_DEBUG
                                         " " OSLIFT_ARG_ATTEMPTS "=7 " OSLIFT_ARG_CHECKPOINT
                                         "=11 " OSLIFT_ARG_WATCHDOG "=60";
        _cleanup_free_ char *written = NULL;
        struct boot_cmdline c;

        parse(given, &c);
        assert_true(c.upgrade);
        assert_true(c.stop);
        assert_true(c.debug);
        assert_int_equal(c.max_attempts, 7);
        assert_int_equal(c.checkpoint_every, 11);
        assert_int_equal(c.watchdog_seconds, 60);
        assert_int_equal(c.n_problems, 0);

        assert_int_equal(boot_entry_make_cmdline(given, NULL, &written), 0);
        assert_string_equal(written, OSLIFT_ARG_UPGRADE " rd.shell=0 rd.emergency=reboot rd.timeout=300");
}

/* What the writer refuses would not reach the parser as it was given. */
static void test_refused(void **state) {
        static const char *const bad[] = {
                "root=LABEL=\"my root",  /* the open quote would swallow rd.oslift.upgrade */
                "init=/bin/sh\\ x",       /* GRUB would escape the backslash */
                "x='y'",                  /* and the single quotes */
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *written = NULL;

                assert_int_equal(boot_entry_make_cmdline(bad[i], NULL, &written), -EINVAL);
                assert_null(written);
                assert_int_equal(boot_entry_make_cmdline("ro", bad[i], &written), -EINVAL);
                assert_null(written);
        }
}

/* stage --upgrade-arg takes a word exactly when the parser reads it
 * without a problem, as the extra words of the entry's command line. */
static void test_upgrade_args(void **state) {
        static const struct {
                const char *word;
                bool valid;
        } cases[] = {
                { OSLIFT_ARG_BREAK, true },
                { OSLIFT_ARG_DEBUG, true },
                { OSLIFT_ARG_ATTEMPTS "=1", true },
                { OSLIFT_ARG_ATTEMPTS "=100", true },
                { OSLIFT_ARG_ATTEMPTS "=0", false },
                { OSLIFT_ARG_ATTEMPTS "=101", false },
                { OSLIFT_ARG_CHECKPOINT "=1", true },
                { OSLIFT_ARG_CHECKPOINT "=100000", true },
                { OSLIFT_ARG_CHECKPOINT "=0", false },
                { OSLIFT_ARG_CHECKPOINT "=100001", false },
                { OSLIFT_ARG_WATCHDOG "=0", true },
                { OSLIFT_ARG_WATCHDOG "=30", true },
                { OSLIFT_ARG_WATCHDOG "=86400", true },
                { OSLIFT_ARG_WATCHDOG "=86401", false },
                { OSLIFT_ARG_WATCHDOG "=", false },
                { OSLIFT_ARG_WATCHDOG "=3x", false },
                { OSLIFT_ARG_WATCHDOG "=-1", false },
        };
        static const char *const not_ours[] = {
                OSLIFT_ARG_UPGRADE, OSLIFT_ARG_NAMESPACE, OSLIFT_ARG_WATCHDOG, OSLIFT_ARG_BREAK "=1",
                "rd.oslift.watchdogs=30",
                "rd.shell=1", "quiet", "",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *written = NULL;
                struct boot_cmdline c;

                assert_int_equal(boot_entry_upgrade_arg_valid(cases[i].word), cases[i].valid);
                assert_int_equal(boot_entry_make_cmdline("ro", cases[i].word, &written), 0);
                parse(written, &c);
                assert_true(c.upgrade);
                if (cases[i].valid != (c.n_problems == 0))
                        fail_msg("%s: valid %d, parser's problems %u", cases[i].word, cases[i].valid,
                                 c.n_problems);
        }
        for (size_t i = 0; i < ELEMENTSOF(not_ours); i++)
                if (boot_entry_upgrade_arg_valid(not_ours[i]))
                        fail_msg("'%s' taken as an upgrade argument", not_ours[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_upgrade_args),
                cmocka_unit_test(test_old_system),
                cmocka_unit_test(test_old_system_refused),
        };
        return cmocka_run_group_tests_name("kernel-args", tests, NULL, NULL);
}
