/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot mode, step by step. Every step is logged with the time it took, on
 * the console and in /dev/kmsg as well as in the journal, because the
 * console is what an admin of a machine that does not come back sees.
 *
 * Until apply_plan() starts the transaction nothing of the system changes
 * but for mounts (and their mount points); from then on apply_plan() keeps
 * upgrade.log and status.json. What we log ourselves
 * (mounting, the steps around apply_plan) is kept in memory and written to
 * /var/log/oslift/boot.log at the end, or, when no disk takes it, dumped on
 * the console (docs/serial-dump.md).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "boot.h"
#include "cmdline.h"
#include "console.h"
#include "fsutil.h"
#include "kernel-args.h"
#include "log.h"
#include "mounts.h"
#include "paths.h"
#include "rpm-setup.h"
#include "status.h"
#include "version.h"
#include "watchdog.h"
#include "time-util.h"

#define SYSROOT "/sysroot"
#define INITRD_RELEASE "/etc/initrd-release"
/* The old system's kernel command line, which the root sees as /proc/cmdline. */
#define OLD_CMDLINE_DIR "/run/oslift"
#define OLD_CMDLINE_FILE OLD_CMDLINE_DIR "/cmdline"

/* What the boot does after each result (apply.h):
 *   APPLY_NO_PLAN                undo the mounts and let the boot go on;
 *   APPLY_APPLIED                reboot into the new system;
 *   APPLY_APPLIED_WITH_PROBLEMS  the same, some packages at their old version;
 *   APPLY_REFUSED                reboot into the old one, unchanged;
 *   APPLY_RESUMABLE              reboot into the upgrade again, which resumes;
 *   APPLY_GAVE_UP                reboot into the default entry (what is left
 *                                of the old system). */

struct boot {
        struct boot_cmdline cmdline;
        struct mounts *mounts;
        struct fstab fstab;
        bool fstab_mounted;
        const char *step;   /* what failed, for the last words */
        char *cmdline_note; /* show_old_cmdline()'s, for apply to log */
        bool cmdline_note_is_warning;
};

/* User space writes to /dev/kmsg are limited to 10 lines in 5 s unless
 * this is "on"; it cannot be changed when printk.devkmsg= was given. */
static void kmsg_ratelimit_off(void) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, "on\n", 3) != 3)
                log_debug("cannot turn off the rate limit of /dev/kmsg; some lines may be missing there");
}

static void open_sinks(const struct boot_cmdline *c) {
        enum log_level level = c->debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
        int r;

        if (c->debug)
                log_set_max_level(LOG_LEVEL_DEBUG);
        r = log_ring_open(LOG_RING_SIZE);
        if (r < 0)
                log_warning("cannot keep the log in memory: %s", strerror(-r));
        r = console_open("/dev/console", level);
        if (r < 0)
                log_warning("cannot write to /dev/console: %s", strerror(-r));
        kmsg_ratelimit_off();
        r = kmsg_open("/dev/kmsg", level);
        if (r < 0)
                log_warning("cannot write to /dev/kmsg: %s", strerror(-r));
}

static bool plan_exists(void) {
        return access(SYSROOT OSLIFT_PLAN_FILE, F_OK) == 0;
}

static int read_fstab(struct boot *b) {
        struct timespec t0;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = fstab_read(SYSROOT, "/etc/fstab", &b->fstab);
        if (r == -ENOENT) {
                log_info("the root has no /etc/fstab: it is all one file system");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "cannot read /etc/fstab of the root");
        if (b->fstab.n_bad_lines > 0)
                log_warning("/etc/fstab: %u lines cannot be parsed (the first: line %u); left out, as at "
                            "every boot", b->fstab.n_bad_lines, b->fstab.first_bad_line);
        for (size_t i = 0; i < b->fstab.n_entries; i++) {
                const struct fstab_entry *e = &b->fstab.entries[i];

                if (e->verdict == FSTAB_SKIP_SWAP || e->verdict == FSTAB_SKIP_BAD_TARGET)
                        log_info("fstab: not mounting %s on %s: %s", e->source, e->target,
                                 fstab_verdict_reason(e->verdict));
                else if (e->verdict == FSTAB_SKIP_PARENT)
                        log_info("fstab: not mounting %s (%s): below %s, which is not mounted", e->target,
                                 e->source, b->fstab.entries[e->parent].target);
                else if (e->verdict != FSTAB_MOUNT && e->verdict != FSTAB_SKIP_ROOT)
                        log_info("fstab: not mounting %s (%s): %s", e->target, e->source,
                                 fstab_verdict_reason(e->verdict));
        }
        log_info("read /etc/fstab in %.1f s: %zu of its %zu entries to mount", seconds_since(&t0),
                 b->fstab.n_order, b->fstab.n_entries);
        return 0;
}

static int mount_fstab(struct boot *b) {
        struct timespec t0;
        int r;

        if (b->fstab_mounted)
                return 0;
        b->fstab_mounted = true;
        if (b->fstab.n_order == 0)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = mounts_fstab(b->mounts, &b->fstab);
        if (r < 0)
                return r;
        log_info("mounted the file systems of /etc/fstab in %.1f s", seconds_since(&t0));
        return 0;
}

/* The plan may live on a file system of its own (/var, /var/lib): then it
 * is only visible once the fstab's file systems are mounted. */
static int find_plan(struct boot *b, bool *ret) {
        const struct fstab_entry *e;
        int r;

        *ret = plan_exists();
        if (*ret)
                return 0;
        e = fstab_find_covering(&b->fstab, OSLIFT_STATE_DIR);
        if (!e)
                return 0;
        log_info("%s is on %s (%s): mounting the file systems of /etc/fstab to look for a plan there",
                 OSLIFT_STATE_DIR, e->target, e->source);
        b->step = "mounting the file systems of /etc/fstab";
        r = mount_fstab(b);
        if (r < 0)
                return r;
        *ret = plan_exists();
        return 0;
}

/*
 * The new system runs oslift-restore.service once at its first boot: it
 * puts back what stage recorded and reports. Enabled as systemctl would,
 * by a symlink, since systemctl cannot run here.
 */
static int enable_restore_unit(void) {
        char link[PATH_MAX], target[PATH_MAX];
        ssize_t n;
        int r;

        if (access(SYSROOT OSLIFT_RESTORE_UNIT, F_OK) < 0) {
                log_warning("%s is not installed in the new system, so the restoration will not run by "
                            "itself; run 'host-prep restore' after the reboot",
                            OSLIFT_RESTORE_UNIT);
                return 0;
        }
        r = mkdir_in_root(SYSROOT, OSLIFT_RESTORE_WANTS_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create %s in the new system", OSLIFT_RESTORE_WANTS_DIR);
        snprintf(link, sizeof(link), "%s%s/%s", SYSROOT, OSLIFT_RESTORE_WANTS_DIR, OSLIFT_RESTORE_UNIT_NAME);
        n = readlink(link, target, sizeof(target) - 1);
        if (n >= 0) {
                target[n] = '\0';
                if (strcmp(target, OSLIFT_RESTORE_UNIT) == 0)
                        return 0;
        }
        if ((n >= 0 || errno == EINVAL) && unlink(link) < 0)
                return log_error_errno(negative_errno(), "cannot replace %s", link + strlen(SYSROOT));
        if (symlink(OSLIFT_RESTORE_UNIT, link) < 0)
                return log_error_errno(negative_errno(), "cannot enable %s", OSLIFT_RESTORE_UNIT_NAME);
        log_info("enabled %s for the first boot of the new system", OSLIFT_RESTORE_UNIT_NAME);
        return 0;
}

/*
 * A dracut systemd initramfs loads no SELinux policy (systemd does, after
 * switch-root), but a shell-only one may have: scriptlets must not be
 * denied half-way through the transaction. The files written are
 * unlabelled either way; restore schedules a relabel of the new system.
 */
static void selinux_permissive(void) {
        _cleanup_close_ int fd = open("/sys/fs/selinux/enforce", O_RDWR | O_CLOEXEC);
        char c = 0;

        if (fd < 0 || read(fd, &c, 1) != 1 || c != '1')
                return;
        if (pwrite(fd, "0", 1, 0) != 1)
                log_warning("SELinux is enforcing and could not be set to permissive; scriptlets may be denied");
        else
                log_info("SELinux was enforcing in the upgrade environment: permissive for the transaction");
}

static void arm_watchdog(const struct boot_cmdline *c) {
        int r;

        if (c->watchdog_seconds == 0) {
                log_info(OSLIFT_ARG_WATCHDOG "=0: no watchdog; a hang stays a hang");
                return;
        }
        r = watchdog_arm(c->watchdog_seconds);
        if (r == -ENOENT)
                log_warning("no watchdog device (%s): a hang in the upgrade would not end by itself",
                            "/dev/watchdog");
        else if (r < 0)
                log_warning("cannot arm the watchdog: %s; a hang in the upgrade would not end by itself",
                            strerror(-r));
        else
                log_info("watchdog armed: the machine reboots after %u s without progress",
                         c->watchdog_seconds);
}

/*
 * The new release's scriptlets read /proc/cmdline: kernel-install (the
 * kernel package's %posttrans) copies it into the new kernel's boot entry
 * when there is no /etc/kernel/cmdline. This boot's is the old system's
 * plus ours (kernel-args.h), and rd.oslift.upgrade or rd.emergency=reboot
 * on every later boot would be wrong: the root gets the old system's own.
 * Only a warning when that fails: the upgrade does not depend on it. What
 * happened goes into b->cmdline_note, which apply logs once the log in the
 * root is open.
 */
static void show_old_cmdline(struct boot *b) {
        _cleanup_free_ char *buf = NULL, *old = NULL, *text = NULL;
        _cleanup_close_ int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char err[512] = "";
        size_t len = 0;
        int r;

        if (fd < 0)
                r = negative_errno();
        else
                r = read_bounded(fd, CMDLINE_SIZE_MAX, 4096, &buf, &len);
        if (r < 0) {
                snprintf(err, sizeof(err), "cannot read /proc/cmdline: %s", strerror(-r));
                goto fail;
        }
        r = cmdline_old_system(buf, len, &old);
        if (r == -ENOENT) {
                snprintf(err, sizeof(err), "/proc/cmdline has no word %s before a \"--\": it is not the "
                                           "command line host-prep wrote", OSLIFT_ARG_UPGRADE);
                goto fail;
        }
        if (r < 0 || asprintf(&text, "%s\n", old) < 0) {
                snprintf(err, sizeof(err), "out of memory");
                goto fail;
        }
        r = mkdir_in_root("/", OLD_CMDLINE_DIR, 0755);
        if (r == 0)
                r = write_file_atomic("/", OLD_CMDLINE_FILE, text, strlen(text), 0444);
        if (r < 0) {
                snprintf(err, sizeof(err), "cannot write %s: %s", OLD_CMDLINE_FILE, strerror(-r));
                goto fail;
        }
        r = mounts_bind_file(b->mounts, OLD_CMDLINE_FILE, "/proc/cmdline", err, sizeof(err));
        if (r < 0)
                goto fail;
        if (asprintf(&b->cmdline_note, "the root's /proc/cmdline is the old system's kernel command line, for "
                                       "the new kernel's boot entry: %s", old) < 0)
                b->cmdline_note = NULL;
        return;
fail:
        b->cmdline_note_is_warning = true;
        if (asprintf(&b->cmdline_note, "%s; the scriptlets see this boot's /proc/cmdline, and the new kernel's "
                                       "boot entry may get its words (%s, rd.emergency=reboot): restore takes "
                                       "them out; check its options in /boot/loader/entries",
                     err, OSLIFT_ARG_UPGRADE) < 0)
                b->cmdline_note = NULL;
}

static enum apply_result run(struct boot *b) {
        const struct boot_cmdline *c = &b->cmdline;
        struct apply_options options = {
                .max_attempts = c->max_attempts,
                .checkpoint_every = c->checkpoint_every,
                .alive = watchdog_ping,
        };
        enum apply_result result;
        struct timespec t0;
        bool found;
        int r;

        b->step = "starting";
        r = mounts_new(SYSROOT, &b->mounts);
        if (r < 0) {
                log_error_errno(r, "cannot start");
                return APPLY_REFUSED;
        }
        if (c->root_kind == ROOT_UNSUPPORTED)
                log_warning("root=%s is not a device the upgrader can find (UUID=, LABEL=, PARTUUID=, "
                            "PARTLABEL= or /dev/...)", c->root[0] ? c->root : "(too long)");

        b->step = "mounting the root file system";
        r = mounts_root(b->mounts, c->root_kind == ROOT_UNSUPPORTED ? NULL : c->root, c->rootfstype,
                        c->rootflags);
        if (r < 0)
                return APPLY_REFUSED;
        b->step = "reading /etc/fstab";
        if (read_fstab(b) < 0)
                return APPLY_REFUSED;
        if (find_plan(b, &found) < 0)
                return APPLY_REFUSED;
        if (!found) {
                log_info("no staged plan, continuing the normal boot");
                return APPLY_NO_PLAN;
        }
        arm_watchdog(c);

        b->step = "mounting the file systems of /etc/fstab";
        if (mount_fstab(b) < 0)
                return APPLY_REFUSED;
        b->step = "binding /proc, /sys, /dev and /run into the root";
        if (mounts_api(b->mounts) < 0)
                return APPLY_REFUSED;
        show_old_cmdline(b);
        options.cmdline_note = b->cmdline_note;
        options.cmdline_note_is_warning = b->cmdline_note_is_warning;
        b->step = "loading librpm's configuration";
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (rpm_setup() < 0)
                return APPLY_REFUSED;
        log_info("loaded librpm's configuration from %s in %.1f s", rpm_config_dir(), seconds_since(&t0));

        selinux_permissive();
        b->step = "applying the plan";
        progress_eta_enable(true);
        result = apply_plan(SYSROOT, &options);
        progress_eta_enable(false);
        switch (result) {
        case APPLY_APPLIED:
        /* The new release with some packages at their old version: it
         * boots, and restore runs as after a clean upgrade. */
        case APPLY_APPLIED_WITH_PROBLEMS:
                break;
        case APPLY_REFUSED:
        case APPLY_RESUMABLE:
        /* The old system is back: nothing of the new one to enable. */
        case APPLY_ROLLED_BACK:
        case APPLY_ROLLED_BACK_WITH_PROBLEMS:
                return result;
        case APPLY_GAVE_UP:
        default:
                return APPLY_GAVE_UP;
        }

        b->step = "enabling the restoration";
        /* The upgrade is in: a failure here is reported, not undone. */
        (void) enable_restore_unit();
        return result;
}

/* Our own log, on disk when the root takes it, else on the console. */
static void save_log(struct boot *b) {
        _cleanup_free_ char *text = NULL, *dir = NULL;
        const struct fstab_entry *e;
        char path[PATH_MAX], why[128] = "";
        size_t len;
        int r;

        text = log_ring_text(&len);
        if (!text)
                return;
        e = fstab_find_covering(&b->fstab, OSLIFT_LOG_DIR);
        if (!b->mounts || !mounts_root_writable(b->mounts))
                snprintf(why, sizeof(why), "the root file system is not mounted read-write");
        else if (e && !mounts_is_mount_point(b->mounts, e->target))
                /* It would land below the mount point, hidden at boot. */
                snprintf(why, sizeof(why), "%s is not mounted", e->target);
        else {
                r = chase_in_root(SYSROOT, OSLIFT_LOG_DIR, &dir);
                if (r == 0)
                        r = mkdir_in_root(SYSROOT, dir, 0755);
                if (r == 0) {
                        snprintf(path, sizeof(path), "%s/boot.log", strcmp(dir, "/") ? dir : "");
                        r = write_file_atomic(SYSROOT, path, text, len, 0644);
                }
                if (r == 0) {
                        log_info("this log is in %s on the root file system", OSLIFT_BOOT_LOG);
                        return;
                }
                snprintf(why, sizeof(why), "%s", strerror(-r));
        }
        log_error("cannot write this log to %s (%s); here it is, compressed: 'host-prep log --from-serial "
                  "FILE' reads it from a capture of this console", OSLIFT_BOOT_LOG, why);
        r = log_ring_dump();
        if (r < 0)
                log_error_errno(r, "cannot dump the log on the console");
}

_noreturn_ static void stop_here(void) {
        watchdog_disarm();
        log_info(OSLIFT_ARG_BREAK ": not rebooting; the system is left running as it is now. Reset or power "
                 "it off when done");
        for (;;)
                pause();
}

static int finish(struct boot *b, enum apply_result result) {
        struct timespec t0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (result == APPLY_NO_PLAN) {
                if (b->mounts)
                        (void) mounts_undo(b->mounts);
                return 0;
        }
        if (result == APPLY_REFUSED || result == APPLY_RESUMABLE || result == APPLY_GAVE_UP) {
                log_error("the upgrade stopped while %s; the messages above say why", b->step);
                if (result != APPLY_REFUSED)
                        log_error("the upgrader's log is %s on the root file system", OSLIFT_UPGRADE_LOG);
        }
        save_log(b);
        if (b->mounts) {
                (void) mounts_undo(b->mounts);
                sync();
                (void) mounts_root_read_only(b->mounts);
        }
        sync();
        if (b->cmdline.stop)
                stop_here();
        if (result == APPLY_APPLIED)
                log_info("rebooting into the new system");
        else if (result == APPLY_APPLIED_WITH_PROBLEMS)
                log_warning("rebooting into the new system, applied with problems: the packages rpm failed "
                            "(above) kept their old version; 'host-prep status' and the report say which");
        else if (result == APPLY_ROLLED_BACK)
                log_info("rebooting into the old system, rolled back and verified");
        else if (result == APPLY_ROLLED_BACK_WITH_PROBLEMS)
                log_warning("rebooting into the old system, rolled back with problems: the files named above do "
                            "not match the old rpmdb; 'host-prep status' names them");
        else if (result == APPLY_RESUMABLE)
                log_info("rebooting into the upgrade again, which goes on from where this attempt stopped");
        else
                log_info("rebooting; the default boot entry starts the old system%s",
                         result == APPLY_REFUSED ? "; this boot changed nothing" : " (or what the upgrade left of it)");
        reboot(RB_AUTOBOOT);
        log_error_errno(negative_errno(), "cannot reboot");
        return 1;
}

int boot_main(void) {
        struct boot b = {};
        int r;

        r = cmdline_read("/proc/cmdline", &b.cmdline);
        if (r < 0) {
                log_error_errno(r, "cannot read /proc/cmdline");
                return 1;
        }
        if (!b.cmdline.upgrade) {
                for (unsigned i = 0; i < b.cmdline.n_problems && i < CMDLINE_PROBLEMS_MAX; i++)
                        log_warning("kernel command line: %s", b.cmdline.problems[i]);
                fprintf(stderr, "upgrader: " OSLIFT_ARG_UPGRADE " is not set on the kernel command line: nothing "
                                "to do (to apply a plan to a directory: upgrader --root DIR)\n");
                return 0;
        }
        /* Mounting /sysroot and rebooting are for the initramfs only. */
        if (access(INITRD_RELEASE, F_OK) < 0) {
                log_error("boot mode runs in the upgrade initramfs only, and there is no %s here; to apply "
                          "a plan to a directory: upgrader --root DIR",
                          INITRD_RELEASE);
                return 2;
        }

        open_sinks(&b.cmdline);
        log_info("oslift %s: upgrading the system at %s", OSLIFT_VERSION, SYSROOT);
        log_debug("root=%s (%s) rootfstype=%s rootflags=%s", b.cmdline.root, root_kind_name(b.cmdline.root_kind),
                  b.cmdline.rootfstype, b.cmdline.rootflags);
        if (b.cmdline.n_problems > 0) {
                /* Whoever wrote them meant something: an upgrade with
                 * other settings than asked for is not what they meant. */
                for (unsigned i = 0; i < b.cmdline.n_problems && i < CMDLINE_PROBLEMS_MAX; i++)
                        log_error("kernel command line: %s", b.cmdline.problems[i]);
                if (b.cmdline.n_problems > CMDLINE_PROBLEMS_MAX)
                        log_error("kernel command line: %u more problems",
                                  b.cmdline.n_problems - CMDLINE_PROBLEMS_MAX);
                log_error("not upgrading with a kernel command line the upgrader cannot read as written; "
                          "fix the entry in GRUB's custom.cfg (or 'host-prep cancel' and stage again)");
                b.step = "reading the kernel command line";
                r = finish(&b, APPLY_REFUSED);
        } else
                r = finish(&b, run(&b));
        fstab_done(&b.fstab);
        mounts_free(b.mounts);
        free(b.cmdline_note);
        return r;
}
