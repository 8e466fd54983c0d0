#!/bin/bash
# A bootable disk image from a guest root directory, without loop devices:
#
#   make-image.sh ROOTFS_DIR IMAGE SIZE_MB [--kernel-args ARGS] [--layout LAYOUT]
#
# ROOTFS_DIR is changed in place (pass a copy of base-rootfs.sh's tree,
# never the cache itself): the script writes the default entry's initrd
# (/boot/initrd.img-KVER, built with the guest's own dracut in a chroot),
# GRUB's files and the e2e boot driver (boot-driver/install.sh).
#
# LAYOUT bios (the default): /boot/grub/ (grub.cfg, grubenv, the i386-pc
# modules); the image holds one msdos partition from 1 MiB to the end:
# ext4, label "root", filled with mkfs.ext4 -d; GRUB's boot.img in the MBR
# and core.img in the gap after it.
#
# LAYOUT uefi-el7: CentOS 7 installed on UEFI, for OVMF (qemu.sh --uefi). A
# GPT disk (SIZE_MB >= 1024) with partitions named esp, boot, root and var:
#   esp   128 MiB vfat on /boot/efi: EFI/BOOT/BOOTX64.EFI and
#         EFI/centos/grubx64.efi (one GRUB image, prefix /EFI/centos),
#         EFI/centos/grub.cfg (EL 7's 00_header, 10_linux with
#         linuxefi/initrdefi, 41_custom) and EFI/centos/grubenv
#   boot  256 MiB ext4 on /boot (EL 7 has XFS there; ext4 here, so that it
#         is built with mkfs.ext4 -d like the others), /boot/grub2/grubenv a
#         symlink to the ESP's as on EL 7
#   root  ext4, label "root", the rest
#   var   512 MiB ext4 on /var (the plan and staged packages live there)
# fstab mounts them by UUID=. Each file system is built in a file of its
# own (mkfs.vfat -C + mtools, mkfs.ext4 -d) and copied into place with dd.
# A stale OVMF variable store beside IMAGE (qemu.sh's IMAGE.OVMF_VARS.fd)
# is removed: the new disk starts with fresh NVRAM.
#
# ARGS are appended to the default entry's kernel command line, after
#   root=LABEL=root ro console=ttyS0,115200 rd.shell=0 rd.emergency=reboot panic=5 no_timer_check SYSTEMD_COLORS=0
# (panic=5: a kernel panic reboots, which ends QEMU (-no-reboot) instead of
# hanging until the timeout; no_timer_check: under TCG on a busy host the
# kernel's IO-APIC timer check can fail and panic the guest at boot, a
# check that means nothing for an emulated timer; SYSTEMD_COLORS=0: a
# serial log without colour escapes, easier to grep.)
# Prints one summary line (sizes, seconds) on stderr.
set -euo pipefail

usage() { echo "usage: $0 ROOTFS_DIR IMAGE SIZE_MB [--kernel-args ARGS] [--layout bios|uefi-el7]" >&2; exit 2; }
die() { echo "make-image.sh: $*" >&2; exit 1; }

pos=() kargs='' layout=bios
while (($#)); do
	case $1 in
	--kernel-args) (($# >= 2)) || usage; kargs=$2; shift 2 ;;
	--kernel-args=*) kargs=${1#*=}; shift ;;
	--layout) (($# >= 2)) || usage; layout=$2; shift 2 ;;
	--layout=*) layout=${1#*=}; shift ;;
	-*) usage ;;
	*) pos+=("$1"); shift ;;
	esac
done
((${#pos[@]} == 3)) || usage
root=$(readlink -f "${pos[0]}") image=${pos[1]} size=${pos[2]}
[[ $size =~ ^[0-9]+$ ]] && ((size >= 64)) || die "SIZE_MB must be a number >= 64"
[[ -d $root/boot && -d $root/usr/lib/modules ]] || die "$root does not look like a guest root"
((EUID == 0)) || die "needs root (chroot, file ownership in the image)"
cache=$(readlink -m "${OSLIFT_CACHE:-/var/cache/oslift}")
[[ $root != "$cache"/e2e-rootfs-* ]] || die "$root is the cached base rootfs: pass a copy (cp -a --reflink=auto)"
tools=(sfdisk mkfs.ext4 grub-mkimage grub-editenv unshare)
case $layout in
bios)
	grubdir=/usr/lib/grub/i386-pc
	[[ -f $grubdir/boot.img ]] || die "$grubdir not found (Debian package grub-pc-bin)" ;;
uefi-el7)
	((size >= 1024)) || die "the uefi-el7 layout needs SIZE_MB >= 1024 (ESP, /boot and /var take 896)"
	grubdir=/usr/lib/grub/x86_64-efi
	[[ -f $grubdir/linuxefi.mod ]] || die "$grubdir not found (Debian package grub-efi-amd64-bin)"
	tools+=(mkfs.vfat mmd mcopy) ;;
*) die "unknown layout '$layout' (bios or uefi-el7)" ;;
esac
for tool in "${tools[@]}"; do
	command -v $tool >/dev/null || die "$tool not found (initrd/bootstrap-debian.sh installs it)"
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
start=$SECONDS

# The newest kernel in the root (there is one in the base rootfs).
kver=$(cd "$root/usr/lib/modules" && ls -d -- */ | tr -d / | sort -V | tail -1)
[[ -f $root/boot/vmlinuz-$kver ]] || die "no /boot/vmlinuz-$kver in $root"

# --- the default entry's initrd ------------------------------------------------
# The guest's own dracut, kernel modules and binaries: the build host's
# kernel differs, and running the guest's dracut here also proves it works
# there (host-prep stage runs it in the guest). A private mount namespace
# makes /proc, /sys and /dev in the chroot vanish when it exits.
# Modules: the smallest set found to boot a systemd initrd to the root
# filesystem; --drivers limits the kernel modules to the virtio disk and
# ext4 (with their dependencies).
t=$SECONDS
unshare --mount --propagation private /bin/bash -euc '
	root=$1 kver=$2
	mount -t proc proc "$root/proc"
	mount -t sysfs sys "$root/sys"
	mount -t devtmpfs dev "$root/dev"
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/var/tmp \
		dracut --quiet --force --no-hostonly --no-early-microcode --kver "$kver" \
		--modules "systemd-initrd dracut-systemd rootfs-block kernel-modules udev-rules base fs-lib" \
		--drivers "virtio_blk virtio_pci ext4" \
		"/boot/initrd.img-$kver"
' - "$root" "$kver" || die "dracut failed in the guest root"
initrd_s=$((SECONDS - t))

# --- the boot driver -----------------------------------------------------------
"$here/../boot-driver/install.sh" "$root"

# The kernel's command line after root= (see the top of this file).
kcmdline="ro console=ttyS0,115200 rd.shell=0 rd.emergency=reboot panic=5 no_timer_check SYSTEMD_COLORS=0${kargs:+ $kargs}"

# grub_header DEFAULT: grub.cfg's 00_header in the shape grub-mkconfig
# writes it (Debian's and EL 7's alike in what matters here): load_env;
# next_entry, when set, is the default once and cleared with save_env (the
# one-time boot); otherwise DEFAULT ("0", or '${saved_entry}' for EL's
# GRUB_DEFAULT=saved); the serial terminal; no timeout.
grub_header() {
	cat <<EOF
### BEGIN /etc/grub.d/00_header ###
if [ -s \$prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="$1"
fi

if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "\${prev_saved_entry}" ]; then
  set saved_entry="\${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}

serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout_style=menu
set timeout=0
### END /etc/grub.d/00_header ###
EOF
}

# default_grub DEFAULT DISTRIBUTOR: /etc/default/grub as the system's
# grub-mkconfig reads it (release 8's, the grub2-tools stand-in of
# packages/kernel/), in step with the grub.cfg written here: GRUB_DEFAULT
# (0, or saved), the serial terminal, no timeout, the default entry's
# command line after root=.
default_grub() {
	mkdir -p "$root/etc/default"
	cat >"$root/etc/default/grub" <<EOF
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR="$2"
GRUB_DEFAULT=$1
GRUB_TERMINAL_OUTPUT="serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_CMDLINE_LINUX="$kcmdline"
GRUB_DISABLE_RECOVERY="true"
EOF
}

# --- BIOS: GRUB's files, the image ---------------------------------------------
bios_image() {
mkdir -p "$root/boot/grub/i386-pc"
# insmod (and the command autoloader) read modules and *.lst from here.
cp "$grubdir"/*.mod "$grubdir"/*.lst "$root/boot/grub/i386-pc/"
rm -f "$root/boot/grub/grubenv"
grub-editenv "$root/boot/grub/grubenv" create
default_grub 0 "Debian GNU/Linux"

# Mimics what Debian's grub-mkconfig writes, in the parts that matter for a
# one-time boot: 00_header (grubenv, next_entry), 10_linux (the default
# entry), 41_custom (custom.cfg, where host-prep stage adds its entry).
cat >"$root/boot/grub/grub.cfg" <<EOF
# Written by oslift's tests/e2e/tools/make-image.sh, in the shape of
# Debian's grub-mkconfig output.

$(grub_header 0)

### BEGIN /etc/grub.d/10_linux ###
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-root' {
	insmod gzio
	insmod part_msdos
	insmod ext2
	search --no-floppy --label --set=root root
	echo	'Loading Linux $kver ...'
	linux	/boot/vmlinuz-$kver root=LABEL=root $kcmdline
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd.img-$kver
}
### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  \$prefix/custom.cfg ]; then
  source \$prefix/custom.cfg
fi
### END /etc/grub.d/41_custom ###
EOF

# --- the disk image ----------------------------------------------------------
t=$SECONDS
rm -f "$image"
truncate -s "${size}M" "$image"
# One bootable Linux partition from 1 MiB (sector 2048) to the end; the gap
# before it holds core.img.
echo 'label: dos
start=2048, type=83, bootable' | sfdisk --quiet "$image"
# mkfs.ext4 -d copies the tree (owners, modes, links, device nodes) into the
# filesystem at the partition's offset: no loop device, no mount.
mkfs.ext4 -q -F -L root -E offset=1048576 -d "$root" "$image" "$((size - 1))M" ||
	die "mkfs.ext4 failed"

# GRUB without grub-install (grub-bios-setup refuses image files): core.img
# embeds what is needed to find and read its prefix; boot.img's and
# core.img's built-in defaults (core.img at sector 1, its blocklist filled in
# by grub-mkimage) fit this layout.
core=$(mktemp)
trap 'rm -f "$core"' EXIT
grub-mkimage -O i386-pc -o "$core" -p '(hd0,msdos1)/boot/grub' \
	biosdisk part_msdos ext2 normal configfile linux search search_label \
	loadenv serial terminal echo test
(($(stat -c %s "$core") < 2047 * 512)) || die "core.img does not fit in front of the partition"
# MBR: boot code only (440 bytes), keeping the disk signature and the
# partition table sfdisk wrote.
dd if="$grubdir/boot.img" of="$image" bs=440 count=1 conv=notrunc status=none
dd if="$core" of="$image" bs=512 seek=1 conv=notrunc status=none
image_s=$((SECONDS - t))
}

# --- UEFI, laid out the EL 7 way: GRUB's files, the image ------------------------
# uuid: a random file system UUID (mkfs.ext4 -U takes it as it is).
uuid() { cat /proc/sys/kernel/random/uuid; }

# Puts ROOTFS_DIR's /boot and /var back, removes the file system files.
uefi_el7_cleanup() {
	local d
	rm -rf "$stage/esp" "$stage"/*.img
	for d in boot var; do
		[[ ! -d $stage/$d ]] || { rmdir "$root/$d" 2>/dev/null || true; mv "$stage/$d" "$root/$d"; }
	done
	rmdir "$stage" 2>/dev/null || true
}

uefi_el7_image() {
	local boot_uuid root_uuid var_uuid esp_id esp_uuid title mib=2048
	local esp_mb=128 boot_mb=256 var_mb=512 root_mb
	# (global: the EXIT trap reads it)
	stage=$(mktemp -d "$(dirname "$(readlink -f "$image")")/.make-image.XXXXXX")
	# ROOTFS_DIR's /boot and /var go into file systems of their own: moved
	# aside while the root's is built, and back afterwards.
	trap 'uefi_el7_cleanup' EXIT
	boot_uuid=$(uuid) root_uuid=$(uuid) var_uuid=$(uuid)
	esp_id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ' | tr a-f A-F)
	esp_uuid=${esp_id:0:4}-${esp_id:4:4}
	title="CentOS Linux ($kver) 7 (Core)"
	root_mb=$((size - 1 - esp_mb - boot_mb - var_mb - 1))

	# The layout anaconda writes for CentOS 7 on UEFI with a separate /var
	# (/boot/grub2/grubenv a link to the ESP's, which GRUB reads and writes).
	mkdir -p "$root/boot/efi" "$root/boot/grub2"
	rm -rf "$root/boot/grub"
	ln -sfn ../efi/EFI/centos/grubenv "$root/boot/grub2/grubenv"
	cat >"$root/etc/fstab" <<EOT
# Written by oslift's tests/e2e/tools/make-image.sh (layout uefi-el7), in
# the shape of what anaconda writes on CentOS 7.
UUID=$root_uuid /                       ext4    defaults        1 1
UUID=$boot_uuid /boot                   ext4    defaults        1 2
UUID=$esp_uuid          /boot/efi               vfat    umask=0077,shortname=winnt 0 0
UUID=$var_uuid /var                    ext4    defaults        1 2
EOT

	# The ESP's tree: EL 7's shim (here GRUB itself) as the firmware's
	# fallback loader, grubx64.efi with its prefix built in as /EFI/centos
	# (its embedded config finds the ESP by UUID and sets it), grub.cfg and
	# grubenv beside it.
	local efi=$stage/esp/EFI
	mkdir -p "$efi/BOOT" "$efi/centos"
	cat >"$stage/early.cfg" <<EOT
search --no-floppy --fs-uuid --set=root $esp_uuid
set prefix=(\$root)/EFI/centos
EOT
	# Every module the configuration uses is built in: EL 7's signed
	# grubx64.efi is one image too, with no modules on the ESP.
	grub-mkimage -O x86_64-efi -o "$efi/centos/grubx64.efi" -p /EFI/centos -c "$stage/early.cfg" \
		part_gpt fat ext2 normal configfile linux linuxefi search search_fs_uuid search_fs_file \
		search_label loadenv serial terminal echo test gzio sleep cat ls reboot halt
	rm -f "$stage/early.cfg"
	cp "$efi/centos/grubx64.efi" "$efi/BOOT/BOOTX64.EFI"
	grub-editenv "$efi/centos/grubenv" create
	grub-editenv "$efi/centos/grubenv" set "saved_entry=$title"
	default_grub saved "CentOS Linux"
	# EL 7's grub2-mkconfig output in the parts that matter for a one-time
	# boot: 00_header (grubenv, next_entry, saved_entry), 10_linux
	# (linuxefi/initrdefi, paths on the /boot file system), 41_custom
	# (custom.cfg beside grub.cfg, where host-prep stage adds its entry).
	# Not EL 7's: the serial terminal only, and no load_video (its video
	# modules are not in the image; an error in an entry makes GRUB wait
	# for a key).
	cat >"$efi/centos/grub.cfg" <<EOT
#
# Written by oslift's tests/e2e/tools/make-image.sh (layout uefi-el7), in
# the shape of CentOS 7's grub2-mkconfig output.
#
$(grub_header '${saved_entry}')

### BEGIN /etc/grub.d/10_linux ###
menuentry '$title' --class centos --class gnu-linux --class gnu --class os --unrestricted \$menuentry_id_option 'gnulinux-$kver-advanced-$root_uuid' {
	set gfxpayload=keep
	insmod gzio
	insmod part_gpt
	insmod ext2
	search --no-floppy --fs-uuid --set=root $boot_uuid
	linuxefi /vmlinuz-$kver root=UUID=$root_uuid $kcmdline
	initrdefi /initrd.img-$kver
}
### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  \$prefix/custom.cfg ]; then
  source \$prefix/custom.cfg;
fi
### END /etc/grub.d/41_custom ###
EOT

	# --- the disk image ---
	t=$SECONDS
	mv "$root/boot" "$stage/boot"
	mv "$root/var" "$stage/var"
	install -d -m755 "$root/boot" "$root/var"
	# /boot/efi is the ESP's mount point on the /boot file system.
	[[ -d $stage/boot/efi ]] || die "no /boot/efi"
	mkfs.vfat -C -i "$esp_id" "$stage/esp.img" $((esp_mb * 1024)) >/dev/null || die "mkfs.vfat failed"
	mmd -i "$stage/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/centos
	mcopy -i "$stage/esp.img" "$efi/BOOT/BOOTX64.EFI" ::/EFI/BOOT/
	mcopy -i "$stage/esp.img" "$efi/centos/grubx64.efi" "$efi/centos/grub.cfg" "$efi/centos/grubenv" ::/EFI/centos/
	mkfs.ext4 -q -F -U "$boot_uuid" -d "$stage/boot" "$stage/boot.img" "${boot_mb}M" >/dev/null || die "mkfs.ext4 /boot failed"
	mkfs.ext4 -q -F -U "$var_uuid" -d "$stage/var" "$stage/var.img" "${var_mb}M" >/dev/null || die "mkfs.ext4 /var failed"
	mkfs.ext4 -q -F -L root -U "$root_uuid" -d "$root" "$stage/root.img" "${root_mb}M" >/dev/null || die "mkfs.ext4 / failed"

	rm -f "$image" "$image.OVMF_VARS.fd"
	truncate -s "${size}M" "$image"
	# Sectors of 512 bytes; GPT's backup header takes the last MiB's end.
	sfdisk --quiet "$image" <<EOT || die "sfdisk failed"
label: gpt
start=$((1 * mib)), size=$((esp_mb * mib)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
start=$(((1 + esp_mb) * mib)), size=$((boot_mb * mib)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot
start=$(((1 + esp_mb + boot_mb) * mib)), size=$((root_mb * mib)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
start=$(((1 + esp_mb + boot_mb + root_mb) * mib)), size=$((var_mb * mib)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=var
EOT
	local part off=1
	for part in esp:$esp_mb boot:$boot_mb root:$root_mb var:$var_mb; do
		dd if="$stage/${part%:*}.img" of="$image" bs=1M seek=$off conv=notrunc,sparse status=none ||
			die "cannot copy the ${part%:*} file system into $image"
		off=$((off + ${part#*:}))
	done
	uefi_el7_cleanup
	trap - EXIT
	image_s=$((SECONDS - t))
}

case $layout in
bios) bios_image ;;
uefi-el7) uefi_el7_image ;;
esac

echo "make-image.sh: $image: ${size} MB (${kver}), initrd $(($(stat -c %s "$root/boot/initrd.img-$kver") / 1024)) KiB in ${initrd_s} s, image in ${image_s} s, total $((SECONDS - start)) s" >&2
