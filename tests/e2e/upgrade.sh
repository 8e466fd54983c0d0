#!/bin/bash
# The boot path, for real: a Debian guest whose rpmdb holds release 7 of a
# small web site is upgraded to release 8 by oslift in four QEMU boots.
#
#   boot 1  normal boot; the host fetches the site; the guest runs
#           host-prep stage --packages /srv/release8 --reboot
#   boot 2  GRUB's one-time entry boots the upgrade initramfs; the upgrader
#           applies the plan, logging every package on the serial console,
#           and reboots
#   boot 3  the default entry boots release 8, on the old kernel;
#           oslift-restore.service runs host-prep restore, which keeps the
#           old kernel the default, makes the new one GRUB's one-time entry
#           (its trial boot) and reboots into it
#   boot 4  release 8 on its kernel; restore, once more, makes it the
#           default now that it came up; the site answers with the same data
#
# Release 8 brings another kernel (kernel-core: Debian's cloud kernel as
# EL 8 packages its kernel), whose %posttrans writes a Boot Loader
# Specification snippet, as EL 8's does, that release 7's grub.cfg never
# reads. Debian's GRUB has no blscfg: release 8's grub2-tools is a stand-in
# whose grub2-mkconfig writes the snippets' menu entries into grub.cfg
# (blscfg's work) and grub2-set-default; restore runs them on boot 3 (still
# the old kernel) and reboots, and boot 4 must come up on the new kernel
# (uname -r on the serial console), make it the default, with the old one
# as the fallback entry. kernel-trial.sh: a new kernel that cannot boot.
#
# Everything is judged from the serial log and the disk image (debugfs),
# never from what a script claims. The flow is e2e_upgrade (tools/e2e-lib.sh),
# which upgrade-uefi.sh runs on the UEFI layout. With DEMO=1 (make demo) the
# same flow narrates itself for a person instead of printing TAP.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

DEMO=${DEMO:-0}
# Guest memory for each boot (e2e_upgrade); the upgrade boot is the one
# that matters.
MEM_NORMAL=${MEM_NORMAL:-512}
MEM_UPGRADE=${MEM_UPGRADE:-256}

if ((DEMO)); then
	exec 3>&1 1>/dev/null # TAP goes nowhere; say() talks to the person
	say() { printf '%s\n' "$*" >&3; }
fi

e2e_require "upgrade (four boots)"
e2e_upgrade bios "$(t_tmpdir)"
