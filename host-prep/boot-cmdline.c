/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade boot's kernel command line: the running one's words, ours
 * added (boot_entry_make_cmdline() of boot-entry.h, the word helpers of
 * boot-entry-internal.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "kernel-args.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "utf8.h"

int boot_entry_split_words(const char *s, char ***ret) {
        _cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));
        const char *end = s + strlen(s), *word;
        size_t n = 0, len;

        if (!v)
                return -ENOMEM;
        /* Every word, those after "--" (init's) too: they stay on the line. */
        while (cmdline_next_raw_word(&s, end, &word, &len) > 0) {
                char **grown = reallocarray(v, n + 2, sizeof(char *));

                if (!grown)
                        return -ENOMEM;
                v = grown;
                v[n] = strndup(word, len);
                if (!v[n])
                        return -ENOMEM;
                v[++n] = NULL;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static bool word_is_ours_or_grubs(const char *w) {
        return strncmp(w, "BOOT_IMAGE=", 11) == 0 || cmdline_word_is_ours(w, strlen(w));
}

bool boot_entry_word_passes_grub(const char *w) {
        for (const unsigned char *c = (const unsigned char *) w; *c; c++)
                if (*c == '\\' || *c == '\'' || ascii_is_control(*c))
                        return false;
        return true;
}

/* An odd number of double quotes leaves the last one open to the end of
 * the line (boot_entry_split_words() and the kernel read it so): every word put
 * after it, OSLIFT_ARG_UPGRADE too, would become part of it. */
static bool word_quotes_balanced(const char *w) {
        size_t n = 0;

        for (; *w; w++)
                n += *w == '"';
        return n % 2 == 0;
}

static int put_word(FILE *out, const char *w, bool *first) {
        if (!boot_entry_word_passes_grub(w)) {
                log_error("the kernel argument '%s' cannot be passed on through GRUB unchanged "
                          "(it holds a backslash, a quote or a control character)", w);
                return -EINVAL;
        }
        if (!word_quotes_balanced(w)) {
                log_error("the kernel argument '%s' has an unterminated double quote: the arguments "
                          "after it would become part of it", w);
                return -EINVAL;
        }
        fprintf(out, "%s%s", *first ? "" : " ", w);
        *first = false;
        return 0;
}

/* Words after "--" are init's, not the kernel's: ours go before it. */
static int compose_cmdline(FILE *out, char **current, char **extra) {
        static const char *const unattended[] = OSLIFT_ARGS_UNATTENDED;
        bool first = true;
        char **w;
        int r;

        for (w = current; *w && strcmp(*w, "--") != 0; w++)
                if (!word_is_ours_or_grubs(*w) && (r = put_word(out, *w, &first)) < 0)
                        return r;
        r = put_word(out, OSLIFT_ARG_UPGRADE, &first);
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(unattended); i++)
                r = put_word(out, unattended[i], &first);
        for (char **e = extra; r == 0 && *e; e++)
                r = put_word(out, *e, &first);
        for (; r == 0 && *w; w++)
                r = put_word(out, *w, &first);
        return r;
}

int boot_entry_make_cmdline(const char *current, const char *extra, char **ret) {
        _cleanup_(strv_freep) char **current_words = NULL, **extra_words = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;
        int r;

        r = boot_entry_split_words(current, &current_words);
        if (r == 0)
                r = boot_entry_split_words(extra ?: "", &extra_words);
        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        r = compose_cmdline(out, current_words, extra_words);
        if (fclose(out) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

/* Digits only, at most six of them, in [min, max]. */
static bool number_in(const char *s, unsigned min, unsigned max) {
        unsigned long v = 0;
        size_t n = 0;

        for (; *s; s++, n++) {
                if (*s < '0' || *s > '9' || n >= 6)
                        return false;
                v = v * 10 + (unsigned long) (*s - '0');
        }
        return n > 0 && v >= min && v <= max;
}

bool boot_entry_upgrade_arg_valid(const char *word) {
        static const struct {
                const char *key;
                unsigned min, max;
        } numbers[] = {
                { OSLIFT_ARG_ATTEMPTS, OSLIFT_ARG_ATTEMPTS_MIN, OSLIFT_ARG_ATTEMPTS_MAX },
                { OSLIFT_ARG_CHECKPOINT, OSLIFT_ARG_CHECKPOINT_MIN, OSLIFT_ARG_CHECKPOINT_MAX },
                { OSLIFT_ARG_WATCHDOG, OSLIFT_ARG_WATCHDOG_MIN, OSLIFT_ARG_WATCHDOG_MAX },
        };
        const char *eq = strchr(word, '=');

        if (!eq)
                return strcmp(word, OSLIFT_ARG_BREAK) == 0 || strcmp(word, OSLIFT_ARG_DEBUG) == 0;
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (strlen(numbers[i].key) == (size_t) (eq - word) &&
                    strncmp(word, numbers[i].key, (size_t) (eq - word)) == 0)
                        return number_in(eq + 1, numbers[i].min, numbers[i].max);
        return false;
}
