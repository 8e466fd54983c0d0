/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory-low: the upgrade boot runs the upgrader, librpm and the
 * transaction in the machine's RAM, from an initramfs; oslift's own demo
 * upgrade boot runs in 256 MiB (README.md), which is the least it needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "syscheck.h"

#define UPGRADE_BOOT_MIB 256

void syscheck_memory(struct syscheck_context *c) {
        _cleanup_free_ char *meminfo = NULL;
        unsigned long long kib = 0;
        const char *p;

        if (syscheck_read(c->proc, "meminfo", &meminfo) < 0 || !(p = strstr(meminfo, "MemTotal:")) ||
            sscanf(p, "MemTotal: %llu kB", &kib) != 1) {
                findings_add(c->findings, SEVERITY_INFO, "memory", "", "",
                             "could not look at the memory size (no %s/meminfo); the upgrade boot "
                             "needs %d MiB", c->proc, UPGRADE_BOOT_MIB);
                return;
        }
        if (kib / 1024 < UPGRADE_BOOT_MIB)
                findings_add(c->findings, SEVERITY_BLOCKER, "memory-low",
                             "the upgrade boot holds its initramfs, the upgrader and the RPM "
                             "transaction in RAM; it needs 256 MiB, and may otherwise run out of "
                             "memory and reboot into the old system",
                             "give the machine at least 256 MiB of RAM for the upgrade, or accept "
                             "the risk with --accept memory-low",
                             "%llu MiB of RAM; the upgrade boot needs %d MiB", kib / 1024, UPGRADE_BOOT_MIB);
        else
                findings_add(c->findings, SEVERITY_INFO, "memory", "", "",
                             "%llu MiB of RAM; the upgrade boot needs %d MiB", kib / 1024, UPGRADE_BOOT_MIB);
}
