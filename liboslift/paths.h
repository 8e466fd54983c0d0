/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where oslift keeps its state inside the root being upgraded. Everything
 * host-prep stage writes is below STATE_DIR (root-only, 0700), so cancel
 * can remove it all; logs and reports outlive the upgrade in LOG_DIR.
 * And where make install puts oslift itself, in the running system and in
 * the one being upgraded alike.
 */
#pragma once

/* OSLIFT_SBINDIR, OSLIFT_LIBEXECDIR, OSLIFT_DRACUTDIR, OSLIFT_UNITDIR: the
 * Makefile's SBINDIR, LIBEXECDIR, DRACUTDIR and UNITDIR (from PREFIX),
 * written into build/gen/install-paths.h, so that make install
 * PREFIX=... moves every path below with them. */
#include "install-paths.h"

#define OSLIFT_UPGRADER_PATH OSLIFT_LIBEXECDIR "/upgrader"
/* librpm's configuration for both programs (rpm-setup.h). */
#define OSLIFT_RPM_CONFIGDIR OSLIFT_LIBEXECDIR "/rpm"
/* dracut's module, which host-prep stage has dracut add. */
#define OSLIFT_DRACUT_MODULE_SETUP OSLIFT_DRACUTDIR "/module-setup.sh"

#define OSLIFT_STATE_DIR "/var/lib/oslift"
#define OSLIFT_PLAN_FILE OSLIFT_STATE_DIR "/plan"               /* docs/plan-format.md */
#define OSLIFT_PACKAGES_DIR OSLIFT_STATE_DIR "/packages"        /* staged *.rpm */
#define OSLIFT_KEYS_DIR OSLIFT_STATE_DIR "/keys"                /* keys to enforce */
#define OSLIFT_RESTORE_FILE OSLIFT_STATE_DIR "/restore.conf"    /* what restore puts back */
#define OSLIFT_KERNEL_TRIAL_FILE OSLIFT_STATE_DIR "/kernel-trial" /* the new kernel's trial boot */
#define OSLIFT_STATUS_FILE OSLIFT_STATE_DIR "/status.json"      /* for fleet tools */
#define OSLIFT_RPMDB_BACKUP_DIR OSLIFT_STATE_DIR "/rpmdb-backup" /* original rpmdb files */
#define OSLIFT_RPMDB_UPGRADED_DIR OSLIFT_STATE_DIR "/rpmdb-upgraded" /* restore's copy of the upgraded rpmdb */
#define OSLIFT_JOURNAL_FILE OSLIFT_STATE_DIR "/journal"          /* docs/journal.md */
#define OSLIFT_OUTCOME_FILE OSLIFT_STATE_DIR "/outcome"          /* the upgrade's result, for restore */
#define OSLIFT_BOOT_ENTRY_RECORD OSLIFT_STATE_DIR "/boot-entry"  /* what arming the boot changed */
/* The undo set the upgrader takes before its first write (upgrader/undo.h):
 * complete once renamed from OSLIFT_UNDO_TMP_DIR; host-prep commit
 * removes it. */
#define OSLIFT_UNDO_DIR OSLIFT_STATE_DIR "/undo"
#define OSLIFT_UNDO_TMP_DIR OSLIFT_STATE_DIR "/undo.tmp"
/* The rollback request to the upgrader: its presence asks for the old
 * system back (its one line: rollback-request.h); the upgrader removes it
 * when the rollback is over. */
#define OSLIFT_ROLLBACK_REQUEST OSLIFT_STATE_DIR "/rollback"

/*
 * One of the constants above below OSLIFT_STATE_DIR relative to the
 * staging directory, for openat() on staging_dir_open()'s fd: "status.json"
 * for OSLIFT_STATUS_FILE. Only for those constants (they begin with
 * OSLIFT_STATE_DIR "/").
 */
#define STATE_DIR_RELATIVE(path) (&(path)[sizeof(OSLIFT_STATE_DIR)])

/* The upgrader enables the restoration unit for the first boot of the new
 * system with a symlink in OSLIFT_RESTORE_WANTS_DIR; restore removes it. */
#define OSLIFT_RESTORE_UNIT_NAME "oslift-restore.service"
#define OSLIFT_RESTORE_UNIT OSLIFT_UNITDIR "/" OSLIFT_RESTORE_UNIT_NAME
#define OSLIFT_RESTORE_WANTS_DIR "/etc/systemd/system/sysinit.target.wants"
#define OSLIFT_RESTORE_UNIT_LINK OSLIFT_RESTORE_WANTS_DIR "/" OSLIFT_RESTORE_UNIT_NAME
/* Restore enables the health check of stage --verify for when the new
 * system is up; host-prep verify removes the link before it runs. */
#define OSLIFT_VERIFY_UNIT_NAME "oslift-verify.service"
#define OSLIFT_VERIFY_UNIT OSLIFT_UNITDIR "/" OSLIFT_VERIFY_UNIT_NAME
#define OSLIFT_VERIFY_WANTS_DIR "/etc/systemd/system/multi-user.target.wants"
#define OSLIFT_VERIFY_UNIT_LINK OSLIFT_VERIFY_WANTS_DIR "/" OSLIFT_VERIFY_UNIT_NAME

#define OSLIFT_LOG_DIR "/var/log/oslift"
/* The upgrade boot's own steps (mounting, checks), before upgrade.log. */
#define OSLIFT_BOOT_LOG OSLIFT_LOG_DIR "/boot.log"
#define OSLIFT_UPGRADE_LOG OSLIFT_LOG_DIR "/upgrade.log"
/* What host-prep verify ran (stage --verify) and what the command said. */
#define OSLIFT_VERIFY_LOG OSLIFT_LOG_DIR "/verify.log"
#define OSLIFT_REPORT_TXT OSLIFT_LOG_DIR "/report.txt"
#define OSLIFT_REPORT_JSON OSLIFT_LOG_DIR "/report.json"
