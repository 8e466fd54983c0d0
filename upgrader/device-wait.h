/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Waiting for the block device an fstab or rd.oslift.root names. */
#pragma once

#include <stdbool.h>

/* How long to wait for a device to appear, in milliseconds. */
#define ROOT_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_NOFAIL_DEVICE_TIMEOUT_MS 10000u
/* How long a device may take to appear before the volume groups are
 * activated (device_wait_activating()): udev has usually created the
 * node of an active volume by then. */
#define LVM_ACTIVATE_AFTER_MS 3000u

/*
 * Waits until spec (UUID=, LABEL=, PARTUUID=, PARTLABEL=, or a path) names
 * a block device, for at most timeout_ms; *ret is the device node.
 * -ENODEV when it did not appear in time.
 */
int device_wait(const char *spec, unsigned timeout_ms, char **ret);

/*
 * device_wait(), and when spec has not appeared within
 * LVM_ACTIVATE_AFTER_MS (or timeout_ms, if shorter) and root ("/" at
 * boot) has an lvm binary: activates every LVM volume group once
 * (lvm_activate_all(), logged: rd.lvm.lv= may have named only some
 * volumes) and waits again, up to timeout_ms. *lvm_tried is set once the
 * activation ran, so that it runs once per boot, and read before: when
 * true, or when there is no lvm, this is device_wait().
 */
int device_wait_activating(const char *root, const char *spec, unsigned timeout_ms, bool *lvm_tried, char **ret);
