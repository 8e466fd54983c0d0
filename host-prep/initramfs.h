/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts of initramfs.c (the upgrade initramfs, built with the system's
 * dracut: boot_entry_build_initramfs() and boot_space_check() of
 * boot-entry.h) that the readiness check uses. Internal to host-prep.
 */
#pragma once

/* The first of dracut's usual paths that is executable; NULL when none. */
const char *boot_find_dracut(void);

/* What boot_entry_build_initramfs() needs on the running system: dracut,
 * oslift's dracut module, the upgrader. 0, or -ENOENT with *ret_reason. */
int boot_check_dracut(char **ret_reason);
