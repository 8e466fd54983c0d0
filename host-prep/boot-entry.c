/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one-time GRUB boot into the upgrade environment, its readiness check,
 * arming and disarming; see boot-entry.h. Its parts: grub-layout.c (where
 * GRUB reads its configuration), grub-block.c (our custom.cfg block),
 * boot-cmdline.c (the kernel command line), boot-device.c (the file system
 * holding /boot), initramfs.c (dracut), boot-common.c (what they share).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-device.h"
#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "grub-layout.h"
#include "grubenv.h"
#include "initramfs.h"
#include "log.h"
#include "paths.h"
#include "strv.h"

#define BTRFS_MAGIC 0x9123683E

/* ---- readiness ---------------------------------------------------------- */

static int check_grubenv(const char *root, const char *path, char **ret_reason) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_free_ char *full = NULL;
        int r;

        full = root_path_join(root, path);
        if (!full)
                return -ENOMEM;
        r = grubenv_read(root, path, &env);
        if (r == -ENOENT)
                return 0; /* arm creates it, as grub-editenv create would */
        if (r == -EBADMSG)
                return boot_format_reason(ret_reason, r,
                                          "%s is not a %d-byte GRUB environment block, so the one-time boot "
                                          "cannot be set in it; recreate it with 'grub2-editenv %s create' "
                                          "(grub-editenv on Debian)",
                                          full, GRUBENV_SIZE, path);
        if (r < 0)
                return boot_format_reason(ret_reason, r, "%s cannot be read: %s", full, strerror(-r));
        if (access(full, W_OK) < 0)
                return boot_format_reason(ret_reason, negative_errno(), "%s is not writable: %s", full,
                                          strerror(errno));
        r = grubenv_set(env, "next_entry", BOOT_ENTRY_ID);
        if (r == -ENOSPC)
                return boot_format_reason(ret_reason, r,
                                          "%s is full: there is no room for next_entry=%s; remove variables "
                                          "that are no longer needed with 'grub2-editenv %s unset NAME'",
                                          full, BOOT_ENTRY_ID, path);
        return r;
}

/* boot_entry_check(), and where GRUB's configuration was found in *g. */
static int check_and_find(const char *root, const char *kver, struct boot_grub *g, char **ret_reason) {
        _cleanup_free_ char *k = NULL, *cfg = NULL, *dir = NULL, *kernel = NULL;
        struct statfs sf;
        int r;

        *ret_reason = NULL;
        if (kver) {
                if (!boot_kver_valid(kver))
                        return boot_format_reason(ret_reason, -EINVAL, "'%s' is not a kernel version", kver);
                k = strdup(kver);
        } else {
                r = boot_entry_default_kver(root, &k);
                if (r == -EINVAL)
                        return boot_format_reason(ret_reason, r, "%s/boot holds more than one kernel, and "
                                                  "none was named", root_prefix(root));
                if (r == -ENOENT)
                        return boot_format_reason(ret_reason, r, "%s/boot holds no kernel (vmlinuz-*)",
                                                  root_prefix(root));
                if (r < 0)
                        return boot_format_reason(ret_reason, r, "cannot tell which kernel to boot: %s",
                                                  strerror(-r));
        }
        if (!k)
                return -ENOMEM;

        /* Before looking for grub.cfg: on EL 7 and 8 it is on the ESP. */
        if (boot_firmware_is_uefi(root)) {
                r = boot_check_esp_mounted(root, ret_reason);
                if (r < 0)
                        return r;
        }
        r = boot_grub_find(root, g, ret_reason);
        if (r < 0)
                return r;
        dir = root_path_join(root, g->grub_dir);
        if (!dir)
                return -ENOMEM;
        r = boot_read_grub_cfg(root, g->grub_dir, &cfg);
        if (r < 0)
                return boot_format_reason(ret_reason, r, "%s/grub.cfg cannot be read: %s", dir, strerror(-r));
        /* 41_custom's "source ${config_directory}/custom.cfg" and 00_header's
         * "if [ "${next_entry}" ]": without both, arming does nothing. */
        if (!strstr(cfg, "custom.cfg"))
                return boot_format_reason(ret_reason, -EOPNOTSUPP,
                                          "%s/grub.cfg does not read custom.cfg, where the upgrade entry goes "
                                          "(it was made without /etc/grub.d/41_custom); regenerate it with "
                                          "grub2-mkconfig (update-grub on Debian)",
                                          dir);
        if (!strstr(cfg, "next_entry"))
                return boot_format_reason(ret_reason, -EOPNOTSUPP,
                                          "%s/grub.cfg ignores next_entry, so it cannot boot an entry once "
                                          "(it was made without /etc/grub.d/00_header); regenerate it with "
                                          "grub2-mkconfig (update-grub on Debian)",
                                          dir);
        if (access(dir, W_OK) < 0)
                return boot_format_reason(ret_reason, negative_errno(), "%s is not writable: %s", dir,
                                          strerror(errno));
        r = check_grubenv(root, g->grubenv, ret_reason);
        if (r == 0)
                r = boot_check_esp_space(root, g, ret_reason);
        if (r < 0)
                return r;

        if (asprintf(&kernel, "/boot/vmlinuz-%s", k) < 0)
                return -ENOMEM;
        if (!boot_exists_in_root(root, kernel, S_IFREG))
                return boot_format_reason(ret_reason, -ENOENT, "the kernel %s%s is missing",
                                          root_prefix(root), kernel);
        /* GRUB refuses save_env on btrfs: next_entry would never be
         * cleared, and every boot would be an upgrade boot. */
        if (strcmp(root, "/") == 0 && statfs("/boot", &sf) == 0 && (uint32_t) sf.f_type == BTRFS_MAGIC)
                return boot_format_reason(ret_reason, -EOPNOTSUPP,
                                          "/boot is on btrfs, where GRUB cannot clear a one-time boot entry "
                                          "after using it");
        return strcmp(root, "/") == 0 ? boot_check_dracut(ret_reason) : 0;
}

int boot_entry_check(const char *root, const char *kver, char **ret_reason) {
        _cleanup_(boot_grub_done) struct boot_grub g = {};

        return check_and_find(root, kver, &g, ret_reason);
}

/* ---- arm ----------------------------------------------------------------- */

static int join_path(char **ret, const char *dir, const char *name) {
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

/* The custom.cfg block that boots kver with image. */
static int make_block(const char *root, const struct boot_entry_spec *spec, const char *kver, const char *image,
                      const char *grub_dir, char **ret) {
        _cleanup_free_ char *proc_cmdline = NULL, *cmdline = NULL, *uuid = NULL, *kernel = NULL,
                            *kernel_grub = NULL, *image_grub = NULL, *cfg = NULL;
        struct boot_entry_params p;
        const char *base = spec->cmdline;
        int r;

        if (!base) {
                /* The running kernel's; for another root PROC's, which is
                 * ROOT/proc unless $OSLIFT_PROC says otherwise. */
                _cleanup_free_ char *proc = boot_proc_or_sys(root, "OSLIFT_PROC", "/proc");
                if (!proc)
                        return -ENOMEM;
                r = boot_read_file(proc, "/cmdline", 65536, &proc_cmdline, NULL, NULL);
                if (r < 0) {
                        log_error_errno(r, "cannot read %s/cmdline", proc);
                        if (strcmp(root, "/") != 0)
                                log_error("the kernel command line for the upgrade boot of %s is read from "
                                          "%s/cmdline: write it there, or set OSLIFT_PROC", root, proc);
                        return r;
                }
                base = proc_cmdline;
        }
        r = boot_entry_make_cmdline(base, spec->extra_args, &cmdline);
        if (r < 0)
                return r;

        if (spec->fs_uuid) {
                uuid = strdup(spec->fs_uuid);
                if (!uuid)
                        return -ENOMEM;
        } else if (strcmp(root, "/") == 0 && boot_probe_fs_uuid(&uuid) < 0)
                log_debug("the UUID of the file system holding /boot is unknown; the entry finds it by %s",
                          image);

        if (asprintf(&kernel, "/boot/vmlinuz-%s", kver) < 0)
                return -ENOMEM;
        r = boot_grub_path(root, kernel, &kernel_grub);
        if (r == 0)
                r = boot_grub_path(root, image, &image_grub);
        if (r < 0)
                return log_error_errno(r, "cannot examine %s/boot", root_prefix(root));
        r = boot_read_grub_cfg(root, grub_dir, &cfg);
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s/grub.cfg", root_prefix(root), grub_dir);

        p = (struct boot_entry_params) { .kver = kver, .kernel = kernel_grub, .initrd = image_grub,
                                    .cmdline = cmdline, .fs_uuid = uuid };
        boot_entry_linux_commands(cfg, &p.linux_cmd, &p.initrd_cmd);
        return boot_entry_format_block(&p, ret);
}

static int arm(const char *root, const struct boot_entry_spec *spec, bool *ret_changed) {
        _cleanup_free_ char *kver = NULL, *image = NULL, *reason = NULL, *block = NULL, *custom_path = NULL,
                            *env_path = NULL, *old_custom = NULL, *new_custom = NULL;
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_(boot_record_done) struct boot_record rec = {};
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        size_t old_size = 0, new_size = 0;
        /* Only GRUB reads it, and root writes it. */
        mode_t custom_mode = 0600;
        bool fresh, custom_existed;
        const char *grub_dir;
        int r;

        r = boot_resolve_kver(root, spec->kver, &kver);
        if (r < 0)
                return r;
        if (spec->initramfs)
                image = strdup(spec->initramfs);
        else if (asprintf(&image, "/boot/" IMAGE_PREFIX "%s" IMAGE_SUFFIX, kver) < 0)
                image = NULL;
        if (!image)
                return -ENOMEM;
        if (!boot_path_valid(image)) {
                log_error("the upgrade initramfs must be a plain path below /boot, not '%s'", image);
                return -EINVAL;
        }
        if (!boot_exists_in_root(root, image, S_IFREG)) {
                log_error("the upgrade initramfs %s%s does not exist; build it first",
                          root_prefix(root), image);
                return -ENOENT;
        }
        if (spec->fs_uuid && !boot_uuid_valid(spec->fs_uuid)) {
                log_error("'%s' is not a file system UUID", spec->fs_uuid);
                return -EINVAL;
        }
        r = check_and_find(root, kver, &g, &reason);
        if (r < 0) {
                log_error("cannot arm the upgrade boot: %s", reason ?: strerror(-r));
                return r;
        }
        grub_dir = g.grub_dir;
        r = make_block(root, spec, kver, image, grub_dir, &block);
        if (r < 0)
                return r;

        /* How things are, unless an earlier arm recorded how they were. */
        r = boot_record_read(root, &rec);
        if (r == -EBADMSG) {
                log_error("%s%s is not a record this oslift wrote; run 'host-prep cancel' first",
                          root_prefix(root), BOOT_ENTRY_RECORD);
                return r;
        }
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s", BOOT_ENTRY_RECORD);
        fresh = r == -ENOENT;

        r = join_path(&custom_path, grub_dir, "custom.cfg");
        if (r < 0)
                return r;
        env_path = strdup(g.grubenv);
        if (!env_path)
                return -ENOMEM;
        r = boot_read_file(root, custom_path, CUSTOM_CFG_MAX, &old_custom, &old_size, &custom_mode);
        custom_existed = r == 0;
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s%s", root_prefix(root), custom_path);
        r = boot_entry_compose_custom(old_custom ?: "", old_size, block, &rec, fresh, &new_custom, &new_size);
        if (r == -EBADMSG) {
                log_error("%s%s has a '%s' line without its '%s': remove that block by hand",
                          root_prefix(root), custom_path, BOOT_ENTRY_BEGIN_MARKER, BOOT_ENTRY_END_MARKER);
                return r;
        }
        if (r < 0)
                return r;

        r = grubenv_read_or_new(root, env_path, &env);
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s", root_prefix(root), env_path);
        if (fresh) {
                const char *prev = grubenv_get(env, "next_entry");
                rec.custom_cfg_existed = custom_existed;
                rec.grubenv_existed = r > 0;
                /* Ours from an arm whose record is gone is no "before". */
                rec.next_entry_was_set = prev && strcmp(prev, BOOT_ENTRY_ID) != 0;
                rec.next_entry = strdup(rec.next_entry_was_set ? prev : "");
        }
        r = grubenv_set(env, "next_entry", BOOT_ENTRY_ID);
        if (r < 0)
                return log_error_errno(r, "cannot set next_entry in %s%s", root_prefix(root), env_path);

        free(rec.grub_dir);
        free(rec.grubenv);
        free(rec.kver);
        free(rec.initramfs);
        rec.grub_dir = strdup(grub_dir);
        rec.grubenv = strdup(env_path);
        rec.kver = strdup(kver);
        rec.initramfs = strdup(image);
        rec.initramfs_built = spec->initramfs_built || !spec->initramfs;
        if (!rec.grub_dir || !rec.grubenv || !rec.kver || !rec.initramfs || !rec.next_entry)
                return -ENOMEM;

        /* Record first, switch last: whatever step fails, disarm knows
         * what to undo and nothing boots into a half-made entry. */
        r = boot_record_write(root, &rec);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", BOOT_ENTRY_RECORD);
        *ret_changed = true;
        r = write_file_atomic(root, custom_path, new_custom, new_size, custom_mode);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), custom_path);
        r = grubenv_write(root, env_path, env);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), env_path);
        log_debug("armed the one-time boot: entry '%s' in %s, next_entry in %s", BOOT_ENTRY_ID, custom_path,
                  env_path);
        return 0;
}

int boot_entry_arm(const char *root, const struct boot_entry_spec *spec) {
        bool changed = false;
        int r = arm(root, spec, &changed);

        if (r < 0 && changed && boot_entry_disarm(root) < 0)
                log_error("the half-armed upgrade boot could not be undone; run 'host-prep cancel'");
        return r;
}

/* ---- disarm -------------------------------------------------------------- */

static int disarm_custom(const char *root, const char *grub_dir, const struct boot_record *rec) {
        _cleanup_free_ char *path = NULL, *full = NULL, *text = NULL;
        size_t size = 0, begin, end;
        bool removed = false, at_end = false;
        mode_t mode;
        int r;

        if (join_path(&path, grub_dir, "custom.cfg") < 0)
                return -ENOMEM;
        full = root_path_join(root, path);
        if (!full)
                return -ENOMEM;
        r = boot_read_file(root, path, CUSTOM_CFG_MAX, &text, &size, &mode);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "cannot read %s", full);
        while ((r = boot_entry_find_block(text, size, &begin, &end)) > 0) {
                at_end = end == size;
                memmove(text + begin, text + end, size - end + 1);
                size -= end - begin;
                removed = true;
        }
        if (r < 0) {
                log_error("%s has a '%s' line without its '%s': remove that block by hand", full,
                          BOOT_ENTRY_BEGIN_MARKER, BOOT_ENTRY_END_MARKER);
                return r;
        }
        if (!removed)
                return 0;
        /* The newline arm added to end someone's last line. */
        if (rec && rec->newline_added && at_end && size > 0 && text[size - 1] == '\n')
                text[--size] = '\0';
        if (size == 0 && !(rec && rec->custom_cfg_existed)) {
                if (unlink(full) < 0 && errno != ENOENT)
                        return log_error_errno(negative_errno(), "cannot remove %s", full);
                return 0;
        }
        r = write_file_atomic(root, path, text, size, mode);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", full);
        return 0;
}

static int unlink_in_root(const char *root, const char *path) {
        _cleanup_free_ char *full = root_path_join(root, path);

        if (!full)
                return -ENOMEM;
        if (unlink(full) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot remove %s", full);
        return 0;
}

/* The images oslift built: the recorded one, and any /boot/IMAGE_PREFIX*
 * IMAGE_SUFFIX (from an arm whose record is gone) except the operator's own
 * image of --boot-initramfs, which is never removed. */
static int remove_images(const char *root, const struct boot_record *rec) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *boot = root_path_join(root, "/boot");
        const char *theirs = NULL;
        struct dirent *de;
        int r = 0, k;

        if (!boot)
                return -ENOMEM;
        if (rec && rec->initramfs && boot_path_valid(rec->initramfs)) {
                if (rec->initramfs_built)
                        r = unlink_in_root(root, rec->initramfs);
                else if (strncmp(rec->initramfs, "/boot/", strlen("/boot/")) == 0 &&
                         !strchr(rec->initramfs + strlen("/boot/"), '/'))
                        theirs = rec->initramfs + strlen("/boot/");
        }
        d = opendir(boot);
        if (!d)
                return errno == ENOENT ? r : log_error_errno(negative_errno(), "cannot read %s", boot);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (strncmp(de->d_name, IMAGE_PREFIX, strlen(IMAGE_PREFIX)) != 0 || n < strlen(IMAGE_SUFFIX) ||
                    strcmp(de->d_name + n - strlen(IMAGE_SUFFIX), IMAGE_SUFFIX) != 0 ||
                    (theirs && strcmp(de->d_name, theirs) == 0))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
                        k = log_error_errno(negative_errno(), "cannot remove %s/%s", boot, de->d_name);
                        if (r == 0)
                                r = k;
                }
        }
        return r;
}

int boot_entry_disarm(const char *root) {
        _cleanup_(boot_record_done) struct boot_record rec = {};
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_free_ char *reason = NULL, *fallback_env = NULL;
        const struct boot_record *have = NULL;
        const char *grub_dir = NULL, *grubenv = NULL;
        int r, k;

        r = boot_record_read(root, &rec);
        if (r == 0)
                have = &rec;
        else if (r != -ENOENT)
                log_warning("%s%s cannot be read (%s); removing what is recognisably oslift's",
                            root_prefix(root), BOOT_ENTRY_RECORD, strerror(-r));

        if (have) {
                grub_dir = rec.grub_dir;
                grubenv = rec.grubenv;
        } else if (boot_grub_find(root, &g, &reason) == 0) {
                grub_dir = g.grub_dir;
                grubenv = g.grubenv;
        } else
                /* grub.cfg went away: what is recognisably ours may not. */
                for (size_t i = 0; !grub_dir && boot_grub_dirs[i]; i++)
                        if (boot_exists_in_root(root, boot_grub_dirs[i], S_IFDIR) &&
                            asprintf(&fallback_env, "%s/grubenv", boot_grub_dirs[i]) >= 0) {
                                grub_dir = boot_grub_dirs[i];
                                grubenv = fallback_env;
                        }
        r = 0;
        /* The switch first: once it is off, nothing boots into the rest. */
        if (grub_dir) {
                r = boot_switch_off(root, grubenv, have);
                k = disarm_custom(root, grub_dir, have);
                if (r == 0)
                        r = k;
        }
        if (r < 0)
                return r; /* the record and the image stay for the next try: the entry may still boot */
        r = remove_images(root, have);
        if (r < 0)
                return r;
        r = unlink_in_root(root, BOOT_ENTRY_RECORD);
        if (r == 0 && have)
                log_debug("disarmed the one-time upgrade boot");
        return r;
}
