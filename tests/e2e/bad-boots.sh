#!/bin/bash
# Upgrade boots that must not upgrade, for real: from one staged disk,
#
#   a staged package corrupted after staging: the upgrader refuses before
#     its first write, names the package, turns the one-time boot off; the
#     old system boots and `host-prep status` says why and what to do;
#   a root= that matches no device: dracut gives up waiting and, told by the
#     entry's rd.emergency=reboot, reboots into the old system instead of
#     stopping in a shell;
#   garbage in the upgrader's kernel arguments: it says which, changes
#     nothing, and the old system boots.
#
# Each case: the upgrade boot (its serial log judged), then the next boot,
# which must be the old system (release 7), where a queued script prints
# host-prep status on the console and powers off.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "bad upgrade boots"
tmp=$(t_tmpdir)
staged=$tmp/staged.img

cat >"$tmp/after.sh" <<'EOF'
echo "release $(cat /etc/oslift-release)"
host-prep status
rpm -q website
systemctl poweroff
EOF
if ! e2e_staged_image "$staged" 0 "$tmp/after.sh"; then
	t_fail "boot 1 staged the upgrade" "$(tail -n 30 "$staged.stage.log" 2>/dev/null)"
	exit 1
fi
t_pass "boot 1 staged the upgrade and armed the one-time boot"

# two_boots NAME: the upgrade boot and the boot after it, of $tmp/NAME.img;
# their serial logs in UP and NEXT.
two_boots() {
	local name=$1
	"$E2E_TOOLS/qemu.sh" "$tmp/$name.img" "$tmp/$name.up.log" --mem 256 --timeout 900 \
		2>"$tmp/$name.qemu.err" || true
	"$E2E_TOOLS/qemu.sh" "$tmp/$name.img" "$tmp/$name.next.log" --mem 512 --timeout 900 \
		2>>"$tmp/$name.qemu.err" || true
	UP=$(tr -d '\r' <"$tmp/$name.up.log")
	NEXT=$(tr -d '\r' <"$tmp/$name.next.log")
}

# old_system_boots NAME STATE: the next boot is the old system, unchanged.
old_system_boots() {
	local name=$1 state=$2
	t_match "$NEXT" '^e2e: release 7$' "$name: the next boot is the old system"
	t_match "$NEXT" '^e2e: website-7\.0-1\.noarch$' "$name: with release 7 still installed"
	t_match "$NEXT" "^e2e: state: $state " "$name: host-prep status says '$state'"
	t_is "$(grep -c 'Booting .oslift upgrade' <<<"$NEXT" || true)" 0 "$name: the one-time boot is off"
}

# ------------------------------------------------ a corrupted staged package
cp --sparse=always "$staged" "$tmp/corrupt.img"
e2e_image_edit "$tmp/corrupt.img" /var/lib/oslift/packages/website-8.0-1.noarch.rpm '$s/$/x/'
two_boots corrupt
t_match "$UP" 'staged package website-8\.0-1\.noarch\.rpm was modified after staging' \
	"corrupt: the upgrader names the corrupted package"
t_match "$UP" 'nothing was changed in /sysroot' "corrupt: and says nothing was changed"
t_match "$UP" 'the default boot entry starts the old system; this boot changed nothing' "corrupt: and reboots into the old system"
old_system_boots corrupt refused
t_match "$NEXT" "^e2e: message: refused, nothing was changed: staged package website-8\.0-1\.noarch\.rpm was modified after staging.*host-prep stage' again" \
	"corrupt: host-prep status says why and what to do"

# ------------------------------------------------- a root= that matches nothing
cp --sparse=always "$staged" "$tmp/noroot.img"
# (and dracut's wait for it cut from the entry's 300 s to 20, for the test's time)
e2e_image_edit "$tmp/noroot.img" /boot/grub/custom.cfg \
	"s/'root=[^']*'/'root=UUID=00000000-0000-4000-8000-000000000000'/; s/'rd.timeout=300'/'rd.timeout=20'/"
two_boots noroot
t_match "$UP" 'Booting .oslift upgrade' "noroot: GRUB booted the upgrade entry"
t_match "$UP" 'Command line:.*root=UUID=00000000-0000-4000-8000-000000000000.*rd\.emergency=reboot' \
	"noroot: with the root= that matches nothing and rd.emergency=reboot"
t_match "$UP" '(Timed out waiting for device|Could not boot|Dependency failed for.*(sysroot|Root))' "noroot: dracut says it cannot find the root"
t_match "$UP" 'reboot: Restarting system' "noroot: and reboots instead of stopping in a shell (the kernel's own line)"
old_system_boots noroot staged

# --------------------------------------------------- garbage kernel arguments
cp --sparse=always "$staged" "$tmp/garbage.img"
e2e_image_edit "$tmp/garbage.img" /boot/grub/custom.cfg \
	"s/'rd.oslift.upgrade'/'rd.oslift.upgrade' 'rd.oslift.attempts=many' 'rd.oslift.debug=perhaps'/"
two_boots garbage
t_match "$UP" 'kernel command line: rd\.oslift\.attempts=many is not a whole number from 1 to 100' \
	"garbage: the upgrader names the bad value"
t_match "$UP" 'kernel command line: rd\.oslift\.debug=perhaps is not a boolean' "garbage: every one of them"
t_match "$UP" 'not upgrading with a kernel command line the upgrader cannot read' "garbage: and does not upgrade"
old_system_boots garbage staged
