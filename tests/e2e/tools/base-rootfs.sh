#!/bin/bash
# The Debian 12 root directory every e2e guest starts from, built once with
# debootstrap and cached outside the clone:
#
#   base-rootfs.sh            prints the cached rootfs directory (building it
#                             first when missing); build output goes to stderr
#
# Cache: ${OSLIFT_CACHE:-/var/cache/oslift}/e2e-rootfs-<hash of this file>/
#   root/        the root directory (never modify it: copy it, see README.md)
#   info         kernel version, sizes, build time
# The hash covers this script only: any change here gives a fresh rootfs.
# Older e2e-rootfs-* directories are left alone (another clone may still use
# them); delete them by hand.
#
# Needs root, debootstrap and Debian's archive (the mirror of
# /etc/apt/sources.list.d/debian.sources). A cold build takes a few minutes.
set -euo pipefail

die() { echo "base-rootfs.sh: $*" >&2; exit 1; }
((EUID == 0)) || die "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap not found (initrd/bootstrap-debian.sh installs it)"

self=$(readlink -f "${BASH_SOURCE[0]}")
cache=${OSLIFT_CACHE:-/var/cache/oslift}
hash=$(sha256sum "$self" | cut -c1-16)
final=$cache/e2e-rootfs-$hash

mkdir -p "$cache"
# Concurrent callers wait for one build instead of racing two debootstraps.
exec 9>"$cache/e2e-rootfs.lock"
flock 9
if [[ -d $final/root ]]; then
	echo "$final/root"
	exit 0
fi

# The machine's own archive, never a host name written into the repository.
sources=/etc/apt/sources.list.d/debian.sources
[[ -f $sources ]] || die "$sources not found"
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$sources" | head -1)
keyring=$(sed -n 's/^Signed-By:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$sources" | head -1)
[[ -n $mirror ]] || die "no URIs: line in $sources"
suite=bookworm

# What a booted guest needs, beyond minbase:
#  - systemd as init, udev; systemd-networkd (part of systemd) does DHCP
#  - the kernel; dracut instead of initramfs-tools (it satisfies the kernel's
#    linux-initramfs-tool dependency, and host-prep stage runs it in the
#    guest to build the upgrade initramfs)
#  - grub-editenv / grub-reboot for arming the one-time boot (the boot
#    loader itself is installed from the build host by make-image.sh)
#  - Debian's rpm, so the guest has an rpmdb and `rpm -qa` works
#  - busybox-static: its httpd serves the demo web site
include=(
	systemd systemd-sysv udev dbus kmod cpio zstd
	grub-common grub2-common
	rpm
	busybox-static
	e2fsprogs util-linux procps iproute2
)
# Installed afterwards with apt-get: debootstrap resolves the kernel's
# "initramfs-tools | linux-initramfs-tool" to initramfs-tools, which
# conflicts with dracut.
later=(linux-image-amd64 dracut dracut-core)

start=$SECONDS
tmp=$(mktemp -d "$cache/.e2e-rootfs-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
debs=$cache/e2e-debootstrap-debs # downloaded .debs, reused by rebuilds
mkdir -p "$debs"
log=$tmp/build.log
failed() { tail -40 "$log" >&2; die "$1 failed (log above)"; }

echo "base-rootfs.sh: debootstrap $suite from $mirror into $root" >&2
debootstrap --variant=minbase --merged-usr \
	${keyring:+--keyring="$keyring"} --cache-dir="$debs" \
	--include="$(IFS=,; echo "${include[*]}")" \
	"$suite" "$root" "$mirror" >>"$log" 2>&1 || failed debootstrap

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# apt-get in the chroot, reusing the .deb cache through a bind mount in a
# private mount namespace (it vanishes with the command; no cleanup can
# leave it behind for rm -rf to walk into). INITRD=No: the kernel's postinst
# hook (dracut) skips building an initrd in the chroot; make-image.sh builds
# the one the guest boots with.
echo "base-rootfs.sh: apt-get install ${later[*]}" >&2
unshare --mount --propagation private /bin/bash -euc '
	debs=$1 root=$2; shift 2
	mount --bind "$debs" "$root/var/cache/apt/archives"
	run() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
	run apt-get update -qq
	run env DEBIAN_FRONTEND=noninteractive INITRD=No \
		apt-get install -y -qq --no-install-recommends "$@"
' - "$debs" "$root" "${later[@]}" >>"$log" 2>&1 || failed "apt-get install"

kver=$(basename "$(ls -d "$root"/lib/modules/*/ | head -1)")
[[ -f $root/boot/vmlinuz-$kver ]] || die "no kernel in the rootfs"

# --- configuration -----------------------------------------------------------

echo oslift-e2e >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\toslift-e2e\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# One ext4 filesystem, found by label: make-image.sh labels it "root".
echo 'LABEL=root / ext4 defaults,errors=remount-ro 0 1' >"$root/etc/fstab"
# A fixed machine-id: an empty one makes every boot a "first boot"
# (systemd-firstboot, preset-all), which a real server never sees.
echo 0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e >"$root/etc/machine-id"
# No login prompt on the serial console: the tests drive the guest with the
# boot driver, and agetty's start (it hangs up and flushes the tty) loses
# lines other programs are writing to the console at that moment.
mkdir -p "$root/etc/systemd/system-generators"
ln -sfn /dev/null "$root/etc/systemd/system-generators/systemd-getty-generator"

# DHCP on QEMU's user network (10.0.2.15), so a hostfwd port reaches the guest.
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/80-e2e-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
in_root systemctl enable -q systemd-networkd.service

# A fast, quiet boot: nothing that runs on a timer, waits for the network to
# be "online" (nothing here needs it) or would write to the disk behind the
# test's back.
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer \
	systemd-networkd-wait-online.service getty@tty1.service; do
	in_root systemctl mask -q "$unit"
done

# Debian's rpm keeps its database in ~/.rpmdb; the guest's packages are in
# /var/lib/rpm, as on an RPM-based system (and where host-prep looks).
mkdir -p "$root/etc/rpm"
echo '%_dbpath /var/lib/rpm' >"$root/etc/rpm/macros.dbpath"

# dracut in the guest (host-prep stage builds the upgrade initramfs there)
# is fork-heavy bash and takes minutes under TCG with Debian's defaults:
# images for this host only (like EL's 01-dist.conf), only the modules a
# systemd initrd needs to mount the root filesystem (the module checks
# alone take a minute), only the kernel modules of QEMU's virtio disk and
# ext4 (the hostonly scan of all storage drivers: 20 s), and zstd -1
# instead of gzip -9 (a minute less).
# --add and --add-drivers still add to this.
cat >"$root/etc/dracut.conf.d/50-e2e.conf" <<'EOF'
hostonly="yes"
hostonly_cmdline="no"
dracutmodules="systemd-initrd dracut-systemd rootfs-block kernel-modules udev-rules base fs-lib"
drivers="virtio_blk virtio_pci ext4"
compress="zstd -1 -q -T0"
early_microcode="no"
EOF

# --- size --------------------------------------------------------------------

# Every test copies this tree and mkfs.ext4 writes it into an image, so
# size is time. The kernel's modules (~390 MB) would be most of it: keep
# what a QEMU guest with virtio devices and ext4 can use, and what dracut
# may ask for.
mods=$root/lib/modules/$kver/kernel
keep_drivers='virtio|block|char|net|ata|acpi|base|input|tty|rtc|pci|md|platform|firmware|thermal|hid|i2c|nvdimm|dax|scsi|clocksource|video|watchdog'
for d in "$mods"/drivers/*/; do
	[[ $(basename "$d") =~ ^($keep_drivers)$ ]] || rm -rf "$d"
done
# Of the watchdogs only softdog, which the upgrade initramfs loads (QEMU's
# pc machine has no hardware one), and the watchdog core it needs: the
# upgrade boot arms it.
find "$mods/drivers/watchdog" -type f ! -name 'softdog.ko*' ! -name 'watchdog.ko*' -delete
# No NIC driver families (ethernet/, wireless/, ...); virtio_net and the
# generic ones (tun, veth, ...) sit directly in drivers/net.
find "$mods/drivers/net" -mindepth 1 -maxdepth 1 -type d \
	! -name virtio -exec rm -rf {} +
rm -rf "$mods/drivers/scsi"/*/ "$mods/sound" "$mods/net/wireless" "$mods/net/mac80211" \
	"$mods/net/bluetooth" "$mods/drivers/net/wireless" "$mods/drivers/input/touchscreen" \
	"$mods/drivers/input/joystick" "$mods/drivers/input/tablet" "$mods/drivers/input/misc" \
	"$mods/drivers/hid"/*/ "$mods/drivers/video/fbdev" \
	"$mods/arch/x86/kvm" "$mods"/drivers/block/floppy.ko*
# (kvm_amd/kvm_intel only complain under TCG; the floppy driver probes
# QEMU's ISA controller for a second.)
in_root depmod -a "$kver"
# Neither documentation nor translations, now or in later dpkg runs.
rm -rf "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/cache/apt/*.bin \
	"$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
cat >"$root/etc/dpkg/dpkg.cfg.d/90-e2e-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
# The debootstrap log and the apt source (the build host's mirror) are not
# part of the guest.
rm -rf "$root/debootstrap"
: >"$root/etc/apt/sources.list"

size=$(du -sm "$root" | cut -f1)
{
	echo "kernel $kver"
	echo "size_mb $size"
	echo "build_seconds $((SECONDS - start))"
	echo "built $(date -u +%FT%TZ)"
} >"$tmp/info"
# Atomic: readers see either no directory or a complete one.
mv "$tmp" "$final"
trap - EXIT
chmod 755 "$final"
echo "base-rootfs.sh: $final/root: kernel $kver, ${size} MB, built in $((SECONDS - start)) s" >&2
echo "$final/root"
