/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system-level checks of check and stage: what stops real upgrades
 * beyond the RPM transaction (drivers, kernels, storage, mounts, network
 * names, SELinux, FIPS, Secure Boot, third-party packages, ...). One
 * concern per syscheck-*.c file, run in the order of the registry in
 * syscheck.c.
 *
 * Everything is read below the root; /proc and /sys from $OSLIFT_PROC and
 * $OSLIFT_SYSFS when set, else ROOT/proc and ROOT/sys (so tests fake them,
 * as kmod's testsuite does). A check whose inputs are absent says so as an
 * info finding ("could not look") or nothing; none of them fails.
 */
#pragma once

#include <rpm/header.h>
#include <rpm/rpmts.h>
#include <stdbool.h>
#include <stddef.h>

#include "findings.h"
#include "verdict.h"

struct syscheck_context {
        const char *root;
        char *proc;          /* where /proc is read */
        char *sys;           /* where /sys is read */
        rpmts ts;            /* the installed rpmdb, open; NULL when there is none */
        Header *targets;     /* the target packages' headers */
        char **target_paths; /* their files, in the same order; NULL in unit tests */
        size_t n_targets;
        char *const *source_key_ids; /* the source distribution's key ids (signer.h) */
        size_t n_source_key_ids;
        bool source_keys_given;      /* they are from --source-keys, not system-release's signer */
        const struct verdicts *verdicts; /* decided already (--repo), or NULL (verdict.h) */
        struct findings *findings;
};

/*
 * Runs every check on root. ts: the open installed rpmdb or NULL;
 * target_paths: the target packages (already verified). Findings go to f.
 * Returns 0, or -ENOMEM.
 */
int syschecks_run(const char *root, rpmts ts, char *const *target_paths, size_t n_targets,
                  char *const *source_key_ids, size_t n_source_key_ids, bool source_keys_given,
                  const struct verdicts *verdicts, struct findings *f);

/* The same on a prepared context (unit tests). */
void syschecks_run_context(struct syscheck_context *c);

/* base + "/" + rel, newly allocated; aborts when out of memory. */
char *syscheck_path(const char *base, const char *rel);

/* Reads base/rel (a regular file, symlinks followed, at most 1 MiB) into a NUL-terminated
 * buffer. Returns its length or a negative errno (-ENOENT: absent). */
int syscheck_read(const char *base, const char *rel, char **ret);

/* The first line of base/rel without its newline; NULL when unreadable. */
char *syscheck_read_line(const char *base, const char *rel);

/* The value of KEY= in a shell-style file such as os-release, unquoted;
 * NULL when absent. */
char *syscheck_env_value(const char *text, const char *key);

/* The first file of target package i's payload for which match(path) is
 * true, a regular file: at most max bytes of it into *ret (NUL-terminated,
 * freed by the caller), its whole size in *ret_size; returns the number of
 * bytes read, -ENOENT when there is no such file or no package file to read
 * (unit tests), -EIO when the payload cannot be read. */
int syscheck_payload_read(const struct syscheck_context *c, size_t i, bool (*match)(const char *path), size_t max,
                          char **ret, size_t *ret_size);

/* The headers of the target packages named name (kernel-core, ...). */
Header syscheck_target_named(const struct syscheck_context *c, const char *name);

/* The checks, one per file. */
/* What the start of a kernel image says about its signature (secure-boot);
 * only the first len bytes of p are looked at. */
enum pe_signature { PE_NOT_PE, PE_UNSIGNED, PE_SIGNED };
enum pe_signature syscheck_pe_signature(const unsigned char *p, size_t len);
/* Whether a package's file is a kernel image: /boot/vmlinuz-* or
 * /lib/modules/KVER/vmlinuz. */
bool syscheck_is_kernel_image(const char *fn);

void syscheck_memory(struct syscheck_context *c);
void syscheck_kernel(struct syscheck_context *c);
void syscheck_modules(struct syscheck_context *c);
void syscheck_storage(struct syscheck_context *c);
void syscheck_mounts(struct syscheck_context *c);
void syscheck_network(struct syscheck_context *c);
void syscheck_selinux(struct syscheck_context *c);
void syscheck_fips(struct syscheck_context *c);
void syscheck_secure_boot(struct syscheck_context *c);
/* The EFI variable it reads, below c->sys. */
#define SECURE_BOOT_VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
void syscheck_signatures(struct syscheck_context *c);
void syscheck_repos(struct syscheck_context *c);
void syscheck_dir_symlink(struct syscheck_context *c);
void syscheck_release(struct syscheck_context *c);

/* The source of the last PROC/mounts entry on mountpoint ("/dev/sda1"),
 * NULL when there is none or PROC/mounts cannot be read. */
char *syscheck_mount_source(const struct syscheck_context *c, const char *mountpoint);

/* The name in SYS/class/block of a device path (/dev/sda1, /dev/mapper/X,
 * /dev/VG/LV, /dev/md0), NULL when sysfs does not know it. */
char *syscheck_block_name(const struct syscheck_context *c, const char *device);

/* The kernel modules driving the disks below block device name (through
 * partitions, device-mapper and md slaves), appended to (*mods, *n). */
void syscheck_block_modules(const struct syscheck_context *c, const char *name, char ***mods, size_t *n);
