/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * librpm needs rpmrc, macros and platform/<arch>/macros at run time. Ours
 * travel with our binaries (never the host's /usr/lib/rpm, which may belong
 * to an older rpm or be absent in the initramfs); this finds and loads them.
 */
#pragma once

/* OSLIFT_RPM_CONFIGDIR, where make install puts it; overridable by
 * $OSLIFT_RPM_CONFIGDIR. */
#include "paths.h"

/*
 * Reads librpm's configuration. Must come before any other librpm call.
 * Looks in $OSLIFT_RPM_CONFIGDIR, then in "rpm/" beside the executable,
 * then in OSLIFT_RPM_CONFIGDIR. Returns 0 or a negative errno (logged).
 */
int rpm_setup(void);

/* The directory rpm_setup() used, NULL before it succeeded. */
const char *rpm_config_dir(void);
