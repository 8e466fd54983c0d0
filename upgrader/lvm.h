/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LVM in the upgrade boot. dracut's lvm module activates the logical
 * volumes the kernel command line names (rd.lvm.lv=centos/root
 * rd.lvm.lv=centos/swap, as EL 7 writes it), or all of them when it names
 * none; /var, /home and the like on other volumes (or in another volume
 * group) stay inactive, their /dev/mapper/ nodes missing. The upgrader
 * must still mount them: it activates the volume groups itself when a
 * device it waits for does not appear (device-wait.h).
 */
#pragma once

#include <stdbool.h>

/* Where the initramfs may have the lvm binary (dracut's lvm module
 * installs it from the system: /usr/sbin/lvm on EL 8-9, /sbin/lvm on EL 7). */
#define LVM_PATHS { "/usr/sbin/lvm", "/sbin/lvm", "/usr/bin/lvm", "/bin/lvm" }

/* The lvm binary below root ("/" in the upgrade boot): the first
 * executable regular file of LVM_PATHS, as a new string (the full path,
 * root's prefix included) in *ret. -ENOENT when there is none. */
int lvm_find(const char *root, char **ret);

/* Runs "LVM vgchange -ay --sysinit" (every volume group, as dracut's own
 * lvm_scan does without rd.lvm.lv=; --sysinit: no locking, monitoring or
 * polling daemons in the initramfs) with its output on the console and in
 * the log. 0 when lvm exited 0, else what run_logged_at() returns. */
int lvm_activate_all(const char *lvm);
