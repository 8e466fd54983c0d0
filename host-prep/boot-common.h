/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the modules of the boot entry share (boot-entry.c, grub-layout.c,
 * grub-block.c, boot-cmdline.c, boot-device.c, initramfs.c): the checks of
 * names that go into grub.cfg, reading files in a root, and the reasons
 * check returns. Internal to host-prep; boot-entry.h is the API.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

/* The upgrade initramfs: /boot/IMAGE_PREFIX KVER IMAGE_SUFFIX. */
#define IMAGE_PREFIX "oslift-upgrade-"
#define IMAGE_SUFFIX ".img"

/* grub.cfg may hold a few hundred BLS-less entries; custom.cfg is small.
 * Anything bigger is not what these files are. */
#define GRUB_CFG_MAX ((size_t) 16 << 20)
#define CUSTOM_CFG_MAX ((size_t) 1 << 20)

/* Hands *reason over to *ret_reason and returns r. */
int boot_take_reason(char **ret_reason, char **reason, int r);

/* *ret_reason formatted (NULL when out of memory); returns r. */
int boot_format_reason(char **ret_reason, int r, const char *fmt, ...) _printf_(3, 4);

/* Kernel versions name files and go into grub.cfg: only what real ones
 * use ("3.10.0-1160.el7.x86_64", "6.1.0-18-amd64", "5.14.0+"). */
bool boot_kver_valid(const char *kver);

/* A path below /boot, plain enough to go into grub.cfg unquoted. */
bool boot_path_valid(const char *p);

/* A file system UUID: hex digits and dashes, at most 64. */
bool boot_uuid_valid(const char *u);

/* The whole of a file in root, NUL-terminated; -ENOENT when absent, -EFBIG
 * above max. Read to its end, not to its st_size: /proc's files have none.
 * *ret_mode gets its permissions when not NULL. */
int boot_read_file(const char *root, const char *path, size_t max, char **ret, size_t *ret_size,
                   mode_t *ret_mode);

/* Whether root/path exists and is of type (S_IFREG, S_IFDIR). */
bool boot_exists_in_root(const char *root, const char *path, mode_t type);

/* grub_dir/grub.cfg in root, whole (at most GRUB_CFG_MAX). */
int boot_read_grub_cfg(const char *root, const char *grub_dir, char **ret);

/* kver when given and valid, else boot_entry_default_kver()'s; logs why
 * not. 0 or a negative errno. */
int boot_resolve_kver(const char *root, const char *kver, char **ret);

/* $VAR, else ROOT/dir: where /proc and /sys are read (syscheck.h's rule).
 * NULL when out of memory. */
char *boot_proc_or_sys(const char *root, const char *var, const char *dir);
