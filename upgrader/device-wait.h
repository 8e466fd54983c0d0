/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Waiting for the block device an fstab or rd.oslift.root names. */
#pragma once

/* How long to wait for a device to appear, in milliseconds. */
#define ROOT_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_NOFAIL_DEVICE_TIMEOUT_MS 10000u

/*
 * Waits until spec (UUID=, LABEL=, PARTUUID=, PARTLABEL=, or a path) names
 * a block device, for at most timeout_ms; *ret is the device node.
 * -ENODEV when it did not appear in time.
 */
int device_wait(const char *spec, unsigned timeout_ms, char **ret);
