/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How far stage's long steps are (verifying and copying the packages):
 * on a terminal one line redrawn in place, with a bar, the bytes done,
 * the rate and the time left; otherwise, for logs and pipes, a plain line
 * at every tenth. Both end with one line saying what was done. Nothing
 * with --json (stdout is the JSON document) or --quiet.
 *
 * Every function takes NULL (or a progress that is off) and does nothing,
 * so callers need not ask.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct context;

enum progress_mode {
        PROGRESS_OFF,
        PROGRESS_LINES, /* stdout is not a terminal */
        PROGRESS_BAR,   /* stdout is a terminal */
};

struct progress {
        enum progress_mode mode;
        FILE *out;
        const char *verb, *past; /* "verifying", "verified" */
        unsigned items, items_done;
        uint64_t bytes, bytes_done;
        unsigned tenths_shown; /* lines: the 10% steps reported */
        bool active;           /* between begin and end */
        bool drawn;            /* bar: on screen, without its newline */
        size_t drawn_len;
        double started, last_draw; /* monotonic seconds */
};

/* Sets p up for ctx (the mode from --json, --quiet and stdout) and returns it. */
struct progress *progress_init(struct progress *p, const struct context *ctx);
/* The same with the mode given, writing to out. */
struct progress *progress_init_mode(struct progress *p, enum progress_mode mode, FILE *out);

/* A step of items elements holding bytes in all: "verifying" and, once
 * done, "verified". The strings must outlive the step. */
void progress_begin(struct progress *p, const char *verb, const char *past, unsigned items, uint64_t bytes);
/* One more element done, of this many bytes. */
void progress_advance(struct progress *p, uint64_t bytes);
/* The step is over: the line saying what was done. */
void progress_end(struct progress *p);

/* The texts, from given numbers, for tests; elapsed in seconds. Each
 * fits size (truncated), and the bar columns - 1 characters. */
void progress_format_bar(char *buf, size_t size, unsigned columns, const struct progress *p, double elapsed);
void progress_format_line(char *buf, size_t size, const struct progress *p, double elapsed);
void progress_format_done(char *buf, size_t size, const struct progress *p, double elapsed);

/* "512 B", "1.5 KiB", "250.0 MiB", "1.25 GiB". */
#define BYTES_SIZE 24
const char *format_bytes(char buf[static BYTES_SIZE], uint64_t n);
