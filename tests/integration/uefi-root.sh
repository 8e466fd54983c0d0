#!/bin/bash
# The one-time boot on CentOS 7's UEFI layout, in root-directory mode:
# grub.cfg and grubenv on the EFI system partition (/boot/efi/EFI/centos),
# /boot/grub2/grubenv a symlink to it. stage --boot-initramfs arms it there
# (custom.cfg with linuxefi/initrdefi beside grub.cfg, next_entry in
# grubenv), the upgrader turns it back on after GRUB used it and off when
# done, restore and cancel disarm it; grubenv is rewritten in place as
# GRUB's save_env does (same inode, 1024 bytes) and read back with
# grub-editenv. A UEFI machine whose ESP is not in fstab, not mounted or
# full is stopped by check and stage, with nothing written.
#
# The machine is faked as kmod's testsuite does (OSLIFT_SYSFS with
# firmware/efi, OSLIFT_PROC with self/mountinfo and cmdline); the full ESP
# is a small tmpfs (needs root).
. "$(dirname "$0")/../lib.sh"

if ! command -v grub-editenv >/dev/null; then
	t_skip_all "grub-editenv (grub-common) is not installed: it reads the environment block back"
	exit 0
fi
tmp=$(t_tmpdir)
pkgs=$(t_packages)
kver=7.0 # the release-7 kernel-core's /boot/vmlinuz-7.0
image=/boot/oslift-upgrade-$kver.img
esp=/boot/efi/EFI/centos

# make_uefi_root ROOT: release 7 laid out as CentOS 7 installed on UEFI,
# with ROOT/fake/sys and ROOT/fake/proc describing the machine.
make_uefi_root() {
	local root=$1
	t_make_release7_root "$root" "$pkgs"
	mkdir -p "$root/boot/grub2" "$root$esp" "$root/boot/efi/EFI/BOOT" \
		"$root/fake/sys/firmware/efi/efivars" "$root/fake/proc/self"
	echo initramfs >"$root/boot/initramfs-$kver.img"
	echo "upgrade initramfs" >"$root$image"
	echo shim >"$root/boot/efi/EFI/BOOT/BOOTX64.EFI"
	cat >"$root$esp/grub.cfg" <<EOF
### BEGIN /etc/grub.d/00_header ###
set pager=1
if [ -s \$prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="\${saved_entry}"
fi
### END /etc/grub.d/00_header ###
### BEGIN /etc/grub.d/10_linux ###
menuentry 'CentOS Linux ($kver) 7 (Core)' --class centos --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$kver-advanced-1234' {
	load_video
	set gfxpayload=keep
	insmod gzio
	insmod part_gpt
	insmod xfs
	search --no-floppy --fs-uuid --set=root 1234
	linuxefi /vmlinuz-$kver root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet
	initrdefi /initramfs-$kver.img
}
### END /etc/grub.d/10_linux ###
### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  \$prefix/custom.cfg ]; then
  source \$prefix/custom.cfg;
fi
### END /etc/grub.d/41_custom ###
EOF
	grub-editenv "$root$esp/grubenv" create
	grub-editenv "$root$esp/grubenv" set "saved_entry=CentOS Linux ($kver) 7 (Core)"
	ln -s ../efi/EFI/centos/grubenv "$root/boot/grub2/grubenv"
	cat >"$root/etc/fstab" <<EOF
/dev/mapper/centos-root /                       xfs     defaults        0 0
UUID=0123-4567          /boot/efi               vfat    umask=0077,shortname=winnt 0 0
/dev/mapper/centos-swap swap                    swap    defaults        0 0
EOF
	printf 'BOOT_IMAGE=/vmlinuz-%s root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet\n' \
		"$kver" >"$root/fake/proc/cmdline"
	esp_mounted "$root" yes
}

# esp_mounted ROOT yes|no: whether ROOT/fake/proc/self/mountinfo has the ESP.
esp_mounted() {
	{
		echo "22 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/centos-root rw"
		[[ $2 == yes ]] && echo "35 22 8:1 / $(realpath "$1")/boot/efi rw,relatime shared:2 - vfat /dev/sda1 rw,umask=0077"
	} >"$1/fake/proc/self/mountinfo"
}

# hp ROOT ARGS...: host-prep on ROOT as that machine.
hp() {
	local root=$1
	shift
	t_run env OSLIFT_SYSFS="$root/fake/sys" OSLIFT_PROC="$root/fake/proc" "$HOST_PREP" --root "$root" "$@"
}

env_list() { grub-editenv "$1$esp/grubenv" list; }
inode_size() { stat -c '%i %s' "$1$esp/grubenv"; }

# --- check, stage, the upgrade, restore ---
root=$tmp/root
make_uefi_root "$root"
ino=$(inode_size "$root")
t_is "${ino#* }" 1024 "(the ESP's grubenv is a 1024-byte block)"
sb=$root/fake/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
printf '\x06\x00\x00\x00\x01' >"$sb"

before=$(t_tree_digest "$root")
# What a rollback gives back: all but oslift's own state and logs, and the
# log the test packages' scriptlets append to (rollback-root.sh says why).
not_rolled_back=(./var/lib/oslift './var/lib/oslift/*' ./var/log ./var/log/oslift './var/log/oslift/*'
	./var/lib/scripted/scriptlets.log)
before_rollback=$(t_tree_digest "$root" "${not_rolled_back[@]}")
env_first=$(od -An -tx1 "$root$esp/grubenv")
hp "$root" check --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
t_is "$T_RC" 0 "check: the EL 7 UEFI layout has no blocker"
t_is "$(t_tree_digest "$root")" "$before" "check changes nothing in the root"
hp "$root" --json check --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
printf '%s\n' "$T_OUT" >"$tmp/check.json"
t_is "$(t_json "$tmp/check.json" '[f["id"] for f in d["findings"] if f["severity"] == "blocker"]')" "[]" \
	"check --json: no blocker"
t_match "$(t_json "$tmp/check.json" '[f["title"] for f in d["findings"] if f["id"] == "secure-boot-upgrade-boot"]')" \
	"runs the running kernel, already signed" "Secure Boot: check says the upgrade boot boots (the running signed kernel)"
t_match "$(t_json "$tmp/check.json" '[f["severity"] + " " + f["title"] for f in d["findings"] if f["id"] == "secure-boot-target-kernel"]')" \
	"warning the target kernel kernel-core-8\.0-1\.noarch must be signed" "Secure Boot: and that the target kernel must be signed"

# The target kernel's image, read from the package: an EFI image with a
# signature (info), one without (a blocker: shim would refuse it).
# efi_kernel NAME CERT_SIZE: release 8 with kernel-core's image a PE32+
# whose certificate table has CERT_SIZE bytes, in $tmp/NAME.
efi_kernel() {
	local dir=$tmp/$1
	mkdir -p "$dir/home" "$dir/set"
	python3 - "$dir/vmlinuz" "$2" <<'PY'
import struct, sys
page = bytearray(8192)
page[0:2] = b"MZ"
struct.pack_into("<I", page, 0x3c, 0x80)
page[0x80:0x84] = b"PE\0\0"
opt = 0x80 + 24
struct.pack_into("<H", page, opt, 0x20b)  # PE32+
struct.pack_into("<I", page, opt + 108, 16)  # data directories
struct.pack_into("<II", page, opt + 112 + 4 * 8, 0x1000 if int(sys.argv[2]) else 0, int(sys.argv[2]))
open(sys.argv[1], "wb").write(page)
PY
	HOME=$dir/home rpmbuild -bb --quiet --define "_topdir $dir/top" --define "_rpmdir $dir/out" \
		--define "image $dir/vmlinuz" "$TESTS_DIR/packages/syscheck-cases/efi-kernel/kernel-core.spec" \
		>"$dir/log" 2>&1 || return 1
	cp "$pkgs"/release8/*.rpm "$dir/set/"
	cp "$dir"/out/noarch/kernel-core-8.0-1.noarch.rpm "$dir/set/"
}
if efi_kernel signed 1512 && efi_kernel unsigned 0; then
	hp "$root" --json check --packages "$tmp/signed/set" --erase legacy --boot-initramfs "$image"
	printf '%s\n' "$T_OUT" >"$tmp/signed.json"
	t_is "$T_RC" 0 "a signed EFI kernel image: check passes"
	t_match "$(t_json "$tmp/signed.json" '[f["severity"] + " " + f["title"] for f in d["findings"] if f["id"] == "secure-boot-target-kernel"]')" \
		"info the target kernel kernel-core-8\.0-1\.noarch carries a signature" "and says the target kernel carries a signature"
	hp "$root" --json check --packages "$tmp/unsigned/set" --erase legacy --boot-initramfs "$image"
	printf '%s\n' "$T_OUT" >"$tmp/unsigned.json"
	t_is "$T_RC" 1 "an EFI kernel image without a signature blocks"
	t_match "$(t_json "$tmp/unsigned.json" '[f["title"] for f in d["findings"] if f["id"] == "secure-boot-unsigned-kernel"]')" \
		"the target kernel kernel-core-8\.0-1\.noarch is an EFI image without a signature" "as secure-boot-unsigned-kernel"
	rm "$sb"
	hp "$root" check --packages "$tmp/unsigned/set" --erase legacy --boot-initramfs "$image"
	t_is "$T_RC" 0 "with Secure Boot off the unsigned kernel does not block"
	printf '\x06\x00\x00\x00\x01' >"$sb"
else
	t_skip "the target kernel's signature" "rpmbuild failed: $(tail -1 "$tmp/signed/log" "$tmp/unsigned/log" 2>/dev/null)"
fi

image_sum=$(sha256sum <"$root$image")
hp "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
t_is "$T_RC" 0 "stage arms the root's own GRUB"
t_match "$T_OUT" "the next boot \(once\) runs the upgrade: $image" "stage says the next boot runs the upgrade"
t_match "$(env_list "$root")" "^next_entry=oslift-upgrade$" "grub-editenv reads next_entry=oslift-upgrade on the ESP"
t_match "$(env_list "$root")" "^saved_entry=CentOS Linux \($kver\) 7 \(Core\)$" "and the saved entry, kept"
t_is "$(inode_size "$root")" "$ino" "grubenv written in place: the same inode, 1024 bytes"
t_ok "/boot/grub2/grubenv is still the symlink" test -L "$root/boot/grub2/grubenv"
custom=$(cat "$root$esp/custom.cfg")
t_match "$custom" "^	linuxefi /boot/vmlinuz-$kver 'root=/dev/mapper/centos-root' 'ro' 'crashkernel=auto' 'rd.lvm.lv=centos/root' 'rhgb' 'quiet' 'rd.oslift.upgrade'" \
	"custom.cfg on the ESP boots the kernel with linuxefi and the root's command line"
t_match "$custom" "^	initrdefi $image$" "and the upgrade initramfs with initrdefi"
t_match "$custom" "^	search --no-floppy --file --set=root $image$" "it finds /boot by the image"
t_ok "no custom.cfg in /boot/grub2" test ! -e "$root/boot/grub2/custom.cfg"
t_match "$(cat "$root/var/lib/oslift/boot-entry")" $'grub_dir=/boot/efi/EFI/centos\ngrubenv=/boot/efi/EFI/centos/grubenv' \
	"the record names the ESP's directory and grubenv for the upgrader"

# GRUB takes the entry (save_env next_entry=), the upgrade boot starts:
# the upgrader turns it back on before its first change, so that a cut
# boots the upgrade again.
grub-editenv "$root$esp/grubenv" unset next_entry
t_ok "(GRUB used the one-time entry)" bash -c "! grub-editenv '$root$esp/grubenv' list | grep -q next_entry"
setsid "$UPGRADER" --root "$root" >"$tmp/cut.log" 2>&1 &
pid=$!
for ((i = 0; i < 3000; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	pgrep -s "$pid" -x sleep >/dev/null && break # scripted's %post sleeps
	sleep 0.01
done
t_match "$(env_list "$root")" "^next_entry=oslift-upgrade$" "during the transaction the upgrader has turned the one-time boot on again on the ESP"
kill -9 -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null || true
t_is "$(inode_size "$root")" "$ino" "in place: the same inode, 1024 bytes"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader finishes the upgrade"
t_ok "once it is over next_entry is gone from the ESP's grubenv" bash -c "! grub-editenv '$root$esp/grubenv' list | grep -q next_entry"
t_match "$(env_list "$root")" "^saved_entry=CentOS Linux" "the saved entry is still there"
t_is "$(inode_size "$root")" "$ino" "in place: the same inode, 1024 bytes"
t_ok "(the release-8 kernel is installed)" test -f "$root/boot/vmlinuz-8.0"
t_match "$(t_rpm "$root" -q webapp)" "^webapp-8\.0-1\.noarch$" "(the upgrade was applied)"
hp "$root" restore
t_is "$T_RC" 0 "restore succeeds"
t_ok "restore removes custom.cfg from the ESP" test ! -e "$root$esp/custom.cfg"
t_ok "and the record" test ! -e "$root/var/lib/oslift/boot-entry"
t_is "$(sha256sum <"$root$image" 2>&1)" "$image_sum" "the image given with --boot-initramfs is the operator's: kept, the same SHA-256"
t_match "$(cat "$root/var/log/oslift/report.txt")" "the initramfs $image, given with --boot-initramfs, is kept" \
	"and the report says so"
t_is "$(inode_size "$root")" "$ino" "grubenv: still the same inode, 1024 bytes"

# --- the rollback boot on the ESP: the old grub.cfg, custom.cfg and
# grubenv there, grubenv in place ---
hp "$root" rollback --boot-initramfs "$image"
t_is "$T_RC" 0 "rollback arms the rollback boot in the ESP's GRUB"
t_match "$(env_list "$root")" "^next_entry=oslift-upgrade$" "next_entry on the ESP selects it"
t_match "$(cat "$root$esp/custom.cfg")" "^	initrdefi $image$" "its entry is in the ESP's custom.cfg"
sed -i 's/(Core)/(Core) after the upgrade/' "$root$esp/grub.cfg" # as release 8's kernel scriptlets would
grub-editenv "$root$esp/grubenv" unset next_entry # GRUB used the entry
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader rolls back"
t_match "$T_OUT" "put $esp/grubenv back as it was before the upgrade" "and puts the ESP's grubenv back last"
t_is "$(od -An -tx1 "$root$esp/grubenv")" "$env_first" "the ESP's grubenv has the very bytes it had before the stage"
t_is "$(inode_size "$root")" "$ino" "in the same inode, 1024 bytes: rewritten in place"
t_ok "the ESP's custom.cfg is gone (stage made it)" test ! -e "$root$esp/custom.cfg"
t_ok "/boot/grub2/grubenv is still the symlink" test -L "$root/boot/grub2/grubenv"
t_is "$(t_tree_digest "$root" "${not_rolled_back[@]}")" "$before_rollback" \
	"the whole tree, the ESP's grub.cfg included, is as before the stage"

# --- stage, then cancel: the ESP as it was ---
root=$tmp/cancel
make_uefi_root "$root"
env_before=$(od -An -tx1 "$root$esp/grubenv")
ino=$(inode_size "$root")
hp "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image" \
	--upgrade-arg rd.oslift.watchdog=86401
t_is "$T_RC" 2 "stage --upgrade-arg refuses a watchdog longer than the upgrader takes"
t_match "$T_OUT" "--upgrade-arg 'rd\.oslift\.watchdog=86401' is not one the upgrader takes: give .*rd\.oslift\.watchdog=SECONDS \(0-86400" \
	"and says which word and what it takes"
hp "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image" --upgrade-arg rd.shell=1
t_is "$T_RC" 2 "stage --upgrade-arg refuses a word that is not the upgrader's"
hp "$root" stage --packages "$pkgs/release8" --erase legacy --upgrade-arg rd.oslift.watchdog=30
t_is "$T_RC" 2 "stage --upgrade-arg with --root and no --boot-initramfs: refused, no entry to put it in"
t_match "$T_OUT" "none is armed without --boot-initramfs" "and says why"
t_ok "(nothing staged)" test ! -e "$root/var/lib/oslift/plan"
hp "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image" \
	--upgrade-arg rd.oslift.watchdog=30 --upgrade-arg rd.oslift.attempts=5
t_is "$T_RC" 0 "stage arms a second root"
t_match "$(cat "$root$esp/custom.cfg")" "^	linuxefi /boot/vmlinuz-$kver .*'rd\.oslift\.upgrade' 'rd\.shell=0' 'rd\.emergency=reboot' 'rd\.timeout=300' 'rd\.oslift\.watchdog=30' 'rd\.oslift\.attempts=5'" \
	"--upgrade-arg: its words follow rd.oslift.upgrade in the entry"
t_match "$(env_list "$root")" "^next_entry=oslift-upgrade$" "next_entry set on its ESP"
hp "$root" cancel
t_is "$T_RC" 0 "cancel succeeds"
t_is "$(od -An -tx1 "$root$esp/grubenv")" "$env_before" "cancel: the ESP's grubenv has the very bytes it had"
t_is "$(inode_size "$root")" "$ino" "in the same inode, 1024 bytes"
t_ok "cancel removes custom.cfg from the ESP" test ! -e "$root$esp/custom.cfg"
t_is "$(sha256sum <"$root$image" 2>&1)" "$(printf 'upgrade initramfs\n' | sha256sum)" \
	"cancel keeps the image given with --boot-initramfs, the same SHA-256"

# --- the ESP not in fstab, not mounted: blockers, nothing written ---
echo upgrade >"$root$image"
# blocked WHAT PATTERN: check and stage stop with a boot-entry blocker
# matching PATTERN, and change nothing.
blocked() {
	local before
	before=$(t_tree_digest "$root")
	hp "$root" --json check --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
	printf '%s\n' "$T_OUT" >"$tmp/blocked.json"
	t_is "$T_RC" 1 "$1: check exits 1"
	t_match "$(t_json "$tmp/blocked.json" '[f["title"] for f in d["findings"] if f["id"] == "boot-entry"]')" "$2" \
		"$1: the boot-entry blocker says what and what to do"
	hp "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
	t_is "$T_RC" 1 "$1: stage refuses"
	t_is "$(t_tree_digest "$root")" "$before" "$1: nothing was written"
}
cp "$root/etc/fstab" "$tmp/fstab"
grep -v /boot/efi "$tmp/fstab" >"$root/etc/fstab"
blocked "ESP not in fstab" "has no entry for the EFI system partition on /boot/efi.*add one"
cp "$tmp/fstab" "$root/etc/fstab"
esp_mounted "$root" no
blocked "ESP not mounted" "the EFI system partition is not mounted on $root/boot/efi.*mount the device the root.s fstab names there \(.mount UUID=0123-4567 $root/boot/efi.: a plain .mount $root/boot/efi. would read this host.s fstab\)"
esp_mounted "$root" yes

# --- a full ESP: a small tmpfs, filled ---
if ((EUID != 0)); then
	t_skip "a full ESP" "needs root to mount a small tmpfs"
else
	small=$tmp/small-esp
	cp -a "$root/boot/efi" "$small"
	mount -t tmpfs -o size=64k oslift-test-esp "$root/boot/efi"
	unmount_and_finish() { local rc=$?; umount "$root/boot/efi" 2>/dev/null; _t_finish "$rc"; }
	trap unmount_and_finish EXIT
	cp -a "$small/." "$root/boot/efi/"
	head -c 1M /dev/zero >"$root/boot/efi/filler" 2>/dev/null || true
	cat /proc/self/mountinfo >"$root/fake/proc/self/mountinfo"
	t_is "$(stat -f -c %a "$root/boot/efi")" 0 "(the ESP is full)"
	blocked "a full ESP" "the EFI system partition \($root/boot/efi\) has 0 KiB free; the upgrade boot entry needs [0-9]+ KiB there.*free space on it"
	rm "$root/boot/efi/filler"
	hp "$root" check --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
	t_is "$T_RC" 0 "with the space freed, check passes (the tmpfs is the mounted ESP)"
	umount "$root/boot/efi"
fi

# --- BIOS is as before: no ESP needed ---
rm -r "$root/fake/sys/firmware"
grep -v /boot/efi "$tmp/fstab" >"$root/etc/fstab"
esp_mounted "$root" no
hp "$root" check --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
t_is "$T_RC" 0 "without efivars (BIOS) the ESP is not needed, and its grub.cfg still found"

# --- --boot-initramfs: bad input ---
hp "$root" check --packages "$pkgs/release8" --erase legacy --boot-initramfs /boot/missing.img
t_is "$T_RC" 1 "an image that is not there blocks"
t_match "$T_OUT" "BLOCKER +boot-entry: the upgrade initramfs $root/boot/missing.img does not exist" \
	"and check names it"
t_run "$HOST_PREP" check --packages "$pkgs/release8" --boot-initramfs "$image"
t_is "$T_RC" 2 "--boot-initramfs without --root is a usage error"
t_match "$T_OUT" "is for --root DIR; for the running system stage builds the upgrade initramfs with dracut" \
	"and says why"
hp "$root" check --packages "$pkgs/release8" --boot-initramfs upgrade.img
t_is "$T_RC" 2 "an image outside /boot is a usage error"
t_match "$T_OUT" "give the image as a path inside the root, below /boot" "and says what to give"
hp "$root" stage --packages "$pkgs/release8" --boot-initramfs "$image" --no-boot
t_is "$T_RC" 2 "--boot-initramfs with --no-boot is a usage error"
