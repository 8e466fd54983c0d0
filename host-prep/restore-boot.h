/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * restore's part for the boot entries of the new release's kernel, when
 * the release changed how they are made (EL 7 -> 8): the source's grub.cfg
 * has generated menu entries, the target's kernel package writes a Boot
 * Loader Specification snippet (/boot/loader/entries/ID.conf, through
 * kernel-install) that such a grub.cfg never reads, so the machine would
 * go on booting the old kernel. Decided by what is on disk, never by the
 * release's name:
 *
 *  - the newest snippet (by its "version" line, rpm's version order) names
 *    a kernel that GRUB's grub.cfg (boot_grub_find()) neither boots in an
 *    entry of its own ("vmlinuz-KVER") nor reads through blscfg: the
 *    scheme changed;
 *  - then the target's own tools run in the root: grub2-mkconfig -o
 *    GRUBDIR/grub.cfg (EL 8's writes blscfg or the kernels' entries), then
 *    grubby --set-default /boot/vmlinuz-KVER, or without grubby
 *    grub2-set-default ID;
 *  - only when the snippet's kernel and initramfs are on disk;
 *  - the result counts only when the new grub.cfg boots the new kernel,
 *    still has the old kernel (the one the upgrade booted: the fallback),
 *    still reads custom.cfg and next_entry (the one-time boot), and its
 *    default is the new kernel's entry: grubenv's saved_entry naming it
 *    (GRUB_DEFAULT=saved, EL's), or its first entry (default="0").
 *
 * Anything else puts grub.cfg and grubenv back as they were (the old
 * kernel stays the default: never an unbootable one) and returns the
 * problem with what to do. No snippet, or one grub.cfg already boots: 0,
 * nothing done.
 */
#pragma once

#include "restore-record.h"

/* 1 when the new kernel's trial boot was armed (*ret_action says how,
 * *ret_trial is the record to keep), 0 when nothing was needed; on failure
 * a negative errno and *ret_problem, the problem and its fix in one text.
 * old_kver: the kernel the system booted before (NULL: unknown, refused).
 * Also refused: a snippet whose kernel or initramfs is not on disk (never
 * an unbootable default).
 *
 * The trial: the new kernel is not made the default at once. The old one
 * is (the target's grub2-set-default with its entry in the new grub.cfg,
 * or grubby --set-default), and the new one is GRUB's one-time entry,
 * next_entry=ID written into grubenv in place, as stage arms the upgrade
 * boot. A grub.cfg whose default is its first entry would boot the new
 * kernel again and again if it cannot come up: GRUB_DEFAULT=0 in
 * /etc/default/grub is set to saved (EL's own) before grub2-mkconfig runs,
 * and a grub.cfg whose default is not grubenv's saved_entry is refused. */
int restore_boot_entries(const char *root, const char *old_kver, struct kernel_trial *ret_trial, char **ret_action,
                         char **ret_problem);

/* The running kernel's release: PROC/sys/kernel/osrelease
 * (boot_proc_or_sys(), $OSLIFT_PROC), else uname() on "/"; -ENOENT when
 * there is none to read in a root directory. */
int restore_running_kernel(const char *root, char **ret);

/* The boot after the trial was armed, running the kernel running: when it
 * is the trial's kernel, the target's grubby --set-default (or
 * grub2-set-default ID) makes it the default, checked in grubenv: 1,
 * *ret_action says so; a negative errno and *ret_problem when that failed
 * (saved_entry is put back: the old kernel stays the default). When it is
 * another kernel, the trial failed (GRUB consumed next_entry and the
 * machine came back on the default): 0, nothing changes but next_entry,
 * taken out should it still name the trial's entry. */
int restore_boot_trial(const char *root, const struct kernel_trial *t, const char *running, char **ret_action,
                       char **ret_problem);

/*
 * The upgrade boot's words taken back out of the new kernel's snippet (the
 * newest, as above): kernel-install copies /proc/cmdline into its options
 * when there is no /etc/kernel/cmdline, and the upgrader shows the
 * scriptlets the old system's command line there, but an entry written
 * some other way may still have them. Out of its "options" go every word
 * of ours (kernel-args.h) and each word of OSLIFT_ARGS_UNATTENDED that the
 * old system's command line (PROC/cmdline, boot_proc_or_sys(): restore runs
 * on the old system's own boot entry) does not have; those stay when it
 * cannot be read. The snippet is rewritten atomically, the rest of it as it
 * was. 1 when it was (*ret_action says what went), 0 when nothing was to
 * do; a negative errno and *ret_problem (with the fix) when the rewrite
 * failed.
 */
int restore_boot_options(const char *root, char **ret_action, char **ret_problem);
