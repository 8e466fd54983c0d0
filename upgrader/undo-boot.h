/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot configuration in the undo set (OSLIFT_UNDO_DIR/boot), and how
 * the rollback puts it back, so that the old release boots its old kernel
 * with its old GRUB configuration.
 *
 * Taken with the rest of the undo set, before the upgrade's first write:
 * grub.cfg, custom.cfg and grubenv of every GRUB directory in the root
 * (boot_grub_dirs, and the one the upgrade boot was armed in, on the EFI
 * system partition too), and /boot/loader/entries when it exists. What
 * host-prep stage added for the one-time upgrade boot is taken out first,
 * from what its boot record says was there before: our custom.cfg block
 * (custom.cfg "absent" when arming created it) and next_entry (its old
 * value, or unset).
 *
 * Put back in three steps, so that every moment between them boots one of
 * the two releases, and a boot cut short boots the rollback again:
 *  1. undo_boot_put_back(): grub.cfg, the loader entries and custom.cfg,
 *     each replaced atomically; custom.cfg keeps the block of the armed
 *     rollback boot (the current one), which next_entry still selects;
 *  2. undo_boot_switch_back(): grubenv as it was, rewritten in place as
 *     GRUB's save_env does (the switch off: GRUB boots the old default);
 *     then custom.cfg exactly as it was, without our block;
 *  3. the caller removes what armed the rollback boot and marks it done
 *     (undo_boot_mark_done()).
 */
#pragma once

#include <stdbool.h>

/* Takes the boot configuration of root into undo_dir (a path in root: the
 * undo set being taken). 0, or a negative errno (logged). */
int undo_boot_take(const char *root, const char *undo_dir);

/* Step 1 (see above) from OSLIFT_UNDO_DIR. 0 (also when the undo set holds
 * no boot configuration: taken by an older version), or a negative errno
 * (logged; running it again goes on). */
int undo_boot_put_back(const char *root);

/* Step 2. 0 or a negative errno (logged). */
int undo_boot_switch_back(const char *root);

/* Whether steps 2 and 3 are still to be done after a rollback: the undo
 * set holds a boot configuration and undo_boot_mark_done() was not called. */
bool undo_boot_pending(const char *root);
int undo_boot_mark_done(const char *root);
