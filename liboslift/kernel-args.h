/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line of the upgrade boot, the contract between
 * host-prep, which writes it into the one-time GRUB entry
 * (boot_entry_make_cmdline() in host-prep/boot-cmdline.c), and the upgrade
 * initramfs, which reads it (cmdline_parse() in upgrader/cmdline.c, which
 * says what each key does; dracut-module/oslift-upgrade.service and
 * oslift-upgrade.sh look for OSLIFT_ARG_UPGRADE by name, as shell and unit
 * files cannot include this). Every key of ours is spelled here and only
 * here; tests/unit/test-kernel-args.c has the writer's output read back by
 * the parser.
 *
 * Words are split as the kernel splits them: at blanks outside double
 * quotes; a quote opening the word or its value is dropped with its
 * partner (foo="a b" is foo with the value a b). The writer passes every
 * word through GRUB unchanged, so it refuses a word GRUB would escape (a
 * backslash or a single quote) or that has an odd number of double quotes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Every word that is ours: OSLIFT_ARG_NAMESPACE alone, or followed by '.'
 * or '='. The writer drops all of them from the command line it starts
 * from before it adds its own. */
#define OSLIFT_ARG_NAMESPACE "rd.oslift"

/* Whether the word [word, word + len) as written is ours (above). */
bool cmdline_word_is_ours(const char *word, size_t len);

/* Flags, with an optional boolean value (rd.oslift.debug=0). */
#define OSLIFT_ARG_UPGRADE OSLIFT_ARG_NAMESPACE ".upgrade" /* the upgrade boot: act */
#define OSLIFT_ARG_BREAK OSLIFT_ARG_NAMESPACE ".break"     /* never reboot */
#define OSLIFT_ARG_DEBUG OSLIFT_ARG_NAMESPACE ".debug"     /* debug messages on the console */
/* Numbers, key=N. */
#define OSLIFT_ARG_ATTEMPTS OSLIFT_ARG_NAMESPACE ".attempts"     /* upgrade boots before giving up */
#define OSLIFT_ARG_CHECKPOINT OSLIFT_ARG_NAMESPACE ".checkpoint" /* packages between checkpoints */
#define OSLIFT_ARG_WATCHDOG OSLIFT_ARG_NAMESPACE ".watchdog"     /* seconds without progress; 0: off */
/* The values the reader takes for each number (a value outside is
 * ignored, and the upgrader refuses to act); host-prep stage
 * --upgrade-arg checks them before it writes the entry. */
#define OSLIFT_ARG_ATTEMPTS_MIN 1u
#define OSLIFT_ARG_ATTEMPTS_MAX 100u
#define OSLIFT_ARG_CHECKPOINT_MIN 1u
#define OSLIFT_ARG_CHECKPOINT_MAX 100000u
#define OSLIFT_ARG_WATCHDOG_MIN 0u
#define OSLIFT_ARG_WATCHDOG_MAX 86400u

/* dracut's own, which the writer adds after OSLIFT_ARG_UPGRADE. Nobody
 * watches the console of an unattended upgrade boot: when dracut cannot go
 * on (the root device does not appear within 5 minutes, a unit fails) it
 * reboots, into the old system as GRUB has used up the one-time entry,
 * instead of waiting forever or in an emergency shell. */
#define OSLIFT_ARGS_UNATTENDED { "rd.shell=0", "rd.emergency=reboot", "rd.timeout=300" }

/*
 * The layout of the upgrade boot's command line, as boot_entry_make_cmdline()
 * writes it (one blank between words):
 *
 *   OLD... OSLIFT_ARG_UPGRADE UNATTENDED... EXTRA... [-- INIT...]
 *
 * OLD: the running command line's words before its first "--", without
 * BOOT_IMAGE= (GRUB puts it back first) and without every word of ours;
 * UNATTENDED: OSLIFT_ARGS_UNATTENDED; EXTRA: the --upgrade-arg words (all
 * rd.oslift.*, never "--"); "--" and INIT: the running command line's
 * words from its first "--" on, as they were. cmdline_old_system() is its
 * inverse.
 */

/*
 * The old system's own command line, from the upgrade boot's [s, s + len)
 * (or up to a NUL before it): the words before the first word that is
 * exactly OSLIFT_ARG_UPGRADE, then the first "--" after it and every word
 * after that, as written (quotes kept), one blank between them, no
 * newline. What GRUB put before OLD (BOOT_IMAGE=) stays, as it does on
 * the old system's own boots. 0 with the text in *ret (to free);
 * -ENOENT when there is no OSLIFT_ARG_UPGRADE word before the first "--"
 * (not the layout above); -ENOMEM. The upgrader shows it to the new release's
 * scriptlets as /proc/cmdline, which kernel-install copies into the new
 * kernel's boot entry.
 */
int cmdline_old_system(const char *s, size_t len, char **ret);

/*
 * The next word of the command line in [*pos, end) (or up to a NUL before
 * end) as the kernel's next_arg() delimits it: at white space (the
 * kernel's isspace(): space, \t, \n, \v, \f, \r) outside double quotes.
 * 1 with the word as written (its quotes included) in *ret_word and
 * *ret_len, *pos moved past it; 0 at the end. Both programs split here:
 * host-prep when it copies the running command line into the entry,
 * the upgrader (cmdline_next_word()) when it reads it.
 */
int cmdline_next_raw_word(const char **pos, const char *end, const char **ret_word, size_t *ret_len);

/*
 * One word of the command line, split as the kernel's next_arg() does:
 * a word ends at white space outside double quotes; the key ends at the
 * first '='; a quote that opens the word or the value is dropped, and so is
 * the quote that closes it ("a=b c" and a="b c" both give a, "b c").
 */
struct cmdline_word {
        const char *key;
        size_t key_len;
        const char *value; /* NULL when there is no '=' */
        size_t value_len;
};

/*
 * Reads the next word from *pos (up to end, or a NUL before it) and moves
 * *pos past it. Returns 1 with a word, 0 at the end: at end, a NUL, or the
 * word "--", after which the kernel hands the rest to init as arguments.
 */
int cmdline_next_word(const char **pos, const char *end, struct cmdline_word *ret);
