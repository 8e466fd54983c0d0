/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secure-boot: the efivar SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
 * under SYS/firmware/efi/efivars: 4 bytes of attributes, then the value.
 */
#include <stdlib.h>

#include "syscheck.h"

void syscheck_secure_boot(struct syscheck_context *c) {
        _cleanup_free_ char *var = NULL;
        int len = syscheck_read(c->sys, SECURE_BOOT_VAR, &var);

        if (len < 5)
                return; /* BIOS, or no efivars to look at */
        if (var[4] != 1) {
                findings_add(c->findings, SEVERITY_INFO, "secure-boot", "", "", "Secure Boot is off");
                return;
        }
        findings_add(c->findings, SEVERITY_WARNING, "secure-boot",
                     "the firmware runs only boot loaders and kernels signed by keys it trusts: the "
                     "target release's shim, GRUB and kernel must be signed by one, and third-party "
                     "kernel modules must be signed for the new kernel or they do not load",
                     "make sure the target is signed by a key in the firmware's db (mokutil "
                     "--list-enrolled; distributions' own shims are), and rebuild and sign third-party "
                     "modules (DKMS, kmod-*) for the target kernel",
                     "Secure Boot is on");
}
