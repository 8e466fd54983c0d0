/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Splitting the kernel command line, for both programs; see kernel-args.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-args.h"

/* The kernel's isspace() for the ASCII range. */
static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool cmdline_word_is_ours(const char *word, size_t len) {
        size_t n = strlen(OSLIFT_ARG_NAMESPACE);

        return len >= n && memcmp(word, OSLIFT_ARG_NAMESPACE, n) == 0 &&
               (len == n || word[n] == '.' || word[n] == '=');
}

int cmdline_next_raw_word(const char **pos, const char *end, const char **ret_word, size_t *ret_len) {
        const char *p = *pos, *word;
        bool in_quote = false;

        while (p < end && *p != '\0' && is_space(*p))
                p++;
        if (p >= end || *p == '\0') {
                *pos = p;
                return 0;
        }
        for (word = p; p < end && *p != '\0' && (in_quote || !is_space(*p)); p++)
                if (*p == '"')
                        in_quote = !in_quote;
        *pos = p;
        *ret_word = word;
        *ret_len = (size_t) (p - word);
        return 1;
}

int cmdline_next_word(const char **pos, const char *end, struct cmdline_word *ret) {
        const char *word, *eq;
        size_t i, equals, stop, value_start;
        bool quoted;

        if (cmdline_next_raw_word(pos, end, &word, &i) == 0)
                return 0;
        /* An opening quote is dropped (with its partner, below). */
        quoted = word[0] == '"';
        if (quoted) {
                word++;
                i--;
        }
        /* As next_arg(): a leading '=' is part of the key. */
        eq = i > 1 ? memchr(word + 1, '=', i - 1) : NULL;
        equals = eq ? (size_t) (eq - word) : 0;

        /* next_arg() drops a closing quote when the word or the value
         * opened with one; both rules can only drop word[i - 1]. */
        stop = i;
        if (quoted && i > 0 && word[i - 1] == '"')
                stop = i - 1;
        if (equals == 0) {
                *ret = (struct cmdline_word) { .key = word, .key_len = stop };
        } else {
                value_start = equals + 1;
                if (value_start < i && word[value_start] == '"') {
                        value_start++;
                        if (word[i - 1] == '"' && i - 1 >= value_start)
                                stop = i - 1;
                }
                *ret = (struct cmdline_word) {
                        .key = word,
                        .key_len = equals,
                        .value = word + value_start,
                        .value_len = stop > value_start ? stop - value_start : 0,
                };
        }
        /* parse_args() stops at "--": the rest is init's. */
        if (!ret->value && ret->key_len == 2 && memcmp(ret->key, "--", 2) == 0) {
                *pos = end;
                return 0;
        }
        return 1;
}

static bool raw_word_is(const char *word, size_t len, const char *s) {
        return len == strlen(s) && memcmp(word, s, len) == 0;
}

int cmdline_old_system(const char *s, size_t len, char **ret) {
        const char *end = s + len, *pos = s, *word;
        bool seen_upgrade = false, in_tail = false;
        char *text = NULL;
        size_t size = 0, n;
        FILE *out;

        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        while (cmdline_next_raw_word(&pos, end, &word, &n) > 0) {
                if (!seen_upgrade && raw_word_is(word, n, OSLIFT_ARG_UPGRADE)) {
                        seen_upgrade = true;
                        continue;
                }
                if (!in_tail && raw_word_is(word, n, "--")) {
                        if (!seen_upgrade)
                                break; /* ours would be init's: not the layout */
                        in_tail = true;
                }
                if (!seen_upgrade || in_tail)
                        fprintf(out, "%s%.*s", ftell(out) > 0 ? " " : "", (int) n, word);
        }
        if (fclose(out) != 0) {
                free(text);
                return -ENOMEM;
        }
        if (!seen_upgrade) {
                free(text);
                return -ENOENT;
        }
        *ret = text;
        return 0;
}
