/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The message a parser hands back for input it refuses, one spelling for
 * every parser: "WHERE: WHAT", or WHAT alone for the input as a whole. */
#pragma once

#include <stdarg.h>

#include "macro.h"

/* Formats the message into *ret_error (a new string the caller frees;
 * NULL when it could not be made): "where: " before it unless where is
 * NULL. Returns -EBADMSG, or -ENOMEM when the message could not be made. */
int parse_error_va(char **ret_error, const char *where, const char *fmt, va_list ap) _printf_(3, 0);
/* The same with "line N" for where; line 0 is the input as a whole. */
int parse_error_line_va(char **ret_error, unsigned long line, const char *fmt, va_list ap) _printf_(3, 0);
int parse_error_line(char **ret_error, unsigned long line, const char *fmt, ...) _printf_(3, 4);
