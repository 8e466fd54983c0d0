#!/bin/bash
# A package whose release-8 %pre fails, in a real upgrade boot: rpm fails
# that one element and finishes the rest, as `rpm -U` does. The upgrade
# takes exactly one upgrade boot (no retries into the same failure), says
# on the serial console which package failed and why, reboots into the new
# release, where restore runs and reports the package; the old version of
# that package stays installed and the site is release 8.
#
#   boot 1  host-prep stage --packages /srv/release8 --reboot
#   boot 2  the upgrade: applied with problems
#   boot 3  release 8; oslift-restore.service; the guest records its state
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "a failing %pre in the upgrade boot"
tmp=$(t_tmpdir)
root=$tmp/root image=$tmp/disk.img

fail=$OSLIFT_BUILD/test-packages/failure-cases
"$TESTS_DIR/packages/build.sh" "$fail" --extra "$TESTS_DIR/packages/failure-cases" >/dev/null
e2e_new_root "$root"
make -s -C "$TESTS_DIR/.." install DESTDIR="$root" >/dev/null
site=$(e2e_packages)
e2e_install_release7 "$root" "$site"
t_rpm "$root" -i --quiet "$fail"/release7/failing-pre-7.0-1.noarch.rpm
mkdir -p "$root/srv/release8"
cp "$site"/release8/*.rpm "$fail"/release8/failing-pre-8.0-1.noarch.rpm "$root/srv/release8/"
e2e_queue "$root" 1-stage.sh <<<'set -e; host-prep stage --packages /srv/release8 --reboot'
e2e_queue "$root" 2-after.sh <<'EOF'
set -e
mkdir -p /root/e2e/out
rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa
host-prep status >/root/e2e/out/status 2>&1 || true
systemctl show -p ActiveState,Result oslift-restore.service >/root/e2e/out/restore-unit
sync
systemctl poweroff
EOF
"$E2E_TOOLS/make-image.sh" "$root" "$image" 1024 2>"$tmp/image.err"
rm -rf "$root"
t_pass "image with failing-pre 7 installed and its release 8 staged for boot 1"

# boot NAME MEM: one boot, to its end (reboot or power-off ends QEMU).
boot() {
	local rc=0
	"$E2E_TOOLS/qemu.sh" "$image" "$tmp/serial.$1" --mem "$2" --timeout 900 2>"$tmp/qemu.$1.err" || rc=$?
	t_is "$rc" 0 "$1: QEMU ended by itself ($(tr '\n' ' ' <"$tmp/qemu.$1.err"))"
}

boot boot1 512
plan=$(e2e_debugfs_cat "$image" /var/lib/oslift/plan || true)
t_match "$plan" ' failing-pre-8\.0-1\.noarch$' "boot 1: stage put failing-pre 8 into the plan"

boot boot2 256
up=$(tr -d '\r' <"$tmp/serial.boot2")
t_match "$up" "Booting .oslift upgrade" "boot 2: GRUB booted the upgrade entry"
t_match "$up" 'rpm failed failing-pre-8\.0-1\.noarch: %prein\(failing-pre-8\.0-1\.noarch\) scriptlet failed, exit status 2; failing-pre-7\.0-1\.noarch stays installed' \
	"boot 2: the console names the package, the scriptlet, its exit status and what stays"
t_match "$up" 'upgrading website-8\.0-1\.noarch' "boot 2: the rest of the transaction goes on"
t_match "$up" 'rebooting into the new system, applied with problems' "boot 2: the upgrader reboots into the new system"
t_is "$(grep -c 'next boot tries again' <<<"$up" || true)" 0 "boot 2: and does not plan another attempt"
t_match "$up" 'reboot: Restarting system' "boot 2: the kernel reboots"

boot boot3 512
new=$(tr -d '\r' <"$tmp/serial.boot3")
t_is "$(grep -c 'Booting .oslift upgrade' <<<"$new" || true)" 0 "boot 3 is not another upgrade boot"
t_match "$new" 'e2e: driver: boot 2 reached multi-user' "boot 3: the new system reaches multi-user"

qa=$(e2e_debugfs_cat "$image" /root/e2e/out/qa || true)
t_match "$qa" '^failing-pre-7\.0-1\.noarch$' "failing-pre keeps release 7 (rpm -qa in the new system)"
t_match "$qa" '^website-8\.0-1\.noarch$' "the site is release 8"
t_match "$(e2e_debugfs_cat "$image" /root/e2e/out/restore-unit || true)" '^Result=success$' \
	"oslift-restore.service ran and succeeded"
status=$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)
t_match "$status" '"state": "restored-with-problems"' "status.json: restored-with-problems"
t_match "$(e2e_debugfs_cat "$image" /root/e2e/out/status || true)" 'failing-pre' "host-prep status names the package"
report=$(e2e_debugfs_cat "$image" /var/log/oslift/report.json || true)
t_match "$report" '"failed_packages":\[\{"package":"failing-pre-8\.0-1\.noarch","kept":\["failing-pre-7\.0-1\.noarch"\],"reason":"%prein\(failing-pre-8\.0-1\.noarch\) scriptlet failed, exit status 2"' \
	"report.json names the failed package, what was kept and why"
t_is "$(e2e_debugfs_cat "$image" /boot/grub/grubenv | grep -ac '^next_entry=.' || true)" 0 "no next_entry left in grubenv"
t_is "$(debugfs -R 'ls /boot' "$image?offset=1048576" 2>/dev/null | grep -c oslift-upgrade || true)" 0 \
	"the upgrade initramfs is gone from /boot"
