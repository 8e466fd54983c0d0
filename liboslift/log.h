/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for both programs. Errors and warnings go to stderr with the
 * program's name, information to stdout as plain lines. Every message also
 * goes to the log file when one is set (the upgrader's upgrade.log), with a
 * monotonic timestamp; the upgrader adds the console and /dev/kmsg at boot.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

/* The name printed before errors and warnings ("host-prep: error: ..."). */
void log_set_program(const char *name);
void log_set_max_level(enum log_level level);

/* Nothing on stdout or stderr, errors included; the log file and the sinks
 * still get every message, formatted as ever. For the fuzz harnesses,
 * which run thousands of hostile inputs a second. */
void log_set_quiet(bool b);

/* Information on stderr instead of stdout, when stdout carries output for
 * programs (host-prep --json). */
void log_set_info_to_stderr(bool b);

/* "error:" and "warning:" in colour on stderr; the caller decides when
 * (a terminal, NO_COLOR unset). Never in the log file or the sinks. */
void log_set_colour(bool b);

/* Also append every message to f (not closed by log). NULL stops it. */
void log_set_file(FILE *f);

/*
 * Also hands every message, at every level, to fn: the upgrader's console,
 * /dev/kmsg and in-memory ring at boot (console.h). line is the message as
 * the log file has it, without timestamp and newline ("warning: ...").
 * fn must not log. Up to LOG_SINKS_MAX; -ENOSPC beyond.
 */
#define LOG_SINKS_MAX 4
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *userdata);
int log_add_sink(log_sink_fn fn, void *userdata);

/* c, or '?' for a control character (escape sequences included), which
 * would reach the terminal: for any text that names outside input (the
 * upgrader's console sink, host-prep's findings). */
char console_printable(char c);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Logs at error level with strerror(-r) appended and returns r. */
int log_error_errno(int r, const char *fmt, ...) _printf_(2, 3);
