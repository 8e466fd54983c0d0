/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "log.h"
#include "strv.h"

/* Every blocker id check and stage report, and whether it can be accepted. */
static const struct {
        const char *id;
        bool acceptable;
        const char *why; /* why it cannot be, or what accepting it means */
} blockers[] = {
        /* The transaction itself: the upgrader repeats these and refuses. */
        { "rpmdb-missing", false, "without an rpm database nothing can be upgraded" },
        { "rpmdb-unreadable", false, "without an rpm database nothing can be upgraded" },
        { "package-checksum", false, "a package that is not what was verified could corrupt the system" },
        { "package-verification", false, "a damaged or unsigned package could corrupt the system" },
        { "package-unreadable", false, "librpm cannot install what it cannot read" },
        { "repodata-damaged", false, "the repository's metadata cannot be trusted" },
        { "unsolvable", false, "the package set would leave the system broken" },
        { "downgrade", false, "use --allow-downgrade to mean it" },
        { "no-packages", false, "there is nothing to upgrade to" },
        { "erase-not-installed", false, "the --erase name is wrong" },
        { "unresolved-dependency", false, "the upgrader's own check would refuse the transaction" },
        { "package-conflict", false, "the upgrader's own check would refuse the transaction" },
        { "file-conflict", false, "one package would overwrite another's files" },
        { "disk-space", false, "a transaction that runs out of space leaves a half-upgraded system" },
        { "transaction-problem", false, "the upgrader's own check would refuse the transaction" },
        { "staging-space", false, "the packages would not fit where they are staged" },
        { "undo-space", false, "the undo set would fill the file system during the upgrade: stage "
                               "--rollback=none to upgrade without it" },
        { "boot-entry", false, "without the boot entry the upgrade never runs" },
        { "boot-space", false, "without the initramfs the upgrade never runs" },
        /* The system-level checks (syscheck-*.c). */
        { "root-driver-missing", false, "the new kernel could not find the root file system: unbootable" },
        { "storage-unassemblable", false, "the upgrade boot could not reach the root file system" },
        { "network-mount-written", false,
          "files written below an unmounted network mount point are lost from view once it is mounted" },
        { "dir-symlink-conflict", false, "rpm cannot replace a directory by a symlink: the transaction fails" },
        { "architecture-mismatch", false, "packages of another architecture do not run here: unbootable" },
        { "memory-low", true, "the upgrade boot may run out of memory and reboot into the old system" },
        { "noexec-mount", true, "scriptlets may fail to run; the packages are installed regardless" },
        { "fips-enabled", true, "the target's FIPS mode must be set up again after the upgrade" },
        { "storage-network-root", true, "the upgrade boot must bring up the network to reach the root" },
};

bool accept_id_acceptable(const char *id, const char **why) {
        for (size_t i = 0; i < ELEMENTSOF(blockers); i++)
                if (strcmp(blockers[i].id, id) == 0) {
                        if (why)
                                *why = blockers[i].why;
                        return blockers[i].acceptable;
                }
        if (why)
                *why = "it is not a finding that can be accepted";
        return false;
}

/* Whether the id of spec (up to ':' or its end) is s. */
static bool spec_id_is(const char *spec, const char *id) {
        size_t len = strcspn(spec, ":");
        return strlen(id) == len && strncmp(spec, id, len) == 0;
}

int accept_validate(const char *spec, const char *source) {
        size_t len = strcspn(spec, ":");
        const char *why;

        if (len == 0 || strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
            (spec[len] == ':' && spec[len + 1] == '\0')) {
                log_error("%s '%s': expected ID or ID:SUBJECT, a finding's id as check prints it "
                          "(e.g. kernel-module-missing:floppy)", source, spec);
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(blockers); i++)
                if (spec_id_is(spec, blockers[i].id) && !accept_id_acceptable(blockers[i].id, &why)) {
                        log_error("%s '%s': the blocker %s cannot be accepted (%s); resolve it instead",
                                  source, spec, blockers[i].id, why);
                        return -EPERM;
                }
        return 0;
}

int accept_read_file(const char *path, char ***v, size_t *n) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned lineno = 0;
        ssize_t len;

        if (!f)
                return log_error_errno(negative_errno(), "--accept-file %s: cannot open", path);
        while ((len = getline(&line, &size, f)) >= 0) {
                char source[PATH_MAX + 32], *s = line, *e;
                int r;

                lineno++;
                if (memchr(line, '\0', (size_t) len)) {
                        log_error("--accept-file %s:%u: not a text file", path, lineno);
                        return -EINVAL;
                }
                s[strcspn(s, "#")] = '\0';
                s += strspn(s, " \t\r\n");
                e = s + strlen(s);
                while (e > s && strchr(" \t\r\n", e[-1]))
                        *--e = '\0';
                if (*s == '\0')
                        continue;
                snprintf(source, sizeof(source), "--accept-file %s:%u:", path, lineno);
                r = accept_validate(s, source);
                if (r < 0)
                        return r;
                if (strv_push(v, n, s) < 0)
                        return log_error_errno(-ENOMEM, "--accept-file %s", path);
        }
        if (ferror(f))
                return log_error_errno(-EIO, "--accept-file %s: cannot read", path);
        return 0;
}

static bool matches(const struct finding *x, const char *spec) {
        const char *colon = strchr(spec, ':');

        if (!spec_id_is(spec, x->id))
                return false;
        return !colon || (x->subject && strcmp(colon + 1, x->subject) == 0);
}

void accept_mark(struct findings *f, char *const *accepts, size_t n) {
        for (size_t i = 0; i < f->n; i++) {
                struct finding *x = &f->items[i];
                if (x->severity == SEVERITY_INFO || !x->acceptable)
                        continue;
                for (size_t k = 0; k < n; k++)
                        if (matches(x, accepts[k]))
                                x->accepted = true;
        }
}

void accept_note_unused(struct findings *f, char *const *accepts, size_t n) {
        for (size_t k = 0; k < n; k++) {
                bool used = false;
                for (size_t i = 0; i < f->n && !used; i++)
                        used = f->items[i].accepted && matches(&f->items[i], accepts[k]);
                if (!used) {
                        findings_add(f, SEVERITY_INFO, "accept-unused", "", "",
                                     "--accept %s matches no finding of this check", accepts[k]);
                        findings_set_subject(f, accepts[k]);
                }
        }
}
