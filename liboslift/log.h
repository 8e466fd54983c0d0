/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for both programs. Errors and warnings go to stderr with the
 * program's name, information to stdout as plain lines. Every message also
 * goes to the log file when one is set (the upgrader's upgrade.log), with a
 * monotonic timestamp; the upgrader adds the console and /dev/kmsg at boot.
 */
#pragma once

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

/* Also append every message to f (not closed by log). NULL stops it. */
void log_set_file(FILE *f);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Logs at error level with strerror(-r) appended and returns r. */
int log_error_errno(int r, const char *fmt, ...) _printf_(2, 3);
