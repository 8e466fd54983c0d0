/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pieces of the boot entry below its public functions, for the unit
 * tests and the fuzz harness: how a kernel command line is split and what
 * GRUB passes on (boot-cmdline.c), and how our custom.cfg block is written,
 * found and put in place (grub-block.c). host-prep itself calls only
 * boot-entry.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "boot-record.h"

/* Splits a command line into words as the kernel does: at blanks outside
 * double quotes; the quotes stay in the word. NULL-terminated (free with
 * strv_freep()). 0 or -ENOMEM. */
int boot_entry_split_words(const char *s, char ***ret);

/* Whether GRUB's linux command passes w on unchanged: it escapes '\' and
 * '\'' with a backslash the kernel does not remove, and control characters
 * have no business there. */
bool boot_entry_word_passes_grub(const char *w);

/* A kernel word as one GRUB word: GRUB puts double quotes back around a
 * word with blanks ("foo=a b"), which the kernel reads as foo="a b". */
void boot_entry_put_grub_word(FILE *out, const char *w);

/* The command pair grub.cfg's own entries use: linux16 on EL 7 BIOS,
 * linuxefi on EL 7 UEFI, linux elsewhere (and with BLS, where grub.cfg
 * has no entries of its own). */
void boot_entry_linux_commands(const char *cfg, const char **ret_linux, const char **ret_initrd);

/* Whether a grub.cfg is a stub that hands over to another one
 * (configfile or source), as EL 9's and Debian's on the ESP are. */
bool boot_entry_grub_cfg_is_stub(const char *cfg);

/* What one menu entry boots. */
struct boot_entry_params {
        const char *kver;
        const char *kernel;  /* as GRUB sees it */
        const char *initrd;  /* as GRUB sees it */
        const char *cmdline; /* boot_entry_make_cmdline()'s */
        const char *fs_uuid; /* NULL: search by the initrd */
        const char *linux_cmd, *initrd_cmd;
};

/* The custom.cfg block for p, from BOOT_ENTRY_BEGIN_MARKER's line to the
 * end of BOOT_ENTRY_END_MARKER's. 0 or -ENOMEM. */
int boot_entry_format_block(const struct boot_entry_params *p, char **ret);

/* custom.cfg (old, old_size bytes) with block in place of our old one, or
 * at the end (after a newline that rec->newline_added records, when old
 * did not end with one). fresh: the first arm, so a block found is a
 * leftover that was there as it is. The new text in *ret, *ret_size;
 * boot_entry_find_block()'s -EBADMSG, or -ENOMEM. */
int boot_entry_compose_custom(const char *old, size_t old_size, const char *block, struct boot_record *rec,
                              bool fresh, char **ret, size_t *ret_size);
