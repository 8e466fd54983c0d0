/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What host-prep may do to a terminal: colour, and how wide it is. */
#pragma once

#include <stdbool.h>

/*
 * Whether what goes to fd may be coloured: fd is a terminal, TERM is not
 * "dumb", and NO_COLOR is unset or empty (https://no-color.org).
 */
bool colour_wanted(int fd);

/* The terminal's width on fd; COLUMNS, or 80, when it cannot tell. */
unsigned terminal_columns(int fd);

#define ANSI_RED "\033[1;31m"
#define ANSI_YELLOW "\033[1;33m"
#define ANSI_GREEN "\033[1;32m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

/* code when on, "" otherwise: printf("%sBLOCKER%s", ansi(c, ANSI_RED), ansi(c, ANSI_RESET)). */
static inline const char *ansi(bool on, const char *code) {
        return on ? code : "";
}
