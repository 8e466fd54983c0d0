/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a program of the system (dracut) with its output in the log. */
#pragma once

/* Runs argv[0] with stdout and stderr into the log (debug level); stdin
 * is /dev/null. 0 if it exits 0; -EIO otherwise, with its last lines
 * logged as errors; a negative errno when it cannot be started. */
int run_logged(char *const argv[]);
/* The same with argv[0] a program of root, run chrooted into it (root "/":
 * run_logged()). */
int run_logged_in(const char *root, char *const argv[]);

/* The running system's systemctl (/bin/systemctl or /usr/bin/systemctl),
 * NULL when it has none. */
const char *systemctl_path(void);

/* Reboots now, as systemctl reboot does (services stop cleanly, file
 * systems unmount), else with reboot(2); what it says first, in the log.
 * Returns only when neither worked: a negative errno. */
int reboot_now(const char *what);
