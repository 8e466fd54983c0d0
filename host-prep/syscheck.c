/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry of the system-level checks and what they share. */
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "log.h"
#include "syscheck.h"

#define SYSCHECK_READ_MAX (1u << 20)

static void (*const registry[])(struct syscheck_context *c) = {
        syscheck_release,   syscheck_memory,  syscheck_kernel,  syscheck_modules,     syscheck_storage,
        syscheck_mounts,    syscheck_network, syscheck_selinux, syscheck_fips,        syscheck_secure_boot,
        syscheck_signatures, syscheck_repos,  syscheck_dir_symlink,
};

char *syscheck_path(const char *base, const char *rel) {
        char *p = NULL;

        while (*rel == '/')
                rel++;
        if (asprintf(&p, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", rel) < 0)
                abort();
        return p;
}

int syscheck_read(const char *base, const char *rel, char **ret) {
        _cleanup_free_ char *path = syscheck_path(base, rel);
        size_t len;
        int r;

        /* Symlinks followed: /proc/mounts is one. A FIFO planted in a root
         * does not hang the check. What is beyond 1 MiB is not looked at. */
        r = read_regular_file_full(path, SYSCHECK_READ_MAX, READ_TRUNCATE | READ_NUL_TERMINATE, ret, &len);
        return r < 0 ? r : (int) len;
}

char *syscheck_read_line(const char *base, const char *rel) {
        char *text = NULL;

        if (syscheck_read(base, rel, &text) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        return text;
}

char *syscheck_env_value(const char *text, const char *key) {
        size_t klen = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                size_t len = strcspn(l, "\n");
                l += strspn(l, " \t");
                if (strncmp(l, key, klen) != 0 || l[klen] != '=')
                        continue;
                const char *v = l + klen + 1;
                len = strcspn(v, "\n");
                while (len > 0 && strchr(" \t\r", v[len - 1]))
                        len--;
                if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                        v++;
                        len -= 2;
                }
                char *r = strndup(v, len);
                if (!r)
                        abort();
                return r;
        }
        return NULL;
}

int syscheck_payload_read(const struct syscheck_context *c, size_t i, bool (*match)(const char *path), size_t max,
                          char **ret, size_t *ret_size) {
        const char *path = c->target_paths ? c->target_paths[i] : NULL;
        rpmts ts;
        FD_t fd, payload = NULL;
        Header h = NULL;
        rpmfiles files = NULL;
        rpmfi fi = NULL;
        char flags[64];
        int r = -ENOENT;

        if (!path || !(fd = Fopen(path, "r.ufdio")))
                return -ENOENT;
        ts = rpmtsCreate();
        rpmtsSetVSFlags(ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
        if (rpmReadPackageFile(ts, fd, path, &h) == RPMRC_FAIL || !h) {
                Fclose(fd);
                goto done;
        }
        snprintf(flags, sizeof(flags), "r.%s", headerGetString(h, RPMTAG_PAYLOADCOMPRESSOR) ?: "gzip");
        payload = Fdopen(fd, flags);
        if (!payload) {
                Fclose(fd);
                goto done;
        }
        files = rpmfilesNew(NULL, h, 0, RPMFI_KEEPHEADER);
        fi = files ? rpmfiNewArchiveReader(payload, files, RPMFI_ITER_READ_ARCHIVE) : NULL;
        while (fi && rpmfiNext(fi) >= 0) {
                size_t size = (size_t) rpmfiFSize(fi), want;
                char *buf;

                if (!match(rpmfiFN(fi)) || !S_ISREG(rpmfiFMode(fi)))
                        continue;
                want = size < max ? size : max;
                buf = malloc(want + 1);
                if (!buf)
                        abort();
                if (rpmfiArchiveRead(fi, buf, want) != (ssize_t) want) {
                        free(buf);
                        r = -EIO;
                        break;
                }
                buf[want] = '\0';
                *ret = buf;
                *ret_size = size;
                r = (int) want;
                break; /* the first: no need to decompress the rest */
        }
done:
        rpmfiFree(fi);
        rpmfilesFree(files);
        if (payload)
                Fclose(payload);
        headerFree(h);
        rpmtsFree(ts);
        return r;
}

Header syscheck_target_named(const struct syscheck_context *c, const char *name) {
        for (size_t i = 0; i < c->n_targets; i++)
                if (strcmp(headerGetString(c->targets[i], RPMTAG_NAME), name) == 0)
                        return c->targets[i];
        return NULL;
}

void syschecks_run_context(struct syscheck_context *c) {
        for (size_t i = 0; i < ELEMENTSOF(registry); i++)
                registry[i](c);
}

/* $VAR, else ROOT/dir. */
static char *proc_or_sys(const char *root, const char *var, const char *dir) {
        const char *e = getenv(var);
        char *p;

        if (e && *e) {
                p = strdup(e);
                if (!p)
                        abort();
                return p;
        }
        return syscheck_path(root, dir);
}

int syschecks_run(const char *root, rpmts ts, char *const *target_paths, size_t n_targets,
                  char *const *source_key_ids, size_t n_source_key_ids, bool source_keys_given,
                  const struct verdicts *verdicts, struct findings *f) {
        struct syscheck_context c = {
                .root = root, .ts = ts, .findings = f, .source_key_ids = source_key_ids,
                .n_source_key_ids = n_source_key_ids, .source_keys_given = source_keys_given,
                .verdicts = verdicts,
                .proc = proc_or_sys(root, "OSLIFT_PROC", "proc"),
                .sys = proc_or_sys(root, "OSLIFT_SYSFS", "sys"),
        };
        rpmts reader = rpmtsCreate();

        c.targets = calloc(n_targets + 1, sizeof(Header));
        c.target_paths = calloc(n_targets + 1, sizeof(char *));
        if (!c.targets || !c.target_paths)
                abort();
        /* Verified already: only the headers are wanted here. */
        rpmtsSetVSFlags(reader, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
        for (size_t i = 0; i < n_targets; i++) {
                FD_t fd = Fopen(target_paths[i], "r.ufdio");
                Header h = NULL;
                if (fd && rpmReadPackageFile(reader, fd, target_paths[i], &h) != RPMRC_FAIL && h) {
                        c.target_paths[c.n_targets] = target_paths[i];
                        c.targets[c.n_targets++] = h;
                }
                if (fd)
                        Fclose(fd);
        }
        rpmtsFree(reader);

        syschecks_run_context(&c);

        for (size_t i = 0; i < c.n_targets; i++)
                headerFree(c.targets[i]);
        free(c.targets);
        free(c.target_paths);
        free(c.proc);
        free(c.sys);
        return 0;
}
