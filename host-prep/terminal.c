/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "number.h"
#include "terminal.h"

bool colour_wanted(int fd) {
        const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");

        if (no_colour && *no_colour)
                return false;
        if (term && strcmp(term, "dumb") == 0)
                return false;
        return isatty(fd);
}

unsigned terminal_columns(int fd) {
        struct winsize ws;
        const char *env;
        unsigned n;

        if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        env = getenv("COLUMNS");
        return env && parse_unsigned_range(env, 1, 9999, &n) ? n : 80;
}
