/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "utf8.h"

static const char *program = "oslift";
static enum log_level max_level = LOG_LEVEL_INFO;
static FILE *log_file;
static bool info_to_stderr, colour, quiet;
static struct {
        log_sink_fn fn;
        void *userdata;
} sinks[LOG_SINKS_MAX];
static size_t n_sinks;

static const char *const level_prefix[] = {
        [LOG_LEVEL_ERROR] = "error: ",
        [LOG_LEVEL_WARNING] = "warning: ",
        [LOG_LEVEL_INFO] = "",
        [LOG_LEVEL_DEBUG] = "debug: ",
};

/* Bold red and bold yellow, as systemd's tools have them. */
static const char *const level_prefix_colour[] = {
        [LOG_LEVEL_ERROR] = "\033[1;31merror:\033[0m ",
        [LOG_LEVEL_WARNING] = "\033[1;33mwarning:\033[0m ",
        [LOG_LEVEL_INFO] = "",
        [LOG_LEVEL_DEBUG] = "debug: ",
};

void log_set_program(const char *name) {
        program = name;
}

void log_set_max_level(enum log_level level) {
        max_level = level;
}

void log_set_quiet(bool b) {
        quiet = b;
}

void log_set_info_to_stderr(bool b) {
        info_to_stderr = b;
}

void log_set_colour(bool b) {
        colour = b;
}

void log_set_file(FILE *f) {
        log_file = f;
}

char console_printable(char c) {
        return ascii_is_control((unsigned char) c) ? '?' : c;
}

int log_add_sink(log_sink_fn fn, void *userdata) {
        if (n_sinks >= ELEMENTSOF(sinks))
                return -ENOSPC;
        sinks[n_sinks].fn = fn;
        sinks[n_sinks].userdata = userdata;
        n_sinks++;
        return 0;
}

/*
 * Messages name outside input (package file names, paths in a root, rpm's
 * words about them), and a name can hold bytes a terminal obeys: ESC[2J
 * clears the operator's screen, a carriage return hides what came before.
 * Every control byte but tab and newline, DEL and the C1 controls as UTF-8
 * spells them (U+0080..U+009F: 0x9b is CSI to some terminals) become \xNN,
 * so the name stays readable and nothing reaches a terminal, the log file
 * or a sink that acts. Everything else, invalid UTF-8 included, is left for
 * the reader (the JSON writer and the console sink have their own rules).
 */
static void escape_controls(const char *in, char *out, size_t size) {
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *) in; *p && n + 9 < size; p++) {
                if (ascii_is_control(*p) && *p != '\t' && *p != '\n')
                        n += (size_t) snprintf(out + n, size - n, "\\x%02x", *p);
                else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        n += (size_t) snprintf(out + n, size - n, "\\xc2\\x%02x", p[1]);
                        p++;
                } else
                        out[n++] = (char) *p;
        }
        out[n] = '\0';
}

static void log_va(enum log_level level, const char *suffix, const char *fmt, va_list ap) {
        char raw[4096], text[2 * sizeof(raw)];

        vsnprintf(raw, sizeof(raw), fmt, ap);
        escape_controls(raw, text, sizeof(text));
        if (log_file) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                fprintf(log_file, "[%6lld.%03ld] %s%s%s\n", (long long) ts.tv_sec,
                        ts.tv_nsec / 1000000, level_prefix[level], text, suffix ?: "");
                fflush(log_file);
        }
        if (n_sinks > 0) {
                char line[sizeof(text) + 160];

                snprintf(line, sizeof(line), "%s%s%s", level_prefix[level], text, suffix ?: "");
                for (size_t i = 0; i < n_sinks; i++)
                        sinks[i].fn(level, line, sinks[i].userdata);
        }
        if (level > max_level || quiet)
                return;
        if (level == LOG_LEVEL_INFO) {
                FILE *out = info_to_stderr ? stderr : stdout;

                fprintf(out, "%s%s\n", text, suffix ?: "");
                fflush(out);
        } else
                fprintf(stderr, "%s: %s%s%s\n", program, (colour ? level_prefix_colour : level_prefix)[level], text,
                        suffix ?: "");
}

void log_msg(enum log_level level, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_va(level, NULL, fmt, ap);
        va_end(ap);
}

int log_error_errno(int r, const char *fmt, ...) {
        char suffix[128];
        va_list ap;

        snprintf(suffix, sizeof(suffix), ": %s", strerror(r < 0 ? -r : r));
        va_start(ap, fmt);
        log_va(LOG_LEVEL_ERROR, suffix, fmt, ap);
        va_end(ap);
        return r;
}
