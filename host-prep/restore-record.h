/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the first boot of the new system must put back, recorded by stage
 * (OSLIFT_RESTORE_FILE, "key=value" lines, as record.h writes them) and read
 * by restore.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Module streams to enable on the new system: at most this many, each
 * "NAME:STREAM" shorter than RESTORE_MODULE_MAX. */
#define RESTORE_MODULES_MAX 64
#define RESTORE_MODULE_MAX 200

struct restore_record {
        char selinux[16];        /* SELINUX= of /etc/selinux/config: enforcing, permissive, disabled; "" if none */
        char source_backend[16]; /* rpmdb format before the upgrade */
        char target_backend[16]; /* rpmdb format the target's rpm uses natively */
        /* "module=NAME:STREAM" lines: the streams stage enabled that the
         * system had not (--module-stream, what they require), for
         * restore to write /etc/dnf/modules.d/NAME.module as dnf module
         * enable does. */
        char modules[RESTORE_MODULES_MAX][RESTORE_MODULE_MAX];
        size_t n_modules;
};

/* Whether s is a NAME:STREAM a record may hold: one colon, each side
 * letters, digits and "._+-", not starting with "." or "-". */
bool restore_module_valid(const char *s);

/* The SELINUX= value of root's /etc/selinux/config; "" when there is none. */
int selinux_config_mode(const char *root, char *buf, size_t size);

/* modules: NAME:STREAM each (restore_module_valid()); -EINVAL otherwise
 * or beyond RESTORE_MODULES_MAX. */
int restore_record_write(const char *root, const char *source_backend, const char *target_backend,
                         char *const *modules, size_t n_modules);
int restore_record_read(const char *root, struct restore_record *ret);
/* The same from len bytes of the file's text (need not be NUL-terminated):
 * -EBADMSG for a line without '=', -ENOMEM. */
int restore_record_parse(const char *text, size_t len, struct restore_record *ret);

/*
 * The new kernel's trial boot (OSLIFT_KERNEL_TRIAL_FILE, the same
 * "key=value" lines), written by restore when it made the new kernel
 * GRUB's one-time entry and left the old one the default, read by restore
 * on the next boot (and by status): pending until that boot tells whether
 * the new kernel came up; failed when it did not (the record stays, for
 * status); removed once the new kernel is the default.
 */
enum kernel_trial_result {
        KERNEL_TRIAL_PENDING,
        KERNEL_TRIAL_FAILED,
        _KERNEL_TRIAL_INVALID,
};

#define KERNEL_TRIAL_FIELD_MAX 256

struct kernel_trial {
        char kernel[KERNEL_TRIAL_FIELD_MAX];     /* the new kernel's release, as uname -r says it */
        char entry[KERNEL_TRIAL_FIELD_MAX];      /* its GRUB menu entry (the BLS snippet's id) */
        char old_kernel[KERNEL_TRIAL_FIELD_MAX]; /* the kernel that stays the default meanwhile */
        char booted[KERNEL_TRIAL_FIELD_MAX];     /* failed: the kernel the trial's boot ran instead */
        enum kernel_trial_result result;
};

/* -EINVAL for a field that is empty (booted: unless pending), too long or
 * holds a newline. */
int kernel_trial_write(const char *root, const struct kernel_trial *t);
/* -ENOENT when there is none, -EBADMSG for anything the writer would not
 * have written. */
int kernel_trial_read(const char *root, struct kernel_trial *ret);
int kernel_trial_parse(const char *text, size_t len, struct kernel_trial *ret);
