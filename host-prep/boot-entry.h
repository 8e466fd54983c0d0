/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one-time boot into the upgrade environment, through GRUB 2, without
 * regenerating grub.cfg:
 *
 *  - boot_entry_build_initramfs() has the system's dracut build
 *    /boot/oslift-upgrade-KVER.img with our "oslift" module added;
 *  - boot_entry_arm() writes a menu entry with the id BOOT_ENTRY_ID between
 *    "### BEGIN oslift ###" and "### END oslift ###" into GRUBDIR/custom.cfg,
 *    which grub.cfg sources (/etc/grub.d/41_custom, EL and Debian alike),
 *    and sets next_entry=BOOT_ENTRY_ID in GRUBDIR/grubenv, as grub2-reboot
 *    does; grub.cfg (/etc/grub.d/00_header) boots that entry once and clears
 *    next_entry with save_env;
 *  - boot_entry_disarm() undoes both from what arm recorded in
 *    BOOT_ENTRY_RECORD, and removes the image.
 *
 * GRUBDIR and the grubenv are where GRUB reads them (boot_grub_find()):
 *  - BIOS: /boot/grub2 (EL) or /boot/grub (Debian), whichever holds grub.cfg;
 *  - EL 7 and EL 8 on UEFI: /boot/efi/EFI/VENDOR on the EFI system
 *    partition (ESP), grub.cfg and grubenv there; the custom.cfg block uses
 *    the command pair grub.cfg's own entries use (linuxefi/initrdefi on
 *    EL 7), and EL 8's /boot/grub2/grubenv, a symlink into the ESP, is
 *    followed inside the root;
 *  - EL 9 and Debian on UEFI: the ESP's grub.cfg is a stub that loads
 *    /boot/grub2/grub.cfg (/boot/grub/grub.cfg): GRUBDIR is that directory.
 * On the ESP (FAT) grubenv is rewritten in place as GRUB's save_env does
 * (grubenv.h), never replaced. A machine booted through UEFI (SYS/firmware/efi
 * exists) needs the ESP in fstab and mounted on /boot/efi, with room for
 * what arming writes there.
 *
 * Paths in the entry are as GRUB sees them: "/vmlinuz-KVER" when
 * /boot is its own file system, "/boot/vmlinuz-KVER" when it is on the
 * root's. The entry finds that file system by UUID (search --fs-uuid) when
 * the UUID is known: given in the spec, or for the running system probed
 * with libblkid from the device holding /boot (/dev/disk/by-uuid when the
 * device cannot be opened). Otherwise, as in a root directory that lives
 * on no device of its own, it finds it by the upgrade initramfs, a file
 * name only oslift creates (search --file).
 *
 * /proc and /sys are read from $OSLIFT_PROC and $OSLIFT_SYSFS when set,
 * else ROOT/proc and ROOT/sys (syscheck.h's rule): PROC/self/mountinfo for
 * the ESP's mount, SYS/firmware/efi for UEFI, PROC/cmdline for the command
 * line of another root's upgrade boot.
 *
 * Not covered: /boot on btrfs, where GRUB's save_env cannot clear
 * next_entry (boot_entry_check() says so for the running system); a GRUB
 * whose grub.cfg is elsewhere than the places above.
 *
 * Messages: errors go to the log (stderr); what went well only at debug
 * level, so that --json output on stdout stays JSON.
 */
#pragma once

#include <stdint.h>

#include "boot-record.h"
#include "kernel-args.h"
#include "paths.h"

/* boot_space_check(): dracut copies the finished image next to its final
 * name; the slack covers what our module adds (the upgrader, ~10 MiB
 * uncompressed). A host-only EL image is 20-40 MiB; a generic one up to
 * ~100: the size assumed when there is none. */
#define BOOT_INITRAMFS_SLACK (UINT64_C(8) << 20)
#define BOOT_INITRAMFS_UNKNOWN (UINT64_C(64) << 20)

struct boot_entry_spec {
        /* Kernel to boot, "3.10.0-1160.el7.x86_64". NULL: the running one
         * for "/"; for another root the only /boot/vmlinuz-* in it. */
        const char *kver;
        /* The upgrade initramfs, a path in root below /boot; it must exist.
         * NULL: /boot/oslift-upgrade-KVER.img, boot_entry_build_initramfs()'s. */
        const char *initramfs;
        /* Whether oslift built it (always so when initramfs is NULL): disarm
         * removes only an image oslift built, never one the operator gave. */
        bool initramfs_built;
        /* The kernel command line to start from. NULL: PROC/cmdline
         * (/proc/cmdline for "/"). BOOT_IMAGE= and rd.oslift.*
         * are dropped, OSLIFT_ARG_UPGRADE is added (kernel-args.h). */
        const char *cmdline;
        /* Appended as given, "console=ttyS0,115200"; NULL for none. */
        const char *extra_args;
        /* UUID of the file system holding /boot. NULL: probed for "/",
         * otherwise none, and the entry searches by file. */
        const char *fs_uuid;
};

/* Where GRUB reads its configuration and environment block in a root. */
struct boot_grub {
        char *grub_dir; /* holds the grub.cfg GRUB runs; custom.cfg goes beside it */
        char *grubenv;  /* the environment block, symlinks resolved inside root */
        bool on_esp;    /* grub_dir is on the ESP (BOOT_ESP_GRUB_PARENT/VENDOR) */
        bool uefi;      /* SYS/firmware/efi exists */
};

/*
 * Finds them. On a UEFI machine the ESP first: BOOT_ESP_GRUB_PARENT/VENDOR
 * holding grub.cfg, VENDOR the only such directory other than BOOT or the
 * one /etc/os-release's ID names (rhel and ol: redhat; several and none
 * named: -EEXIST); a stub there hands over to /boot's. Otherwise /boot's
 * first, then the ESP's. The grubenv is GRUBDIR/grubenv, a symlink followed
 * inside root; resolved to a place not below /boot it is refused (-EXDEV).
 * 0, or a negative errno and in *ret_reason (freed by the caller) what was
 * found and what to do.
 */
int boot_grub_find(const char *root, struct boot_grub *ret, char **ret_reason);
void boot_grub_done(struct boot_grub *g);

/*
 * Whether root can be armed for kver (NULL as in the spec): on a UEFI
 * machine the ESP in fstab and mounted; GRUB 2's grub.cfg found
 * (boot_grub_find()) and reading custom.cfg and next_entry, the ESP with room
 * for what arming writes on it, the GRUB directory
 * and grubenv writable, grubenv a well-formed block with room for
 * next_entry, the kernel image present; for "/" also /boot not on btrfs,
 * and dracut, our dracut module and the upgrader installed (what
 * boot_entry_build_initramfs() needs). 0, or a negative errno and in
 * *ret_reason (freed by the caller) one sentence naming what is missing
 * and, where there is one, the fix.
 */
int boot_entry_check(const char *root, const char *kver, char **ret_reason);

/*
 * Whether /boot has room for the upgrade initramfs: *needed is the size of
 * the current initramfs of kver (initramfs-KVER.img or initrd.img-KVER; 64
 * MiB when there is none) plus 8 MiB, *available what statvfs() says is
 * free. 0 when it fits, -ENOSPC when not (both filled in, nothing logged),
 * another negative errno when it cannot tell.
 */
int boot_space_check(const char *root, const char *kver, uint64_t *needed, uint64_t *available);

/*
 * Runs the root's dracut (only for "/": -EOPNOTSUPP otherwise) as
 * "dracut --force --add oslift --kver KVER /boot/oslift-upgrade-KVER.img",
 * keeping dracut's configured host-only setting; its output goes to the log
 * at debug level, and its last lines at error level if it fails. Checks
 * boot_space_check() first (-ENOSPC with a message). *ret_path: the image,
 * a path in root.
 */
int boot_entry_build_initramfs(const char *root, const char *kver, char **ret_path);

/*
 * Arms the one-time boot: writes BOOT_ENTRY_RECORD (the state directory
 * is created if needed), then the custom.cfg block (replacing ours if it
 * is there, keeping everything else; written atomically), then next_entry
 * in grubenv (in place). Arming again replaces the entry and keeps the
 * record of how things were before the first arm. On failure what was
 * changed is undone with boot_entry_disarm().
 */
int boot_entry_arm(const char *root, const struct boot_entry_spec *spec);

/*
 * Undoes arm: next_entry back to what it was if it is still ours (a boot
 * that already used it leaves it alone), the custom.cfg block removed
 * (the file too if arm created it and nothing else is in it), grubenv
 * removed if arm created it and it holds nothing, every
 * /boot/oslift-upgrade-*.img removed, and last the record. Safe to run
 * when nothing is armed; without a record it removes what is recognisably
 * ours. On failure the record stays, so running it again finishes.
 */
int boot_entry_disarm(const char *root);

/* The kernel version the spec's NULL stands for (see kver above). */
int boot_entry_default_kver(const char *root, char **ret);

/*
 * The command line for the upgrade boot: current's words without
 * BOOT_IMAGE=... and OSLIFT_ARG_NAMESPACE's, then OSLIFT_ARG_UPGRADE and
 * OSLIFT_ARGS_UNATTENDED (kernel-args.h), then extra's
 * words (NULL for none), then current's "--" and the words after it (init's,
 * kept as they are). -EINVAL (logged) for a word GRUB cannot pass on
 * unchanged: one holding a backslash, a single quote or a control character.
 */
int boot_entry_make_cmdline(const char *current, const char *extra, char **ret);

/*
 * Whether word is one stage --upgrade-arg may add to that command line:
 * OSLIFT_ARG_BREAK or OSLIFT_ARG_DEBUG alone, or OSLIFT_ARG_ATTEMPTS,
 * OSLIFT_ARG_CHECKPOINT or OSLIFT_ARG_WATCHDOG with "=" and a whole number
 * in the range kernel-args.h gives: what the upgrader reads as written.
 */
bool boot_entry_upgrade_arg_valid(const char *word);
