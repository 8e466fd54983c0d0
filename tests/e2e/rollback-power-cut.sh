#!/bin/bash
# Power cuts during the rollback boot, for real: the four-boot upgrade of
# the demo system with its kernel switch (e2e_upgrade, BIOS) and boot 5's
# host-prep rollback (e2e_rollback_arm), as rollback.sh; then, each on a
# copy of that disk:
#
#   reference  the rollback boot, uninterrupted: the disk it leaves
#   each cut   the rollback boot, QEMU killed (SIGKILL: the guest's page
#              cache is lost, as in a power cut) when the serial console
#              shows the point; the next boot must go back into the
#              rollback boot by itself (the switch is still on), go on,
#              and leave the disk the reference left; then release 7
#              boots: its kernel, its site and data, rpm -qa as before the
#              upgrade, rpm -Va clean (e2e_rollback_old)
#
# The points (ROLLBACK_CUT_POINTS, words; default "files verified"):
#   files       while the old packages' files are put back (after the
#               upgrade's are removed: the release 8 kernel among them)
#   verified    every file back and verified, the boot configuration not
#               yet (grub.cfg, custom.cfg, the loader entries, grubenv)
#   boot-files  the boot files back, grubenv (the switch) not yet
# The cut boot's disk takes ROLLBACK_CUT_IOPS write requests a second
# (default 4; qemu.sh --iops-write): a slow disk, so that the cut lands
# at its point and not past it, the rollback's writes of a fast one all
# being over within the poll of the serial log.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

MEM_NORMAL=${MEM_NORMAL:-512}
MEM_UPGRADE=${MEM_UPGRADE:-256}
read -r -a POINTS <<<"${ROLLBACK_CUT_POINTS:-files verified}"
IOPS=${ROLLBACK_CUT_IOPS:-4}

e2e_require "power cuts during the rollback boot"
tmp=$(t_tmpdir)
e2e_upgrade bios "$tmp"
grub=/boot/grub
e2e_rollback_arm "$grub"
armed=$tmp/armed.img
mv "$E2E_UP_IMAGE" "$armed"
new_kernel=$(e2e_debugfs_cat "$armed" /var/lib/oslift/boot-entry | sed -n 's/^kver=//p' || true)
t_match "$new_kernel" '-cloud-amd64$' "the rollback boot's entry boots release 8's kernel ($new_kernel), which the rollback removes"

# state IMAGE: what must come out equal, read from the disk: rpm -qa from
# the rpmdb, each package-owned regular file against its digest there, the
# site data, /boot and the kernels' module trees (names, types, sizes),
# GRUB's grub.cfg, custom.cfg and grubenv (their bytes), oslift's state
# directory (names) and status.
state() {
	local f
	e2e_rpmdb_qa "$1"
	e2e_owned_files "$1"
	echo "site data: $(e2e_debugfs_cat "$1" /var/www/site/data/hello.txt)"
	for f in /boot /boot/loader/entries /usr/lib/modules /var/lib/oslift; do
		# ls -p: /inode/mode/uid/gid/name/size/
		echo "$f: $(e2e_debugfs "$1" 'ls -p' "$f" 2>/dev/null | awk -F/ '$6 != "." && $6 != ".." {print $3, $6, $7}' |
			LC_ALL=C sort | paste -sd ',')"
	done
	for f in grub.cfg custom.cfg grubenv; do
		echo "$grub/$f: $(e2e_debugfs_cat "$1" "$grub/$f" 2>/dev/null | sha256sum | cut -d' ' -f1)"
	done
	echo "state: $(e2e_debugfs_cat "$1" /var/lib/oslift/status.json | grep -ao '"state": "[^"]*"' || true)"
}

# ------------------------------------------------- the uninterrupted rollback
phase "the rollback boot, uninterrupted (reference)"
E2E_UP_IMAGE=$tmp/reference.img
cp --sparse=always "$armed" "$E2E_UP_IMAGE"
e2e_up_boot reference "$MEM_UPGRADE"
e2e_up_finish reference
e2e_rollback_done reference "$grub"
expected=$(state "$E2E_UP_IMAGE")
t_match "$expected" '^owned files: [1-9][0-9]*, differing: 0$' "the uninterrupted rollback leaves every owned file as the old rpmdb says"
t_match "$expected" "^site data: $data_before\$" "and the site data as it was"
t_is "$(grep -c "vmlinuz-$new_kernel" <<<"$expected" || true)" 0 "and release 8's kernel is gone from /boot"
rm -f "$E2E_UP_IMAGE"

passed=0
for point in "${POINTS[@]}"; do
	case $point in
	files) re='putting back [0-9]+ paths of the old packages' ;;
	verified) re='rollback done in [0-9.]+ s' ;;
	boot-files) re='put back the old boot configuration: ' ;;
	*) t_fail "cut point $point" "unknown: files, verified or boot-files"; continue ;;
	esac
	phase "a power cut in the rollback boot at '$point'"
	E2E_UP_IMAGE=$tmp/cut-$point.img
	cp --sparse=always "$armed" "$E2E_UP_IMAGE"
	E2E_UP_QEMU_ARGS="--iops-write $IOPS" e2e_up_boot "cut-$point" "$MEM_UPGRADE"
	if ! e2e_wait_log "$E2E_UP_SERIAL.cut-$point" "$re" 600 "$E2E_UP_PID"; then
		t_fail "cut at $point: the line to cut at appeared" "$(tail -n 20 "$E2E_UP_SERIAL.cut-$point")"
		kill "$E2E_UP_PID" 2>/dev/null || true
		wait "$E2E_UP_PID" 2>/dev/null || true
		continue
	fi
	kill "$E2E_UP_PID" # qemu.sh kills QEMU with SIGKILL on its way out
	wait "$E2E_UP_PID" 2>/dev/null || true
	cut_log=$(tr -d '\r' <"$E2E_UP_SERIAL.cut-$point")
	last=$(grep -aE '^\[ *[0-9.]+\] ' <<<"$cut_log" | tail -n 1 | sed -E 's/^\[ *[0-9.]+\] //' || true)
	say "cut at $point; the console's last line: $last"
	t_is "$(grep -c "grubenv back as it was before the upgrade" <<<"$cut_log" || true)" 0 \
		"cut at $point: before the upgrader said the grubenv is back"

	# The next boot: the rollback boot again, to its end.
	e2e_up_boot "resume-$point" "$MEM_UPGRADE"
	# (GRUB's "error: file ... not found": the entry's kernel is gone.)
	e2e_wait_log "$E2E_UP_SERIAL.resume-$point" 'reboot: Restarting system|Kernel panic|^error: ' 600 "$E2E_UP_PID" || true
	if ! grep -aq 'reboot: Restarting system' "$E2E_UP_SERIAL.resume-$point"; then
		t_fail "cut at $point: the next boot goes to its end" "$(tr -d '\r' <"$E2E_UP_SERIAL.resume-$point" | tail -n 20)"
		kill "$E2E_UP_PID" 2>/dev/null || true
	fi
	e2e_up_finish "resume-$point"
	log=$(tr -d '\r' <"$E2E_UP_SERIAL.resume-$point")
	t_match "$log" "Booting .oslift upgrade" "cut at $point: the next boot goes back into the rollback boot"
	t_match "$log" 'going on with the rollback begun before: [0-9]+ paths the upgrade added' \
		"cut at $point: and goes on with the rollback begun before"
	e2e_rollback_done "resume-$point" "$grub"
	t_match "$log" "removed /boot/vmlinuz-$new_kernel, the rollback boot's kernel, which the upgrade added" \
		"cut at $point: release 8's kernel is removed once the grubenv is back"
	got=$(state "$E2E_UP_IMAGE")
	if [[ $got == "$expected" ]]; then
		t_pass "cut at $point: the disk equals the uninterrupted rollback's"
		passed=$((passed + 1))
	else
		t_fail "cut at $point: the disk equals the uninterrupted rollback's" \
			"$(diff <(echo "$expected") <(echo "$got") | head -n 20)"
	fi
	e2e_rollback_old "old-$point" "$grub"
	rm -f "$E2E_UP_IMAGE"
done
echo "# power cuts in the rollback boot tried: ${#POINTS[@]}, ending as the uninterrupted rollback: $passed"
