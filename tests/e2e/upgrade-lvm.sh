#!/bin/bash
# The upgrade on CentOS 7's default storage layout (tools/lvm-xfs.sh): / on
# the LV centos/root, swap on centos/swap, /var on centos/var, /home on an
# LV of a second volume group (data/home), /boot a partition of its own;
# XFS everywhere; the kernel command line names only
# rd.lvm.lv=centos/root rd.lvm.lv=centos/swap, as EL 7 writes it, so
# dracut activates those two and leaves /var and /home to the upgrader.
# fstab also has an absent nofail disk and an NFS share (nofail,_netdev).
#
# The host has no XFS or LVM tools and uses no loop devices: the guest's
# files go in and come out through the helper system of lvm-xfs.sh, booted
# with a copy of the disk as its second disk (boot 0: the demo site's
# release 7, oslift and the boot driver's scripts into the disk; boot 5:
# xfs_repair -n of every file system, then the files the test reads,
# copied onto the helper's ext4 disk, read with debugfs).
#   boot 1  normal boot of release 7 (every fstab file system and swap
#           up); host-prep check (no blocker); host-prep stage; the
#           upgrade initramfs has lvm, xfs and dm-mod
#   boot 2  the upgrade boot: the upgrader activates the volume groups
#           after /var's device did not appear, mounts /boot, /var and
#           /home, finds the plan on /var, skips swap, the absent nofail
#           disk and NFS with console lines, applies the plan, reboots
#   boot 3  release 8: the restoration unit, the site (release 8, same
#           data)
# No kernel switch here (upgrade.sh and upgrade-uefi.sh have it): release
# 8's kernel-core would make the upgrade boot two minutes longer.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "upgrade on LVM + XFS (EL 7 layout)"
MEM_NORMAL=${MEM_NORMAL:-512} MEM_UPGRADE=${MEM_UPGRADE:-512}
tmp=$(t_tmpdir)
image=$tmp/disk.img helper=$tmp/helper.img serial=$tmp/serial.log
# shellcheck disable=SC2034 # read by e2e-lib.sh (e2e_up_boot, e2e_up_finish, e2e_up_reach_site)
E2E_UP_TMP=$tmp E2E_UP_IMAGE=$image E2E_UP_SERIAL=$serial E2E_UP_QEMU_ARGS=

# helper_boot NAME SCRIPT: boots the helper with the disk as vdb; it runs
# SCRIPT (queued on its ext4 disk) and powers off.
helper_boot() {
	local rc=0
	e2e_image_put "$helper" "/root/e2e/queue/$1.sh" <"$2" || { t_fail "$1: script queued on the helper"; return 1; }
	say "booting the helper ($1)"
	BOOT_START=$SECONDS
	"$E2E_TOOLS/qemu.sh" "$helper" "$serial.$1" --timeout 900 --disk "$image" 2>"$tmp/qemu.$1.err" || rc=$?
	t_is "$rc" 0 "$1: the helper's QEMU ended by itself ($(tr '\n' ' ' <"$tmp/qemu.$1.err"))"
	say "$1 took $((SECONDS - BOOT_START)) s"
}
# out PATH: a file the inspection boot copied out of the disk.
out() { e2e_debugfs_cat "$helper" "/root/e2e/out/target$1"; }

# ------------------------------------------------------------ the disk
phase "the disk: LVM and XFS, provisioned by a boot of the guest's own kernel"
t=$SECONDS
if ! disk=$("$E2E_TOOLS/lvm-xfs.sh" disk 2>"$tmp/lvm-xfs.err") || ! helper_img=$("$E2E_TOOLS/lvm-xfs.sh" helper 2>>"$tmp/lvm-xfs.err"); then
	t_fail "the lvm-xfs disk provisioned" "$(tail -30 "$tmp/lvm-xfs.err")"
	exit 1
fi
cp --sparse=always "$disk" "$image"
cp --sparse=always "$helper_img" "$helper"
t_pass "the lvm-xfs disk and its helper ($((SECONDS - t)) s; $(tr '\n' ' ' <"$(dirname "$disk")/info"))"

# Boot 0: what the test puts on the disk, as one tar file on the helper.
payload=$tmp/payload
make -s -C "$TESTS_DIR/.." install DESTDIR="$payload" >/dev/null
pkgs=$(e2e_packages)
mkdir -p "$payload/srv/release8" "$payload/var/tmp/release7"
cp "$pkgs"/release8/*.rpm "$payload/srv/release8/"
cp "$pkgs"/release7/*.rpm "$payload/var/tmp/release7/"
n_target=$(ls "$payload/srv/release8" | wc -l)
e2e_queue "$payload" 1-stage.sh <<'EOF'
set -e
echo "release $(cat /etc/oslift-release)"
mkdir -p /root/e2e/out
findmnt -rn -o TARGET,SOURCE,FSTYPE >/root/e2e/out/mounts.boot1
swapon --show=NAME --noheadings >/root/e2e/out/swap.boot1
e2e-wait-go 300
host-prep check --packages /srv/release8 --json >/root/e2e/out/check.json 2>/root/e2e/out/check.err || true
host-prep stage --packages /srv/release8
cp /var/lib/oslift/plan /root/e2e/out/plan
img=$(ls /boot/oslift-upgrade-*.img)
stat -c %s "$img" >/root/e2e/out/initramfs-size
lsinitrd "$img" >/root/e2e/out/lsinitrd
sync
systemctl reboot
EOF
e2e_queue "$payload" 2-verify.sh <<'EOF'
set -e
echo "release $(cat /etc/oslift-release)"
e2e-wait-go 300
systemctl is-active website.service
rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa
rpm -Va >/root/e2e/out/va 2>&1 || true
systemctl show -p ActiveState,Result,UnitFileState oslift-restore.service >/root/e2e/out/restore-unit
findmnt -rn -o TARGET,SOURCE,FSTYPE >/root/e2e/out/mounts.boot3
sync
systemctl poweroff
EOF
tar -C "$payload" -cf "$tmp/payload.tar" .
e2e_image_put "$helper" /root/payload.tar <"$tmp/payload.tar" || { t_fail "the payload put on the helper"; exit 1; }
cat >"$tmp/inject.sh" <<'EOF'
set -euo pipefail
export LVM_SUPPRESS_FD_WARNINGS=1
t=/mnt/target
vgchange -q -ay centos data
mkdir -p $t
mount /dev/mapper/centos-root $t
mount /dev/vdb1 $t/boot
mount /dev/mapper/centos-var $t/var
mount /dev/mapper/data-home $t/home
tar -C $t -xpf /root/payload.tar
for d in proc sys dev; do mount --bind /$d $t/$d; done
# The demo site's release 7 (e2e_install_release7 on the host does the
# same for the other layouts), with the guest's rpm.
chroot $t rpm -i --quiet /var/tmp/release7/*.rpm
mkdir -p $t/var/www/site/data
echo "hello from the site data" >$t/var/www/site/data/hello.txt
rm -rf $t/var/tmp/release7
echo "injected: $(chroot $t rpm -qa | wc -l) packages in the rpmdb"
for d in dev sys proc; do umount $t/$d; done
umount $t/home $t/var $t/boot $t
vgchange -q -an centos data
sync
systemctl poweroff
EOF
helper_boot 0-inject "$tmp/inject.sh"
t_match "$(tr -d '\r' <"$serial.0-inject")" '^e2e: injected: 3 packages in the rpmdb$' \
	"boot 0 (helper): release 7 of the site, oslift and the guest scripts put on the disk's XFS file systems"

E2E_UP_PORT=$(e2e_free_port)
# ------------------------------------------------------------------ boot 1
phase "boot 1: release 7 on LVM and XFS, staging the upgrade"
e2e_up_boot boot1 "$MEM_NORMAL"
e2e_up_reach_site boot1 1
data_before=$DATA
t_match "$PAGE" 'release 7' "boot 1: the site answers (release 7)"
e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
e2e_up_finish boot1
boot1=$(tr -d '\r' <"$serial.boot1")
t_match "$boot1" 'Command line: .*root=/dev/mapper/centos-root ro rd\.lvm\.lv=centos/root rd\.lvm\.lv=centos/swap ' \
	"boot 1: the kernel command line names only centos/root and centos/swap (rd.lvm.lv=)"

# ------------------------------------------------------------------ boot 2
phase "boot 2: the upgrade initramfs"
e2e_up_boot boot2 "$MEM_UPGRADE"
e2e_up_finish boot2
up=$(tr -d '\r' <"$serial.boot2")
t_match "$up" "Booting .oslift upgrade" "boot 2: GRUB (on the XFS /boot) booted the one-time upgrade entry"
t_match "$up" 'Command line:.*rd\.oslift\.upgrade' "boot 2: the kernel got rd.oslift.upgrade"
t_match "$up" 'Command line:.* rd\.lvm\.lv=centos/root rd\.lvm\.lv=centos/swap ' "boot 2: with the old system's rd.lvm.lv= words"
t_match "$up" '/dev/mapper/data-home has not appeared within 3 s: activating every LVM volume group' \
	"boot 2: /home's LV (the first fstab device on an inactive LV) did not appear (rd.lvm.lv= names root and swap): the upgrader activated the volume groups"
t_match "$up" 'lvm: +1 logical volume\(s\) in volume group "data" now active' \
	"boot 2: lvm vgchange's own line on the console: data (home) active"
t_match "$up" 'lvm: +3 logical volume\(s\) in volume group "centos" now active' "boot 2: and centos (root, swap, var)"
t_match "$up" 'activated the LVM volume groups in [0-9.]+ s' "boot 2: the activation succeeded"
t_match "$up" '/var/lib/oslift is on /var \(/dev/mapper/centos-var\): mounting the file systems of /etc/fstab to look for a plan there' \
	"boot 2: the upgrader looked for the plan on the LV of /var"
t_match "$up" "mounted /boot \\(UUID=[-0-9a-f]{36}\\) read-write" "boot 2: the upgrader mounted /boot (XFS, by UUID)"
t_match "$up" 'mounted /var \(/dev/mapper/centos-var\) read-write' "boot 2: the upgrader mounted /var (LV)"
t_match "$up" 'mounted /home \(/dev/mapper/data-home\) read-write' "boot 2: the upgrader mounted /home (LV of the second VG)"
t_match "$up" '(re)?mounted / \(.*\) read-write|/ \(.*\) is mounted read-write at .* already' "boot 2: / is read-write"
t_match "$up" 'fstab: not mounting /dev/mapper/centos-swap on swap: swap' "boot 2: swap skipped (console line)"
t_match "$up" 'fstab: not mounting /mnt/nfs \(10\.0\.2\.2:/export\): network file system' "boot 2: the NFS share skipped (console line)"
t_match "$up" 'the device UUID=0e2e0e2e-dead-4bad-8000-0000000000a1 for /mnt/absent did not appear within 10 s' \
	"boot 2: the absent nofail disk waited for, then"
t_match "$up" 'going on without /mnt/absent \(nofail\)' "boot 2: left out (console line)"
t_match "$up" '\[ ?[0-9]+/[0-9]+ +[0-9]+%\] upgrading website-8\.0-1\.noarch \(from website-7\.0-1\.noarch\)' \
	"boot 2: the serial console shows every package (upgrading website)"
t_match "$up" 'upgrade applied in [0-9.]+ s' "boot 2: the upgrader reports success"
t_match "$up" 'reboot: Restarting system' "boot 2: and reboots"

# ------------------------------------------------------------------ boot 3
phase "boot 3: release 8"
e2e_up_boot boot3 "$MEM_NORMAL"
e2e_up_reach_site boot3 2
t_match "$PAGE" 'release 8' "boot 3: the site answers, now release 8"
t_is "$DATA" "$data_before" "boot 3: with the same site data"
e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
e2e_up_finish boot3
t_match "$(tr -d '\r' <"$serial.boot3")" 'oslift upgrade report' "boot 3: the restoration unit printed its report on the console"

# ------------------------------------------------------------------ boot 4
phase "the disk afterwards (the helper: xfs_repair -n, then the files)"
cat >"$tmp/inspect.sh" <<'EOF'
set -uo pipefail
export LVM_SUPPRESS_FD_WARNINGS=1
t=/mnt/target o=/root/e2e/out/target
vgchange -q -ay centos data
boot=/dev/vdb1
for dev in "$boot" /dev/mapper/centos-root /dev/mapper/centos-var /dev/mapper/data-home; do
	if res=$(xfs_repair -n "$dev" 2>&1); then
		echo "xfs_repair -n $dev: clean"
	else
		echo "xfs_repair -n $dev: exit $?: $(tail -5 <<<"$res" | tr '\n' ' ')"
	fi
done
mkdir -p $t $o
mount -o ro /dev/mapper/centos-root $t && mount -o ro "$boot" $t/boot &&
	mount -o ro /dev/mapper/centos-var $t/var && mount -o ro /dev/mapper/data-home $t/home
cd $t
tar -cf - etc/fstab var/log/oslift var/lib/oslift/status.json root/e2e/out root/e2e/log boot/grub/grubenv \
	boot/grub/custom.cfg 2>/dev/null | tar -C $o -xf -
ls /mnt/target/boot >$o/boot.ls
cd /
umount $t/home $t/var $t/boot $t
vgchange -q -an centos data
sync
echo "inspected"
systemctl poweroff
EOF
helper_boot 4-inspect "$tmp/inspect.sh"
insp=$(tr -d '\r' <"$serial.4-inspect")
t_match "$insp" '^e2e: inspected$' "boot 4 (helper): the disk inspected"
t_is "$(grep -c '^e2e: xfs_repair -n .*: clean$' <<<"$insp" || true) $(grep '^e2e: xfs_repair -n ' <<<"$insp" | grep -vc ': clean$' || true)" "4 0" \
	"every file system is clean afterwards (xfs_repair -n on /boot and the LVs root, var, home)"

mounts=$(out /root/e2e/out/mounts.boot1 || true)
for m in "/ /dev/mapper/centos-root xfs" "/boot /dev/vda1 xfs" "/var /dev/mapper/centos-var xfs" "/home /dev/mapper/data-home xfs"; do
	t_match "$mounts" "^$m\$" "boot 1: the normal boot mounted ${m%% *} (findmnt: $m)"
done
t_match "$(out /root/e2e/out/swap.boot1 || true)" '^/dev/dm-[0-9]+$' "boot 1: and swapped on centos/swap (a device-mapper device)"
check=$(out /root/e2e/out/check.json || true)
t_match "$check" '"blockers": ?0[,}]' "boot 1: host-prep check found no blocker on this layout ($(grep -o '"id": *"[^"]*"' <<<"$check" | sort -u | tr '\n' ' '))"
t_match "$check" '"/ is on dm-[0-9]+ \(LVM\) < vda2 < vda"' "boot 1: and saw / on the LV (storage-stack)"
plan=$(out /root/e2e/out/plan || true)
t_is "$(grep -cE '^(upgrade|install|install-only) ' <<<"$plan" || true)" "$n_target" "boot 1: stage staged the $n_target release 8 packages"
lsinitrd=$(out /root/e2e/out/lsinitrd || true)
size=$(out /root/e2e/out/initramfs-size || echo 0)
t_match "$lsinitrd" ' usr/sbin/lvm$' "the upgrade initramfs has lvm (oslift's dracut module added dracut's lvm module)"
t_match "$lsinitrd" '/kernel/fs/xfs/xfs\.ko' "and the xfs driver"
t_match "$lsinitrd" '/kernel/drivers/md/dm-mod\.ko' "and device-mapper's"
say "upgrade initramfs: $size bytes"
t_is "$(out /root/e2e/out/qa || true)" "base-release-8.0-1.noarch
debian-sh-1.0-8.noarch
website-8.0-1.noarch" "rpm -qa in the new system shows release 8"
va=$(out /root/e2e/out/va) || va="(rpm -Va output missing)"
t_is "$(grep -vE '^[S.][.][5.][.]{4}[T.][.]  c /' <<<"$va" || true)" "" "rpm -Va is clean apart from config files whose content changed"
mounts3=$(out /root/e2e/out/mounts.boot3 || true)
t_match "$mounts3" '^/home /dev/mapper/data-home xfs$' "boot 3: release 8 mounted /home again"
t_match "$(out /var/log/oslift/report.json || true)" '"result":"applied"' "report.json: applied"
t_match "$(out /var/lib/oslift/status.json || true)" '"state": "restored"' "status.json: restored"
t_is "$(grep -c '^next_entry=.' <<<"$(out /boot/grub/grubenv || true)" || true)" 0 "grubenv on the XFS /boot has no next_entry left"
t_is "$(grep -c oslift-upgrade <<<"$(out /boot.ls || true)" || true)" 0 "the upgrade initramfs is gone from /boot"
# (What the upgrader logs before the transaction, the mounts among it, is
# written to boot.log at the end; upgrade.log starts with the transaction.)
t_match "$(out /var/log/oslift/boot.log || true)" 'activating every LVM volume group' \
	"the upgrader's boot.log on the LV /var has the activation too"
wall2=$(sed -n 's/^qemu.sh: guest ran \([0-9.]*\) s.*/\1/p' "$tmp/qemu.boot2.err")
say "upgrade boot: ${wall2:-?} s wall clock; upgrade initramfs $((size / 1024)) KiB"
