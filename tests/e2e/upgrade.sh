#!/bin/bash
# The boot path, for real: a Debian guest whose rpmdb holds release 7 of a
# small web site is upgraded to release 8 by oslift in three QEMU boots.
#
#   boot 1  normal boot; the host fetches the site; the guest runs
#           host-prep stage --packages /srv/release8 --reboot
#   boot 2  GRUB's one-time entry boots the upgrade initramfs; the upgrader
#           applies the plan, logging every package on the serial console,
#           and reboots
#   boot 3  the default entry boots release 8; oslift-restore.service runs
#           host-prep restore; the site answers with the same data
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

e2e_require "three-boot upgrade"
e2e_upgrade bios "$(t_tmpdir)"
