/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root's /etc/fstab: network file systems the upgrade boot does not
 * mount (network-mount; network-mount-written, a blocker, when a target
 * package installs files below one) and noexec where scriptlets run
 * (noexec-mount: a blocker for /usr, a warning for /var and /tmp).
 */
#include <rpm/rpmfi.h>
#include <stdio.h>
#include <string.h>

#include "syscheck.h"

static const char *const network_types[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs",
                                             "ceph", "fuse.glusterfs", "fuse.sshfs", "9p", NULL };

static bool is_network(const char *type) {
        for (size_t i = 0; network_types[i]; i++)
                if (strcmp(type, network_types[i]) == 0)
                        return true;
        return false;
}

static bool has_option(const char *opts, const char *opt) {
        size_t len = strlen(opt);

        for (const char *p = opts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, opt, len) == 0 && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

/* Whether path is dir or below it. */
static bool is_below(const char *path, const char *dir) {
        size_t len = strlen(dir);

        while (len > 1 && dir[len - 1] == '/')
                len--;
        return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* The first target file below dir, and how many there are. */
static size_t files_below(const struct syscheck_context *c, const char *dir, char **first) {
        size_t n = 0;

        *first = NULL;
        for (size_t i = 0; i < c->n_targets; i++) {
                rpmfi fi = rpmfiNew(NULL, c->targets[i], RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                while (fi && rpmfiNext(fi) >= 0)
                        if (is_below(rpmfiFN(fi), dir) && strcmp(rpmfiFN(fi), dir) != 0) {
                                if (n++ == 0 && !(*first = strdup(rpmfiFN(fi))))
                                        abort();
                        }
                rpmfiFree(fi);
        }
        return n;
}

void syscheck_mounts(struct syscheck_context *c) {
        _cleanup_free_ char *fstab = NULL;

        if (syscheck_read(c->root, "etc/fstab", &fstab) < 0)
                return; /* a chroot or image without one: nothing to mount */
        for (char *l = strtok(fstab, "\n"); l; l = strtok(NULL, "\n")) {
                char spec[4096], dir[4096], type[256], opts[4096];

                if (sscanf(l, " %4095s %4095s %255s %4095s", spec, dir, type, opts) != 4 || spec[0] == '#')
                        continue;
                if (is_network(type)) {
                        _cleanup_free_ char *first = NULL;
                        size_t n = files_below(c, dir, &first);
                        if (n > 0) {
                                findings_add(c->findings, SEVERITY_BLOCKER, "network-mount-written",
                                             "the upgrade boot mounts no network file systems: what the "
                                             "transaction installs below this mount point lands on the file "
                                             "system beneath it, hidden once the share is mounted again",
                                             "move the packages' files off the share (make it a local file "
                                             "system for the upgrade), or mount the share elsewhere",
                                             "%s (%s) is a network mount, and the target installs %zu files "
                                             "below it, such as %s", dir, type, n, first);
                                findings_set_subject(c->findings, dir);
                        }
                        findings_add(c->findings, SEVERITY_WARNING, "network-mount",
                                     "the upgrade boot has no network and does not mount network file "
                                     "systems: what lives there is not there during the upgrade, and "
                                     "services that need it start after it only if it mounts again",
                                     "make sure no package keeps files or scriptlet inputs there; mark it "
                                     "_netdev,nofail so the new release boots without it",
                                     "%s is a %s network file system (%s)", dir, type, spec);
                        findings_set_subject(c->findings, dir);
                }
                if (has_option(opts, "noexec") &&
                    (strcmp(dir, "/usr") == 0 || strcmp(dir, "/var") == 0 || strcmp(dir, "/tmp") == 0 ||
                     strcmp(dir, "/var/tmp") == 0)) {
                        bool usr = strcmp(dir, "/usr") == 0;
                        findings_add(c->findings, usr ? SEVERITY_BLOCKER : SEVERITY_WARNING, "noexec-mount",
                                     usr ? "the upgrade mounts /usr as fstab says: with noexec no program "
                                           "there runs, so every scriptlet fails"
                                         : "the upgrade mounts it as fstab says: scriptlets and the tools "
                                           "they run may execute helpers from there and fail",
                                     "remove noexec from the entry in /etc/fstab for the upgrade (and put it "
                                     "back afterwards), or accept it with --accept noexec-mount",
                                     "%s is mounted noexec", dir);
                        findings_set_subject(c->findings, dir);
                }
        }
}
