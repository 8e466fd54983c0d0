#!/bin/bash
# A bootable BIOS disk image from a guest root directory, without loop
# devices:
#
#   make-image.sh ROOTFS_DIR IMAGE SIZE_MB [--kernel-args ARGS]
#
# ROOTFS_DIR is changed in place (pass a copy of base-rootfs.sh's tree,
# never the cache itself): the script writes the default entry's initrd
# (/boot/initrd.img-KVER, built with the guest's own dracut in a chroot),
# /boot/grub/ (grub.cfg, grubenv, the i386-pc modules) and the e2e boot
# driver (boot-driver/install.sh). The image then holds one msdos partition
# from 1 MiB to the end: ext4, label "root", filled with mkfs.ext4 -d;
# GRUB's boot.img in the MBR and core.img in the gap after it.
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

usage() { echo "usage: $0 ROOTFS_DIR IMAGE SIZE_MB [--kernel-args ARGS]" >&2; exit 2; }
die() { echo "make-image.sh: $*" >&2; exit 1; }

pos=() kargs=
while (($#)); do
	case $1 in
	--kernel-args) (($# >= 2)) || usage; kargs=$2; shift 2 ;;
	--kernel-args=*) kargs=${1#*=}; shift ;;
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
for tool in sfdisk mkfs.ext4 grub-mkimage grub-editenv unshare; do
	command -v $tool >/dev/null || die "$tool not found (initrd/bootstrap-debian.sh installs it)"
done
grubdir=/usr/lib/grub/i386-pc
[[ -f $grubdir/boot.img ]] || die "$grubdir not found (Debian package grub-pc-bin)"
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

# --- the boot driver, GRUB's files -------------------------------------------
"$here/../boot-driver/install.sh" "$root"

mkdir -p "$root/boot/grub/i386-pc"
# insmod (and the command autoloader) read modules and *.lst from here.
cp "$grubdir"/*.mod "$grubdir"/*.lst "$root/boot/grub/i386-pc/"
rm -f "$root/boot/grub/grubenv"
grub-editenv "$root/boot/grub/grubenv" create

# Mimics what Debian's grub-mkconfig writes, in the parts that matter for a
# one-time boot: 00_header (grubenv, next_entry), 10_linux (the default
# entry), 41_custom (custom.cfg, where host-prep stage adds its entry).
cat >"$root/boot/grub/grub.cfg" <<EOF
# Written by oslift's tests/e2e/tools/make-image.sh, in the shape of
# Debian's grub-mkconfig output.

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
   set default="0"
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

### BEGIN /etc/grub.d/10_linux ###
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-root' {
	insmod gzio
	insmod part_msdos
	insmod ext2
	search --no-floppy --label --set=root root
	echo	'Loading Linux $kver ...'
	linux	/boot/vmlinuz-$kver root=LABEL=root ro console=ttyS0,115200 rd.shell=0 rd.emergency=reboot panic=5 no_timer_check SYSTEMD_COLORS=0${kargs:+ $kargs}
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

echo "make-image.sh: $image: ${size} MB (${kver}), initrd $(($(stat -c %s "$root/boot/initrd.img-$kver") / 1024)) KiB in ${initrd_s} s, image in ${image_s} s, total $((SECONDS - start)) s" >&2
