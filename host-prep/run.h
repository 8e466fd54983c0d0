/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemctl and the reboot of host-prep; running programs: run-logged.h. */
#pragma once

#include "run-logged.h"

/* The running system's systemctl (/bin/systemctl or /usr/bin/systemctl),
 * NULL when it has none. */
const char *systemctl_path(void);

/* Reboots now, as systemctl reboot does (services stop cleanly, file
 * systems unmount), else with reboot(2); what it says first, in the log.
 * Returns only when neither worked: a negative errno. */
int reboot_now(const char *what);
