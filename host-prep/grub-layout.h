/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checks of grub-layout.c that boot-entry.c's readiness check makes
 * besides boot_grub_find(). Internal to host-prep.
 */
#pragma once

#include <stdbool.h>

#include "boot-entry.h"

/* The firmware booted the machine through UEFI: SYS/firmware/efi exists. */
bool boot_firmware_is_uefi(const char *root);

/* On UEFI: the ESP has an fstab entry and is mounted on BOOT_ESP_MOUNT.
 * 0, or a negative errno with *ret_reason saying what to do. */
int boot_check_esp_mounted(const char *root, char **ret_reason);

/* The ESP has room for what arming writes there (custom.cfg when g's
 * grub.cfg is on it, a new grubenv). 0, or -ENOSPC with *ret_reason. */
int boot_check_esp_space(const char *root, const struct boot_grub *g, char **ret_reason);
