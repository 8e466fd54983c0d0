/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host-prep.h"
#include "log.h"
#include "progress.h"
#include "terminal.h"
#include "time-util.h"

/* Redraws of the bar: often enough to look alive, rarely enough to cost
 * nothing over a slow serial line. */
#define REDRAW_INTERVAL 0.1
/* Before this much time has passed a rate is noise. */
#define RATE_AFTER 0.5

/* The step on screen now, for the log sink below. */
static struct progress *current;

const char *format_bytes(char buf[static BYTES_SIZE], uint64_t n) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
        double v = (double) n;
        size_t u = 0;

        if (n < 1024) {
                snprintf(buf, BYTES_SIZE, "%u B", (unsigned) n);
                return buf;
        }
        v /= 1024;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, BYTES_SIZE, u >= 2 ? "%.2f %s" : "%.1f %s", v, units[u]);
        return buf;
}

/* "12.5/250.0 MiB": done in the unit of the total; padded to the total's
 * width for the bar, which should not jump about. */
static void format_bytes_of(char *buf, size_t size, uint64_t done, uint64_t total, bool pad) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double d = (double) done, t = (double) total;
        size_t u = 0;

        while (t >= 1024 && u + 1 < ELEMENTSOF(units)) {
                d /= 1024;
                t /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%*u/%u B", pad ? snprintf(NULL, 0, "%u", (unsigned) total) : 0,
                         (unsigned) done, (unsigned) total);
        else
                snprintf(buf, size, "%*.1f/%.1f %s", pad ? snprintf(NULL, 0, "%.1f", t) : 0, d, t, units[u]);
}

/* "0:42", "1:05:00"; "--:--" while there is nothing to go by. */
static void format_eta(char buf[static 16], const struct progress *p, double elapsed) {
        double left;
        unsigned s;

        if (p->bytes_done == 0 || elapsed < RATE_AFTER || p->bytes_done > p->bytes) {
                snprintf(buf, 16, "--:--");
                return;
        }
        left = elapsed * (double) (p->bytes - p->bytes_done) / (double) p->bytes_done;
        s = left > 359999 ? 359999 : (unsigned) (left + 0.5);
        if (s >= 3600)
                snprintf(buf, 16, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
        else
                snprintf(buf, 16, "%u:%02u", s / 60, s % 60);
}

/* "55.6 MiB/s", or "-" while there is nothing to go by. */
static void format_rate(char buf[static BYTES_SIZE + 2], uint64_t bytes, double elapsed) {
        char b[BYTES_SIZE];

        if (bytes == 0 || elapsed < RATE_AFTER) {
                snprintf(buf, BYTES_SIZE + 2, "-");
                return;
        }
        snprintf(buf, BYTES_SIZE + 2, "%s/s", format_bytes(b, (uint64_t) ((double) bytes / elapsed)));
}

/* By bytes, or by elements when there are no bytes to count. */
static unsigned percent(const struct progress *p) {
        if (p->bytes > 0)
                return p->bytes_done >= p->bytes ? 100 : (unsigned) (p->bytes_done * 100 / p->bytes);
        return p->items == 0 || p->items_done >= p->items ? 100 : p->items_done * 100 / p->items;
}

void progress_format_bar(char *buf, size_t size, unsigned columns, const struct progress *p, double elapsed) {
        char right[128], of[48], rate[BYTES_SIZE + 2], eta[16];
        unsigned pct = percent(p);
        size_t left_len = strlen(p->verb) + 1, right_len, width = columns > 1 ? columns - 1 : 0;
        int n;

        format_bytes_of(of, sizeof(of), p->bytes_done, p->bytes, true);
        format_rate(rate, p->bytes_done, elapsed);
        format_eta(eta, p, elapsed);
        /* Fixed widths, so that the bar keeps its length as the numbers change. */
        n = snprintf(right, sizeof(right), " %3u%% %*u/%u  %s %10s  ETA %-7s", pct,
                     snprintf(NULL, 0, "%u", p->items), p->items_done, p->items, of, rate, eta);
        right_len = n > 0 ? (size_t) n : 0;

        /* The bar takes what is left; below ten columns it is left out. */
        if (width >= left_len + right_len + 2 + 10) {
                size_t bar = width - left_len - right_len - 2, full = bar * pct / 100, k;

                k = (size_t) snprintf(buf, size, "%s [", p->verb);
                for (size_t i = 0; i < bar && k + 1 < size; i++)
                        buf[k++] = i < full ? '=' : i == full ? '>' : ' ';
                snprintf(buf + (k < size ? k : size - 1), size - (k < size ? k : size - 1), "]%s", right);
        } else
                snprintf(buf, size, "%s%s", p->verb, right);
        if (width < size && strlen(buf) > width)
                buf[width] = '\0';
}

void progress_format_line(char *buf, size_t size, const struct progress *p, double elapsed) {
        char of[48], rate[BYTES_SIZE + 2], eta[16];

        format_bytes_of(of, sizeof(of), p->bytes_done, p->bytes, false);
        format_rate(rate, p->bytes_done, elapsed);
        format_eta(eta, p, elapsed);
        /* For logs: no placeholders while rate and time left are unknown. */
        if (strcmp(rate, "-") == 0)
                snprintf(buf, size, "%s: %u%% (%u/%u packages, %s)", p->verb, percent(p), p->items_done, p->items,
                         of);
        else
                snprintf(buf, size, "%s: %u%% (%u/%u packages, %s), %s, ETA %s", p->verb, percent(p),
                         p->items_done, p->items, of, rate, eta);
}

void progress_format_done(char *buf, size_t size, const struct progress *p, double elapsed) {
        char bytes[BYTES_SIZE], rate[BYTES_SIZE + 2];

        format_rate(rate, p->bytes_done, elapsed);
        snprintf(buf, size, "%s %u package%s (%s) in %.1f s%s%s%s", p->past, p->items_done,
                 p->items_done == 1 ? "" : "s", format_bytes(bytes, p->bytes_done), elapsed,
                 strcmp(rate, "-") != 0 ? " (" : "", strcmp(rate, "-") != 0 ? rate : "",
                 strcmp(rate, "-") != 0 ? ")" : "");
}

/* Writes text over the bar on screen, padded to cover all of it. */
static void draw(struct progress *p, const char *text, bool newline) {
        size_t len = strlen(text);

        fprintf(p->out, "\r%s%*s%s", text, p->drawn_len > len ? (int) (p->drawn_len - len) : 0, "",
                newline ? "\n" : "");
        fflush(p->out);
        p->drawn = !newline;
        p->drawn_len = newline ? 0 : len;
}

static void redraw(struct progress *p, bool force) {
        double t = now_seconds(), elapsed = t - p->started;
        char text[512];

        if (p->mode == PROGRESS_BAR) {
                if (!force && p->drawn && t - p->last_draw < REDRAW_INTERVAL)
                        return;
                progress_format_bar(text, sizeof(text), terminal_columns(fileno(p->out)), p, elapsed);
                draw(p, text, false);
                p->last_draw = t;
        } else if (p->mode == PROGRESS_LINES) {
                unsigned tenths = percent(p) / 10;

                /* The last tenth is the line progress_end() writes. */
                if (tenths <= p->tenths_shown || tenths >= 10)
                        return;
                p->tenths_shown = tenths;
                progress_format_line(text, sizeof(text), p, elapsed);
                fprintf(p->out, "%s\n", text);
                fflush(p->out);
        }
}

/*
 * An error or a warning while the bar is on screen would continue its
 * line: the bar makes way, and comes back with the next element.
 */
static void log_sink(enum log_level level, const char *line, void *userdata) {
        struct progress *p = current;

        if (level > LOG_LEVEL_WARNING || !p || !p->drawn)
                return;
        fprintf(p->out, "\r%*s\r", (int) p->drawn_len, "");
        fflush(p->out);
        p->drawn = false;
        p->drawn_len = 0;
}

struct progress *progress_init_mode(struct progress *p, enum progress_mode mode, FILE *out) {
        static bool sink_added;

        *p = (struct progress) { .mode = mode, .out = out };
        if (mode == PROGRESS_BAR && !sink_added)
                sink_added = log_add_sink(log_sink, NULL) == 0;
        return p;
}

struct progress *progress_init(struct progress *p, const struct context *ctx) {
        enum progress_mode mode = PROGRESS_OFF;

        if (!ctx->json && !ctx->quiet)
                mode = isatty(STDOUT_FILENO) ? PROGRESS_BAR : PROGRESS_LINES;
        return progress_init_mode(p, mode, stdout);
}

void progress_begin(struct progress *p, const char *verb, const char *past, unsigned items, uint64_t bytes) {
        if (!p || p->mode == PROGRESS_OFF || items == 0)
                return;
        *p = (struct progress) {
                .mode = p->mode, .out = p->out, .verb = verb, .past = past, .items = items, .bytes = bytes,
                .active = true, .started = now_seconds(),
        };
        current = p;
        redraw(p, true);
}

void progress_advance(struct progress *p, uint64_t bytes) {
        if (!p || !p->active)
                return;
        p->items_done++;
        p->bytes_done += bytes;
        redraw(p, !p->drawn);
}

void progress_end(struct progress *p) {
        char text[512];

        if (!p || !p->active)
                return;
        progress_format_done(text, sizeof(text), p, now_seconds() - p->started);
        if (p->mode == PROGRESS_BAR)
                draw(p, text, true);
        else {
                fprintf(p->out, "%s\n", text);
                fflush(p->out);
        }
        p->active = false;
        if (current == p)
                current = NULL;
}
