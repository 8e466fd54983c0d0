/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Elapsed time for timeouts, progress and messages: CLOCK_MONOTONIC, which
 * neither a clock step nor the upgrade's own changes to the time move. */
#pragma once

#include <time.h>

/* Seconds since an arbitrary fixed point (the boot, on Linux). */
double now_seconds(void);

/* Seconds since t0, as clock_gettime(CLOCK_MONOTONIC) filled it in. */
double seconds_since(const struct timespec *t0);
