/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secure-boot: the efivar SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
 * under SYS/firmware/efi/efivars: 4 bytes of attributes, then the value.
 * With Secure Boot on: a warning that the target's boot chain must be
 * signed (naming the target kernel when the target set has one), and an
 * info finding (secure-boot-upgrade-boot) that the upgrade boot itself
 * boots: it runs the running, signed kernel from the shim and GRUB that
 * boot it now, and its initramfs, which is not signed, is not checked by
 * shim or GRUB.
 */
#include <rpm/header.h>
#include <stdlib.h>

#include "syscheck.h"

#define SECURE_BOOT_VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* The target's kernel package: kernel-core (EL 8 and later), kernel (EL 7). */
static Header target_kernel(const struct syscheck_context *c) {
        Header h = syscheck_target_named(c, "kernel-core");

        return h ? h : syscheck_target_named(c, "kernel");
}

void syscheck_secure_boot(struct syscheck_context *c) {
        _cleanup_free_ char *var = NULL, *nevra = NULL;
        int len = syscheck_read(c->sys, SECURE_BOOT_VAR, &var);
        Header kernel;

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
        kernel = target_kernel(c);
        if (kernel) {
                nevra = headerGetAsString(kernel, RPMTAG_NEVRA);
                findings_add(c->findings, SEVERITY_WARNING, "secure-boot-target-kernel",
                             "after the upgrade, shim boots the target kernel only if its image is signed by "
                             "a key shim trusts (the distribution's own, or one enrolled with mokutil); the "
                             "package's RPM signature is not that signature, and oslift cannot check the "
                             "image's before it is installed",
                             "use the distribution's own kernel package (or sign the image with a key "
                             "enrolled with mokutil --import), and keep the old kernel installed",
                             "the target kernel %s must be signed for Secure Boot", nevra ?: "(unknown)");
                findings_set_subject(c->findings, headerGetString(kernel, RPMTAG_NAME));
        }
        findings_add(c->findings, SEVERITY_INFO, "secure-boot-upgrade-boot", "", "",
                     "the upgrade boot boots under Secure Boot: it runs the running kernel, already signed "
                     "and trusted, from the same shim and GRUB; its initramfs is not signed, and neither "
                     "shim nor GRUB checks initramfs images");
}
