/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a program (dracut, grub2-mkconfig, lvm) with its output in the log. */
#pragma once

#include "log.h"

/* Runs argv[0] with stdout and stderr into the log (debug level); stdin
 * is /dev/null. 0 if it exits 0; -EIO otherwise, with its last lines
 * logged as errors; a negative errno when it cannot be started. */
int run_logged(char *const argv[]);
/* The same with argv[0] a program of root, run chrooted into it (root "/":
 * run_logged()). */
int run_logged_in(const char *root, char *const argv[]);
/* The same with argv[0]'s output logged at level (LOG_LEVEL_INFO: on the
 * upgrader's console too), run in root ("/": no chroot). */
int run_logged_at(enum log_level level, const char *root, char *const argv[]);
