#!/bin/bash
# The lvm-xfs layout of the e2e tests: CentOS 7 as its installer lays it
# out by default, on a BIOS machine. Built by a provisioning boot (no loop
# devices on the host, which has neither LVM nor xfsprogs to need):
#
#   lvm-xfs.sh helper    prints the helper image (cached; built when missing)
#   lvm-xfs.sh disk      prints the provisioned disk image (cached; built
#                        when missing, with the helper)
#
# The helper is a make-image.sh --layout bios image (ext4, LABEL=root) of
# the base rootfs plus lvm2 and xfsprogs (Debian's, installed with the
# guest's dpkg). Booted with a second disk (qemu.sh --disk), its boot
# driver runs a queued script there: here the provisioning one, which
# on the blank disk (vdb) makes
#   vdb1  /boot, XFS (its UUID in fstab), GRUB's i386-pc files, grub.cfg
#   vdb2  PV of VG centos: LVs root (XFS, /), swap, var (XFS, /var)
#   vdb3  PV of VG data: LV home (XFS, /home)
# copies the helper's own root into it (it is the same tree), writes
# fstab as anaconda does (/dev/mapper/ names for the LVs, UUID= for /boot,
# a swap line, plus an absent nofail device and an NFS share with
# nofail,_netdev), builds the initramfs with the guest's dracut (modules
# lvm and dm, drivers xfs and dm_mod), writes the kernel command line EL 7
# writes (root=/dev/mapper/centos-root rd.lvm.lv=centos/root
# rd.lvm.lv=centos/swap) into grub.cfg, puts GRUB's boot.img and core.img
# (made on the host with grub-mkimage: part_msdos, xfs) in front of vdb1
# and powers off. Tests copy both images (cp --sparse=always) and boot
# the helper again with their copy of the disk to put files in or read
# them out (upgrade-lvm.sh).
#
# Cache: ${OSLIFT_CACHE:-/var/cache/oslift}/e2e-lvm-xfs-<hash>/ with
# helper.img, disk.img and info (sizes, build times); <hash> covers this
# script, base-rootfs.sh, make-image.sh, qemu.sh and the boot driver.
# flock on e2e-lvm-xfs.lock; built in a temp directory, renamed when done.
set -euo pipefail

die() { echo "lvm-xfs.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 helper|disk" >&2; exit 2; }
(($# == 1)) || usage
case $1 in helper | disk) ;; *) usage ;; esac
((EUID == 0)) || die "needs root (chroot, dpkg in the guest root, make-image.sh)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/lvm-xfs.sh
cache=${OSLIFT_CACHE:-/var/cache/oslift}
hash=$(cat "$self" "$here/base-rootfs.sh" "$here/make-image.sh" "$here/qemu.sh" \
	"$here"/../boot-driver/* | sha256sum | cut -c1-16)
final=$cache/e2e-lvm-xfs-$hash
mkdir -p "$cache"
exec 9>"$cache/e2e-lvm-xfs.lock"
flock 9
if [[ -f $final/$1.img ]]; then
	echo "$final/$1.img"
	exit 0
fi
[[ ! -d $final ]] || die "$final is incomplete (no $1.img): remove it by hand"

base=$("$here/base-rootfs.sh")
start=$SECONDS
tmp=$(mktemp -d "$cache/.e2e-lvm-xfs-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/build.log
failed() { tail -40 "$log" >&2; die "$1 failed (log above; $tmp is removed)"; }

# ------------------------------------------------------------ the helper
root=$tmp/root
cp -a --reflink=auto "$base" "$root"
# lvm2, xfsprogs and fdisk (sfdisk) with what they need beyond the base: downloaded with
# the host's apt against the root's dpkg database into a .deb cache,
# installed with the guest's dpkg. Not Python (30 MB), which xfsprogs
# depends on for xfs_scrub_all only: dpkg --force-depends.
want=(lvm2 xfsprogs fdisk)
debs=$cache/e2e-lvm-xfs-debs
mkdir -p "$debs/partial"
apt_root=(apt-get -q -o Dir::State::status="$root/var/lib/dpkg/status"
	-o Dir::Cache::archives="$debs" -o Debug::NoLocking=1 -o APT::Install-Recommends=false)
"${apt_root[@]}" -y -qq --download-only install "${want[@]}" >>"$log" 2>&1 || failed "apt-get --download-only"
files=()
while read -r name version; do
	f=$(ls "$debs/${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -1)
	[[ $name != *python* && $name != media-types && $name != libnsl2 ]] || continue
	[[ -n $f ]] || die "no .deb for $name $version in $debs"
	cp "$f" "$root/var/tmp/"
	files+=("/var/tmp/$(basename "$f")")
done < <("${apt_root[@]}" -s install "${want[@]}" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')
guest_dpkg() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive INITRD=No dpkg "$@"; }
guest_dpkg --force-depends -i "${files[@]}" >>"$log" 2>&1 || failed "dpkg -i ${want[*]}"
rm -f "$root"/var/tmp/*.deb
chroot "$root" /bin/sh -c 'command -v lvm && command -v mkfs.xfs && command -v xfs_repair && command -v sfdisk' >/dev/null ||
	die "lvm2 or xfsprogs did not install"
# (lvm2 brings its own dracut module's needs: the dracut lvm module
# checks for lvm; base-rootfs.sh's dracutmodules leave it out of the
# guest's images, and oslift's dracut module adds it where needed.)

# GRUB for the provisioned disk, from the build host as make-image.sh
# takes it: /boot is vdb1 (XFS), so core.img's prefix is (hd0,msdos1)/grub.
mkdir -p "$root/root/lvm-xfs"
grub-mkimage -O i386-pc -o "$root/root/lvm-xfs/core.img" -p '(hd0,msdos1)/grub' \
	biosdisk part_msdos xfs normal configfile linux search search_fs_uuid search_label \
	loadenv serial terminal echo test || die "grub-mkimage failed"
(($(stat -c %s "$root/root/lvm-xfs/core.img") < 2047 * 512)) || die "core.img does not fit in front of vdb1"
cp /usr/lib/grub/i386-pc/boot.img "$root/root/lvm-xfs/"

"$here/make-image.sh" "$root" "$tmp/helper.img" 1024 >>"$log" 2>&1 || failed make-image.sh
helper_s=$((SECONDS - start))

# ------------------------------------------------------------ the disk
t=$SECONDS
# 1 MiB, /boot 512 MiB, PV centos 2112 MiB, PV data 400 MiB, 1 MiB spare.
truncate -s 3026M "$tmp/disk.img"
cp --sparse=always "$tmp/helper.img" "$tmp/provision.img"
cat >"$tmp/provision.sh" <<'EOS'
set -euo pipefail
disk=/dev/vdb t=/mnt/target
# (lvm warns about every descriptor it inherits: the driver's console.)
export LVM_SUPPRESS_FD_WARNINGS=1
kver=$(uname -r)
[[ -b $disk ]] || { echo "no $disk"; exit 1; }
echo "provisioning $disk"
sfdisk --quiet "$disk" <<EOT
label: dos
start=2048, size=512MiB, type=83, bootable
size=2112MiB, type=8e
type=8e
EOT
udevadm settle
pvcreate -q -y "${disk}2" "${disk}3"
vgcreate -q centos "${disk}2"
vgcreate -q data "${disk}3"
lvcreate -q -y -n root -L 1400M centos
lvcreate -q -y -n swap -L 128M centos
lvcreate -q -y -n var -l 100%FREE centos
lvcreate -q -y -n home -l 100%FREE data
udevadm settle
mkswap -q /dev/mapper/centos-swap
# XFS v5 as EL 7 makes it: no bigtime, inobtcount or reflink (newer
# features EL 7's kernel and GRUB do not know).
xfs=(mkfs.xfs -q -f -m bigtime=0,inobtcount=0,reflink=0)
"${xfs[@]}" "${disk}1"
for lv in centos-root centos-var data-home; do "${xfs[@]}" /dev/mapper/$lv; done
mkdir -p $t
mount /dev/mapper/centos-root $t
mkdir -p $t/boot $t/var $t/home
mount "${disk}1" $t/boot
mount /dev/mapper/centos-var $t/var
mount /dev/mapper/data-home $t/home
# This root is the system to install: all of it but this script's state.
# (The API file systems' mount points: made below.)
tar -C / --one-file-system --exclude=./mnt/target --exclude=./lost+found \
	--exclude=./root/lvm-xfs --exclude='./root/e2e/*' --exclude=./proc --exclude=./sys \
	--exclude=./dev --exclude=./run --exclude=./tmp --xattrs -cpf - . | tar -C $t --xattrs -xpf -
install -d -m700 $t/root/e2e $t/root/e2e/queue
install -d -m1777 $t/tmp
mkdir -p $t/proc $t/sys $t/dev $t/run $t/mnt/absent $t/mnt/nfs
# /boot is a file system of its own: the kernel and GRUB's files at its top.
boot_uuid=$(blkid -s UUID -o value "${disk}1")
cat >$t/etc/fstab <<EOT
#
# /etc/fstab
# Written by oslift's tests/e2e/tools/lvm-xfs.sh, in the shape of what
# anaconda writes on CentOS 7 (root and swap on LVM, XFS).
#
/dev/mapper/centos-root /                       xfs     defaults        0 0
UUID=$boot_uuid /boot                   xfs     defaults        0 0
/dev/mapper/data-home   /home                   xfs     defaults        0 0
/dev/mapper/centos-var  /var                    xfs     defaults        0 0
/dev/mapper/centos-swap swap                    swap    defaults        0 0
# A disk that is not there (nofail), and a share on the network.
UUID=0e2e0e2e-dead-4bad-8000-0000000000a1 /mnt/absent xfs defaults,nofail 0 0
10.0.2.2:/export        /mnt/nfs                nfs     defaults,nofail,_netdev 0 0
EOT
args='root=/dev/mapper/centos-root ro rd.lvm.lv=centos/root rd.lvm.lv=centos/swap'
cfg=$t/boot/grub/grub.cfg
sed -i -e 's/insmod ext2/insmod xfs/' \
	-e "s/search --no-floppy --label --set=root root/search --no-floppy --fs-uuid --set=root $boot_uuid/" \
	-e "s|linux\t/boot/vmlinuz-\([^ ]*\) root=LABEL=root ro |linux\t/vmlinuz-\1 $args |" \
	-e "s|initrd\t/boot/initrd.img-|initrd\t/initrd.img-|" "$cfg"
grep -q "rd.lvm.lv=centos/swap" "$cfg" || { echo "grub.cfg not rewritten"; exit 1; }
sed -i "s|^GRUB_CMDLINE_LINUX=\"ro |GRUB_CMDLINE_LINUX=\"${args#* ro } ro |" $t/etc/default/grub
grub-editenv $t/boot/grub/grubenv create
# The guest's dracut in the new root, as anaconda runs it: LVM and XFS.
for d in proc sys dev; do mount --bind /$d $t/$d; done
chroot $t /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/var/tmp \
	dracut --quiet --force --no-hostonly --no-early-microcode --kver "$kver" \
	--modules "systemd-initrd dracut-systemd rootfs-block kernel-modules udev-rules base fs-lib dm lvm" \
	--drivers "virtio_blk virtio_pci xfs dm_mod" "/boot/initrd.img-$kver"
for d in dev sys proc; do umount $t/$d; done
# GRUB: boot.img's code in the MBR, core.img behind it.
dd if=/root/lvm-xfs/boot.img of=$disk bs=440 count=1 conv=notrunc status=none
dd if=/root/lvm-xfs/core.img of=$disk bs=512 seek=1 conv=notrunc status=none
df -m $t $t/boot $t/var $t/home
umount $t/home $t/var $t/boot $t
vgchange -q -an centos data
sync
echo "provisioned: boot $boot_uuid"
systemctl poweroff
EOS
# The helper's copy for this boot gets the script in its queue (debugfs on
# its ext4 file system, as e2e_image_put does).
debugfs -w -f - "$tmp/provision.img?offset=1048576" >>"$log" 2>&1 <<EOC || failed "queueing the provisioning script"
write $tmp/provision.sh /root/e2e/queue/1-provision.sh
EOC
# On failure its serial log stays beside the cache: e2e-lvm-xfs-failed.serial.
provision_failed() {
	cp "$tmp/provision.serial" "$cache/e2e-lvm-xfs-failed.serial"
	tr -d '\r' <"$tmp/provision.serial" | grep -a '^e2e: ' | tail -40 >&2
	die "$1 (serial log: $cache/e2e-lvm-xfs-failed.serial)"
}
"$here/qemu.sh" "$tmp/provision.img" "$tmp/provision.serial" --timeout 1500 --disk "$tmp/disk.img" >>"$log" 2>&1 ||
	provision_failed "the provisioning boot failed"
grep -aq '^e2e: provisioned: boot ' "$tmp/provision.serial" || provision_failed "the provisioning boot did not finish"
disk_s=$((SECONDS - t))
rm -rf "$root" "$tmp/provision.img"

{
	echo "helper_seconds $helper_s"
	echo "provision_seconds $disk_s"
	echo "disk_allocated_mb $(($(du -k "$tmp/disk.img" | cut -f1) / 1024))"
	sed -n 's/^qemu.sh: /provision boot: /p' "$log"
	echo "built $(date -u +%FT%TZ)"
} >"$tmp/info"
mv "$tmp/provision.serial" "$tmp/provision.log"
mv "$tmp" "$final"
trap - EXIT
chmod 755 "$final"
echo "lvm-xfs.sh: $final: helper in $helper_s s, disk provisioned in $disk_s s" >&2
echo "$final/$1.img"
