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
# never from what a script claims. With DEMO=1 (make demo) the same flow
# narrates itself for a person instead of printing TAP.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

DEMO=${DEMO:-0}
# Guest memory for each boot; the upgrade boot is the one that matters.
MEM_NORMAL=${MEM_NORMAL:-512}
MEM_UPGRADE=${MEM_UPGRADE:-256}

if ((DEMO)); then
	exec 3>&1 1>/dev/null # TAP goes nowhere; say() talks to the person
	say() { printf '%s\n' "$*" >&3; }
else
	say() { printf '# %s\n' "$*"; }
fi
phase() { say ""; say "== $*"; }

e2e_require "three-boot upgrade"
tmp=$(t_tmpdir)
root=$tmp/root image=$tmp/disk.img serial=$tmp/serial.log

phase "preparing the demo system (Debian 12 guest, release 7 of the site in its rpmdb)"
t=$SECONDS
base=$(e2e_rootfs)
cp -a --reflink=auto "$base" "$root"
make -s -C "$TESTS_DIR/.." install DESTDIR="$root" >/dev/null
pkgs=$(e2e_packages)
e2e_install_release7 "$root" "$pkgs"
mkdir -p "$root/srv/release8"
cp "$pkgs"/release8/*.rpm "$root/srv/release8/"
before_qa=$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)
say "release $(cat "$root/etc/oslift-release"), $(wc -l <<<"$before_qa") packages in the rpmdb: $(tr '\n' ' ' <<<"$before_qa")"
say "target packages in /srv/release8: $(ls "$root/srv/release8" | tr '\n' ' ')"

# Boot 1's part, run by the boot driver once multi-user is reached.
e2e_queue "$root" 1-stage.sh <<'EOF'
set -e
echo "release $(cat /etc/oslift-release)"
e2e-wait-go 300
host-prep check --packages /srv/release8 || true
if [ -e /root/e2e/measure-initramfs ]; then
	# The same kernel's plain image, built the same (host-only) way; its
	# size is read from the disk afterwards, like the upgrade image's.
	dracut --quiet --force /root/e2e/plain.img
fi
host-prep stage --packages /srv/release8 --reboot
EOF
# Boot 3's part: what the new system says about itself.
e2e_queue "$root" 2-verify.sh <<'EOF'
set -e
e2e-wait-go 300
systemctl is-active website.service
mkdir -p /root/e2e/out
rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa
rpm -Va >/root/e2e/out/va 2>&1 || true
systemctl show -p ActiveState,Result oslift-restore.service >/root/e2e/out/restore-unit
sync
systemctl poweroff
EOF
((DEMO)) && touch "$root/root/e2e/measure-initramfs"
"$E2E_TOOLS/make-image.sh" "$root" "$image" 1024 2>"$tmp/image.err"
t_pass "demo system image built ($((SECONDS - t)) s)"

port=$(e2e_free_port)

# boot NAME MEM: starts QEMU in the background; sets QEMU_PID.
boot() {
	say "booting ($1, -m $2)"
	BOOT_START=$SECONDS
	"$E2E_TOOLS/qemu.sh" "$image" "$serial.$1" --mem "$2" --timeout 900 --hostfwd "$port" \
		2>"$tmp/qemu.$1.err" &
	QEMU_PID=$!
}
# Waits for QEMU to end; the guest rebooting or powering off ends it.
finish() {
	local rc=0
	wait "$QEMU_PID" || rc=$?
	t_is "$rc" 0 "$1: QEMU ended by itself ($(cat "$tmp/qemu.$1.err" | tr '\n' ' '))"
	say "$1 took $((SECONDS - BOOT_START)) s (wall clock, TCG)"
}

# reach_site NAME DRIVER_BOOT: waits for the boot driver's line for its
# DRIVER_BOOT-th normal boot, then fetches the site; sets PAGE and DATA.
reach_site() {
	if e2e_wait_log "$serial.$1" "e2e: driver: boot $2 reached multi-user" 600 "$QEMU_PID"; then
		t_pass "$1 reached multi-user"
	else
		t_fail "$1 reached multi-user" "$(tail -n 30 "$serial.$1")"
	fi
	PAGE=$(e2e_wait_http "http://127.0.0.1:$port/" 120 "$QEMU_PID" || true)
	DATA=$(e2e_http "http://127.0.0.1:$port/data/hello.txt" || true)
}

# ------------------------------------------------------------------ boot 1
phase "boot 1: the old system (release 7), staging the upgrade"
boot boot1 "$MEM_NORMAL"
reach_site boot1 1
data_before=$DATA
t_match "$PAGE" 'release 7' "boot 1: the site answers (release 7)"
say "the site before: $(grep -o 'release [0-9]*' <<<"$PAGE") / data: $data_before"
e2e_http "http://127.0.0.1:$port/cgi-bin/go" >/dev/null || true
finish boot1
# What boot 1 did, from its disk: the guest's own lines may not all reach
# the serial port before stage reboots it.
plan=$(e2e_debugfs_cat "$image" /var/lib/oslift/plan || true)
t_is "$(grep -cE '^(upgrade|install|install-only) ' <<<"$plan" || true)" 3 "boot 1: host-prep stage staged the 3 release 8 packages (the plan on disk)"
t_match "$(e2e_debugfs_cat "$image" /boot/grub/grubenv || true)" '^next_entry=oslift-upgrade$' \
	"boot 1: and armed the one-time boot (next_entry in grubenv)"
((DEMO)) && { grep -a '^e2e: ' "$serial.boot1" | tr -d '\r' | sed 's/^e2e: /  guest: /' >&3 || true; }
# The upgrade initramfs, from the disk as boot 1 left it (not from a line
# the guest may not get to print before stage reboots it).
boot_ls=$(debugfs -R 'ls -l /boot' "$image?offset=1048576" 2>/dev/null || true)
upgrade_img=$(awk '$NF ~ /^oslift-upgrade-.*\.img$/ {print $NF, $(NF-4)}' <<<"$boot_ls")
t_match "$upgrade_img" '^oslift-upgrade-.*\.img [0-9]+$' "boot 1: stage built the upgrade initramfs in /boot"
sizes="oslift upgrade image ${upgrade_img#* } bytes"
if ((DEMO)); then
	plain=$(debugfs -R 'stat /root/e2e/plain.img' "$image?offset=1048576" 2>/dev/null |
		awk '/Size: / {for (i = 1; i < NF; i++) if ($i == "Size:") print $(i + 1)}' || true)
	[[ -z $plain ]] || sizes="plain dracut $plain bytes; $sizes"
fi
say "initramfs sizes: $sizes"

# ------------------------------------------------------------------ boot 2
phase "boot 2: the upgrade initramfs (serial console)"
boot boot2 "$MEM_UPGRADE"
if ((DEMO)); then
	# The upgrader's lines, live, as an operator on the serial console sees
	# them: GRUB's choice, then every line with the upgrader's timestamp.
	# Every stage of the pipe passes each line on at once (tr and a plain
	# sed would hold them in a buffer until the boot is over).
	follow() {
		tail -n +1 -F "$1" 2>/dev/null |
			grep --line-buffered -aE "^ *Booting .oslift|^\[ *[0-9]+\.[0-9]{3}\] " |
			sed -u 's/\r$//; s/\x1b\[[0-9;]*[A-Za-z]//g; s/^/  console: /' >&3
	}
	follow "$serial.boot2" &
	tailer=$!
fi
finish boot2
if ((DEMO)); then
	sleep 1 # the last lines, through the pipe
	pkill -P "$tailer" 2>/dev/null || true
	wait "$tailer" 2>/dev/null || true
fi
up=$(tr -d '\r' <"$serial.boot2")
t_match "$up" "Booting .oslift upgrade" "boot 2: GRUB booted the one-time upgrade entry"
t_match "$up" 'Command line:.*rd\.oslift\.upgrade' "boot 2: the kernel got rd.oslift.upgrade"
t_match "$up" '\[ ?[0-9]+/[0-9]+ +[0-9]+%\] upgrading website-8\.0-1\.noarch \(from website-7\.0-1\.noarch\)' \
	"boot 2: the serial console shows every package (upgrading website)"
t_match "$up" 'watchdog armed: the machine reboots after [0-9]+ s without progress' \
	"boot 2: the upgrader armed the watchdog (softdog)"
t_match "$up" 'upgrade applied in [0-9.]+ s' "boot 2: the upgrader reports success"
t_is "$(grep -ciE 'systemd-networkd|NetworkManager|network-online|ifup|dhclient|wicked' <<<"$up" || true)" 0 \
	"boot 2: no network is brought up in the upgrade environment"
t_match "$up" 'reboot: Restarting system' "boot 2: and reboots (the kernel's own line)"

# ------------------------------------------------------------------ boot 3
phase "boot 3: the new system (release 8)"
boot boot3 "$MEM_NORMAL"
# The driver counts normal boots: the upgrade boot was not one.
reach_site boot3 2
t_match "$PAGE" 'release 8' "boot 3: the site answers, now release 8"
t_is "$DATA" "$data_before" "boot 3: with the same site data"
say "the site after: $(grep -o 'release [0-9]*' <<<"$PAGE") / data: $DATA"
e2e_http "http://127.0.0.1:$port/cgi-bin/go" >/dev/null || true
finish boot3
t_match "$(tr -d '\r' <"$serial.boot3")" 'oslift upgrade report' "boot 3: the restoration unit printed its report on the console"

# ------------------------------------------------------- the disk, afterwards
phase "the disk after the upgrade"
qa=$(e2e_debugfs_cat "$image" /root/e2e/out/qa || true)
t_is "$qa" "base-release-8.0-1.noarch
debian-sh-1.0-8.noarch
website-8.0-1.noarch" "rpm -qa in the new system shows release 8"
# Every read below must succeed: an unreadable image must not pass as clean.
va=$(e2e_debugfs_cat "$image" /root/e2e/out/va) || va="(rpm -Va output missing from the image)"
# A config file may differ from the package in content (size, digest,
# mtime) as a configured system's do; a missing one, or another change
# (mode, owner, link), is not excused.
t_is "$(grep -vE '^[S.][.][5.][.]{4}[T.][.]  c /' <<<"$va" || true)" "" \
	"rpm -Va is clean apart from config files whose content changed"
unit=$(e2e_debugfs_cat "$image" /root/e2e/out/restore-unit || true)
t_match "$unit" '^Result=success$' "oslift-restore.service ended with success"
t_match "$unit" '^ActiveState=active$' "and is active (it ran, RemainAfterExit)"
report=$(e2e_debugfs_cat "$image" /var/log/oslift/report.json || true)
t_match "$report" '"result":"applied"' "report.json: applied"
t_match "$report" '"restore_actions":\[[^]]*removed the one-time upgrade boot entry' "report.json: restore removed the boot entry"
status=$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)
t_match "$status" '"state": "restored"' "status.json: restored"
grubenv=$(e2e_debugfs_cat "$image" /boot/grub/grubenv || true)
t_match "$grubenv" '^# GRUB Environment Block' "grubenv is still GRUB's environment block"
# GRUB's save_env leaves the variable behind, empty.
t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "grubenv has no next_entry left"
t_is "$(e2e_debugfs_cat "$image" /boot/grub/custom.cfg 2>/dev/null | grep -c oslift || true)" 0 "custom.cfg has no oslift entry"
boot_ls=$(debugfs -R 'ls /boot' "$image?offset=1048576" 2>/dev/null || true)
t_match "$boot_ls" 'vmlinuz-' "/boot is readable in the image"
t_is "$(grep -c oslift-upgrade <<<"$boot_ls" || true)" 0 "the upgrade initramfs is gone from /boot"
say "release 8 now, $(wc -l <<<"$qa") packages in the rpmdb: $(tr '\n' ' ' <<<"$qa")"
say "logs in the image: /var/log/oslift/upgrade.log, report.txt, report.json; serial logs: $serial.boot{1,2,3}"
