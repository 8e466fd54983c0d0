/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chase.h"
#include "fsutil.h"
#include "paths.h"
#include "record.h"
#include "restore-record.h"

#define RECORD_MAX 4096
#define SEP '='

int selinux_config_mode(const char *root, char *buf, size_t size) {
        char line[512];
        _cleanup_fclose_ FILE *f = NULL;

        *buf = '\0';
        f = fopen_in_root(root, "/etc/selinux/config", 0);
        if (!f)
                return errno == ENOENT ? 0 : negative_errno();
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "SELINUX=", 8) == 0)
                        snprintf(buf, size, "%.*s", (int) strcspn(line + 8, " \t\r\n#"), line + 8);
        return 0;
}

int restore_record_write(const char *root, const char *source_backend, const char *target_backend) {
        _cleanup_free_ char *text = NULL;
        char selinux[16];
        size_t size = 0;
        FILE *out;
        int r = selinux_config_mode(root, selinux, sizeof(selinux));

        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        record_put(out, SEP, "selinux", selinux);
        record_put(out, SEP, "source-backend", source_backend);
        record_put(out, SEP, "target-backend", target_backend);
        if (fclose(out) != 0)
                return -ENOMEM;
        return write_file_atomic(root, OSLIFT_RESTORE_FILE, text, size, 0600);
}

static bool one_of(const char *value, const char *const *allowed) {
        for (; *allowed; allowed++)
                if (strcmp(value, *allowed) == 0)
                        return true;
        return false;
}

/* Restore acts on these values (sets the SELinux mode, rebuilds the rpmdb
 * with that backend): anything stage would not have written is damage. */
static bool record_is_valid(const struct restore_record *r) {
        static const char *const modes[] = { "", "enforcing", "permissive", "disabled", NULL };
        static const char *const backends[] = { "", "bdb", "ndb", "sqlite", NULL };

        return one_of(r->selinux, modes) && one_of(r->source_backend, backends) &&
               one_of(r->target_backend, backends);
}

/* The fields of text (changed in place), as restore_record_write() puts
 * them. */
static int parse_text(char *text, struct restore_record *ret) {
        struct restore_record r = {};
        char *key, *value, *p = text;
        int k;

        while ((k = record_next(&p, SEP, &key, &value)) > 0) {
                if (strcmp(key, "selinux") == 0)
                        snprintf(r.selinux, sizeof(r.selinux), "%s", value);
                else if (strcmp(key, "source-backend") == 0)
                        snprintf(r.source_backend, sizeof(r.source_backend), "%s", value);
                else if (strcmp(key, "target-backend") == 0)
                        snprintf(r.target_backend, sizeof(r.target_backend), "%s", value);
        }
        if (k < 0 || !record_is_valid(&r))
                return -EBADMSG;
        *ret = r;
        return 0;
}

int restore_record_parse(const char *text, size_t len, struct restore_record *ret) {
        _cleanup_free_ char *copy = NULL;
        int r = record_copy_text(text, len, &copy);

        if (r < 0)
                return r;
        return parse_text(copy, ret);
}

int restore_record_read(const char *root, struct restore_record *ret) {
        _cleanup_free_ char *text = NULL;
        int r = record_read_file(root, OSLIFT_RESTORE_FILE, RECORD_MAX, &text);

        if (r < 0)
                return r;
        return parse_text(text, ret);
}
