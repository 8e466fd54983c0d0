/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What host-prep stage changed to arm the one-time upgrade boot (see
 * host-prep/boot-entry.h), recorded in BOOT_ENTRY_RECORD so that cancel
 * can put back exactly that, and the switch itself: next_entry in GRUB's
 * grubenv. Shared because the upgrader flips the switch too: it turns it
 * back on as its first write, so that a power cut during the transaction
 * boots the upgrade again, and off once the transaction is durably over.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "paths.h"

#define BOOT_ENTRY_ID "oslift-upgrade"
/* The lines around our block in GRUBDIR/custom.cfg: host-prep writes it,
 * the upgrader's rollback takes it out of the boot configuration it puts
 * back. */
#define BOOT_ENTRY_BEGIN_MARKER "### BEGIN oslift ###"
#define BOOT_ENTRY_END_MARKER "### END oslift ###"
#define BOOT_ENTRY_RECORD OSLIFT_BOOT_ENTRY_RECORD

/* Where GRUB 2 keeps grub.cfg and grubenv on /boot: EL first, then Debian. */
extern const char *const boot_grub_dirs[]; /* NULL-terminated */
/* Where a GRUB started by the firmware (UEFI) keeps them on the EFI system
 * partition: BOOT_ESP_GRUB_PARENT/VENDOR ("centos", "redhat", "debian"). */
#define BOOT_ESP_MOUNT "/boot/efi"
#define BOOT_ESP_GRUB_PARENT BOOT_ESP_MOUNT "/EFI"

/* The entry of boot_grub_dirs equal to dir, NULL for any other path. */
const char *boot_grub_dir_known(const char *dir);

/* Whether dir is one of boot_grub_dirs or BOOT_ESP_GRUB_PARENT/VENDOR with
 * VENDOR a plain name (letters, digits, '.', '_', '-'; not "." or ".."). */
bool boot_grub_dir_valid(const char *dir);

/* Whether path can be a grubenv GRUB reads: normalized, below /boot,
 * ending in "/grubenv", without characters a shell or GRUB would split. */
bool boot_grubenv_path_valid(const char *path);

struct boot_record {
        bool custom_cfg_existed;
        bool newline_added;     /* arm ended custom.cfg's last line for it */
        bool grubenv_existed;
        bool next_entry_was_set;
        char *next_entry;       /* its value then */
        char *grub_dir;         /* boot_grub_dir_valid(): where custom.cfg is */
        /* The grubenv that was armed, symlinks resolved inside the root
         * (boot_grubenv_path_valid()). Records written before it existed
         * have none: the reader fills in GRUB_DIR/grubenv. */
        char *grubenv;
        char *kver;
        char *initramfs;
        /* oslift built the initramfs (stage on "/"): disarm removes it. An
         * image the operator gave (--boot-initramfs) is theirs and stays.
         * Records written before the key existed read as false: the image
         * then stays unless its name is one oslift builds (IMAGE_PREFIX). */
        bool initramfs_built;
};

void boot_record_done(struct boot_record *r);

/* -ENOENT when there is none, -EBADMSG when it is not one we wrote. */
int boot_record_read(const char *root, struct boot_record *ret);
/* The same from the record's text (NUL-terminated; changed while parsing). */
int boot_record_parse(char *text, struct boot_record *ret);
int boot_record_write(const char *root, const struct boot_record *rec);

/*
 * The switch, the grubenv at path in root (the record's grubenv),
 * rewritten in place as GRUB's save_env does (grubenv.h): on a FAT EFI
 * system partition too, where GRUB writes the sectors it found the file in.
 * boot_switch_on() sets next_entry to
 * BOOT_ENTRY_ID. boot_switch_off() undoes that when next_entry is still
 * ours: back to what rec recorded (NULL: unset), the file removed when arm
 * created it and it holds nothing else; someone else's next_entry is left
 * alone. Both log what fails. A grubenv below BOOT_ESP_MOUNT whose
 * directory does not exist (the ESP not mounted) is -ENOENT for both;
 * otherwise a missing file is created by on and nothing to do for off.
 */
int boot_switch_on(const char *root, const char *grubenv);
int boot_switch_off(const char *root, const char *grubenv, const struct boot_record *rec);

/* Our block in text, from its BEGIN line to the end of its END line:
 * 1 and the offsets, 0 when there is none, -EBADMSG for a BEGIN without
 * an END (we cannot tell where ours ends). Trailing blanks and a CR on a
 * marker line do not count. */
int boot_entry_find_block(const char *text, size_t size, size_t *ret_begin, size_t *ret_end);
