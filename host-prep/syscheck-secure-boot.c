/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secure-boot: the efivar SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
 * under SYS/firmware/efi/efivars: 4 bytes of attributes, then the value.
 * With Secure Boot on:
 *  - secure-boot (warning): the target's boot chain must be signed;
 *  - secure-boot-upgrade-boot (info): the upgrade boot itself boots: it runs
 *    the running, signed kernel from the shim and GRUB that boot it now, and
 *    its initramfs, which is not signed, is checked by neither;
 *  - for the target kernel (kernel-core, or EL 7's kernel), its image read
 *    from the payload (/boot/vmlinuz-* or /lib/modules/KVER/vmlinuz): an
 *    EFI (PE) image with an Authenticode signature is
 *    secure-boot-target-kernel (info: whether shim trusts the key is shim's
 *    to tell at boot); a PE image without one, secure-boot-unsigned-kernel
 *    (a blocker: shim refuses it, and the new release's first boot fails);
 *    anything else or unreadable, secure-boot-target-kernel (warning: it
 *    could not be told).
 */
#include <rpm/header.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syscheck.h"

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* An EFI stub kernel is a PE image: "MZ", e_lfanew at 0x3c, "PE\0\0", the
 * COFF header (20 bytes), the optional header, whose data directory 4 (the
 * certificate table) has a non-zero size when the image is signed. Only the
 * first len bytes are looked at. */
enum pe_signature syscheck_pe_signature(const unsigned char *p, size_t len) {
        size_t pe, opt, dirs, n_dirs_at;
        uint32_t n_dirs;

        if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
                return PE_NOT_PE;
        pe = le32(p + 0x3c);
        if (pe > len || len - pe < 24 + 2 || memcmp(p + pe, "PE\0\0", 4) != 0)
                return PE_NOT_PE;
        opt = pe + 24;
        if (p[opt] == 0x0b && p[opt + 1] == 0x01) /* PE32 */
                n_dirs_at = opt + 92, dirs = opt + 96;
        else if (p[opt] == 0x0b && p[opt + 1] == 0x02) /* PE32+ */
                n_dirs_at = opt + 108, dirs = opt + 112;
        else
                return PE_NOT_PE;
        if (len < n_dirs_at + 4)
                return PE_NOT_PE;
        n_dirs = le32(p + n_dirs_at);
        if (n_dirs <= 4)
                return PE_UNSIGNED;
        if (len < dirs + 5 * 8)
                return PE_NOT_PE;
        return le32(p + dirs + 4 * 8 + 4) != 0 ? PE_SIGNED : PE_UNSIGNED;
}

bool syscheck_is_kernel_image(const char *fn) {
        const char *base = strrchr(fn, '/') ? strrchr(fn, '/') + 1 : fn;

        return (strncmp(fn, "/boot/vmlinuz-", 14) == 0 && !strchr(fn + 14, '/')) ||
               (strncmp(fn, "/lib/modules/", 13) == 0 && strcmp(base, "vmlinuz") == 0) ||
               (strncmp(fn, "/usr/lib/modules/", 17) == 0 && strcmp(base, "vmlinuz") == 0);
}

/* The target's kernel package, kernel-core (EL 8 and later) or kernel
 * (EL 7): its index in c->targets, or c->n_targets. */
static size_t target_kernel(const struct syscheck_context *c) {
        static const char *const names[] = { "kernel-core", "kernel" };

        for (size_t k = 0; k < 2; k++)
                for (size_t i = 0; i < c->n_targets; i++)
                        if (strcmp(headerGetString(c->targets[i], RPMTAG_NAME), names[k]) == 0)
                                return i;
        return c->n_targets;
}

static void check_target_kernel(struct syscheck_context *c) {
        _cleanup_free_ char *nevra = NULL, *image = NULL;
        size_t i = target_kernel(c), size = 0;
        enum pe_signature sig = PE_NOT_PE;
        int n;

        if (i == c->n_targets)
                return;
        nevra = headerGetAsString(c->targets[i], RPMTAG_NEVRA);
        /* The PE headers and the data directories are in the first page. */
        n = syscheck_payload_read(c, i, syscheck_is_kernel_image, 4096, &image, &size);
        if (n > 0)
                sig = syscheck_pe_signature((const unsigned char *) image, (size_t) n);
        if (sig == PE_SIGNED)
                findings_add(c->findings, SEVERITY_INFO, "secure-boot-target-kernel", "", "",
                             "the target kernel %s carries a signature; shim boots it if the key is one it "
                             "trusts (the distribution's, or one enrolled: mokutil --list-enrolled)",
                             nevra ?: "(unknown)");
        else if (sig == PE_UNSIGNED)
                findings_add(c->findings, SEVERITY_BLOCKER, "secure-boot-unsigned-kernel",
                             "with Secure Boot on, shim refuses a kernel without a signature: the new "
                             "release's first boot would fail (the old kernel stays installed and boots)",
                             "use the distribution's signed kernel package, or sign the image with a key "
                             "enrolled with mokutil --import and rebuild the package",
                             "the target kernel %s is an EFI image without a signature", nevra ?: "(unknown)");
        else
                findings_add(c->findings, SEVERITY_WARNING, "secure-boot-target-kernel",
                             "after the upgrade, shim boots the target kernel only if its image is signed by "
                             "a key shim trusts (the distribution's own, or one enrolled with mokutil); the "
                             "package's RPM signature is not that signature, and its image could not be "
                             "looked at",
                             "use the distribution's own kernel package (or sign the image with a key "
                             "enrolled with mokutil --import), and keep the old kernel installed",
                             "the target kernel %s must be signed for Secure Boot (%s)", nevra ?: "(unknown)",
                             n == -ENOENT ? "no kernel image in the package" : n < 0 ? "its payload cannot be read"
                                                                                     : "the image is no EFI image");
        findings_set_subject(c->findings, headerGetString(c->targets[i], RPMTAG_NAME));
}

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
        check_target_kernel(c);
        findings_add(c->findings, SEVERITY_INFO, "secure-boot-upgrade-boot", "", "",
                     "the upgrade boot boots under Secure Boot: it runs the running kernel, already signed "
                     "and trusted, from the same shim and GRUB; its initramfs is not signed, and neither "
                     "shim nor GRUB checks initramfs images");
}
