/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the first boot of the new system must put back, recorded by stage
 * (OSLIFT_RESTORE_FILE, "key=value" lines, as record.h writes them) and read
 * by restore.
 */
#pragma once

#include <stddef.h>

struct restore_record {
        char selinux[16];        /* SELINUX= of /etc/selinux/config: enforcing, permissive, disabled; "" if none */
        char source_backend[16]; /* rpmdb format before the upgrade */
        char target_backend[16]; /* rpmdb format the target's rpm uses natively */
};

/* The SELINUX= value of root's /etc/selinux/config; "" when there is none. */
int selinux_config_mode(const char *root, char *buf, size_t size);

int restore_record_write(const char *root, const char *source_backend, const char *target_backend);
int restore_record_read(const char *root, struct restore_record *ret);
/* The same from len bytes of the file's text (need not be NUL-terminated):
 * -EBADMSG for a line without '=', -ENOMEM. */
int restore_record_parse(const char *text, size_t len, struct restore_record *ret);
