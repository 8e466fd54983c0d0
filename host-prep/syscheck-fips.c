/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fips-enabled: PROC/sys/crypto/fips_enabled is 1. An acceptable blocker:
 * the target release sets up FIPS mode its own way (fips-mode-setup). */
#include <string.h>

#include "syscheck.h"

void syscheck_fips(struct syscheck_context *c) {
        _cleanup_free_ char *fips = syscheck_read_line(c->proc, "sys/crypto/fips_enabled");

        if (!fips || strcmp(fips, "1") != 0)
                return;
        findings_add(c->findings, SEVERITY_BLOCKER, "fips-enabled",
                     "the system runs in FIPS mode; the target release keeps its FIPS configuration "
                     "elsewhere (crypto-policies, fips-mode-setup) and its kernel needs the hmac files "
                     "and fips=1 set up for it, which the upgrade does not do",
                     "disable FIPS mode for the upgrade and enable it afterwards with the target's "
                     "fips-mode-setup --enable, or accept it with --accept fips-enabled",
                     "FIPS mode is enabled");
}
