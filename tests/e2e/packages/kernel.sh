#!/bin/bash
# Builds the kernel switch of the e2e upgrade flows (upgrade.sh,
# upgrade-uefi.sh) with the build host's rpmbuild:
#   kernel.sh OUTDIR
# -> OUTDIR/release8/kernel-core-*.x86_64.rpm and grub2-tools-*.noarch.rpm
# (see kernel/*.spec). Release 7 has no kernel package: its kernel is the
# guest's own, Debian's linux-image-amd64, which dpkg owns. The kernel is
# Debian's linux-image-cloud-amd64 (the image package it depends on),
# downloaded once with apt-get from the machine's own apt sources into
# ${OSLIFT_CACHE:-/var/cache/oslift}/e2e-kernel-debs (delete it there for
# another version), and pruned to what a virtio guest needs as
# tools/base-rootfs.sh prunes the guest's (softdog kept).
# Up to date output is left alone. Prints one summary line.
set -euo pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
(($# == 1)) && [[ $1 != -* ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
macros=$here/../../packages/common.macros
rpmbuild=$here/../../../tools/rpmbuild-isolated
for tool in rpmbuild dpkg-deb apt-get apt-cache; do
	command -v $tool >/dev/null || die "$tool not found"
done

cache=${OSLIFT_CACHE:-/var/cache/oslift}/e2e-kernel-debs
mkdir -p "$cache" "$1"
out=$(cd "$1" && pwd)
exec 9>"$out/.lock"
flock 9

# The .deb: once, from the archive the machine's apt knows.
deb=$(ls "$cache"/linux-image-*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $deb ]]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -1)
	[[ -n $pkg ]] || die "apt-cache knows no linux-image-cloud-amd64 (run apt-get update)"
	(cd "$cache" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
	deb=$(ls "$cache"/linux-image-*-cloud-amd64_*.deb | sort -V | tail -1)
fi

stamp=$({ cat "$here/kernel.sh" "$rpmbuild" "$macros" "$here"/kernel/*; basename "$deb"; rpmbuild --version; } | sha256sum | cut -d' ' -f1)
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$stamp" ]] && compgen -G "$out/release8/kernel-core-*.rpm" >/dev/null; then
	echo "e2e kernel packages: up to date in $out"
	exit 0
fi

start=$SECONDS
tmp=$(mktemp -d -t oslift-e2e-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
kdir=$tmp/kernel
dpkg-deb -x "$deb" "$kdir"
kver=$(basename "$(ls -d "$kdir"/lib/modules/*/ | head -1)")
[[ -f $kdir/boot/vmlinuz-$kver ]] || die "$deb holds no /boot/vmlinuz-$kver"
# EL 8's places: vmlinuz, System.map and config beside the modules.
for f in vmlinuz System.map config; do
	mv "$kdir/boot/$f-$kver" "$kdir/lib/modules/$kver/$f"
done

# The modules base-rootfs.sh keeps of the guest's kernel.
mods=$kdir/lib/modules/$kver/kernel
keep_drivers='virtio|block|char|net|ata|acpi|base|input|tty|rtc|pci|md|platform|firmware|thermal|hid|i2c|nvdimm|dax|scsi|clocksource|video|watchdog'
for d in "$mods"/drivers/*/; do
	[[ $(basename "$d") =~ ^($keep_drivers)$ ]] || rm -rf "$d"
done
find "$mods/drivers/watchdog" -type f ! -name 'softdog.ko*' ! -name 'watchdog.ko*' -delete
find "$mods/drivers/net" -mindepth 1 -maxdepth 1 -type d ! -name virtio -exec rm -rf {} +
rm -rf "$mods/drivers/scsi"/*/ "$mods/sound" "$mods/net/wireless" "$mods/net/mac80211" \
	"$mods/net/bluetooth" "$mods/drivers/input/touchscreen" "$mods/drivers/input/joystick" \
	"$mods/drivers/input/tablet" "$mods/drivers/input/misc" "$mods/drivers/hid"/*/ \
	"$mods/drivers/video/fbdev" "$mods/arch/x86/kvm" "$mods"/drivers/block/floppy.ko*
# Unlike the guest's: of the file systems only those on the disk (ext4 and
# the ESP's vfat, their codepages), and no netfilter, bridges, tunnels,
# ... of the network: 66 MB of modules -> about 25.
find "$mods/fs" -mindepth 1 -maxdepth 1 ! -name fat ! -name nls ! -name ext4 ! -name jbd2 \
	! -name mbcache.ko ! -name 'mbcache.ko.*' -exec rm -rf {} +
find "$mods/net" -mindepth 1 -maxdepth 1 ! -name core ! -name ipv4 ! -name ipv6 ! -name packet \
	! -name unix -exec rm -rf {} +
[[ -n $(find "$mods" -name 'softdog.ko*') && -n $(find "$mods" -name 'virtio_blk.ko*') ]] ||
	die "the pruned modules lack softdog or virtio_blk"
# The kernel's version as rpm's: 6.1.0-57-cloud-amd64 from Debian's
# 6.1.192-3 is kernel-core-6.1.192-3.cloud.
debver=$(dpkg-deb -f "$deb" Version)
kversion=${debver%-*} krelease=${debver##*-}.cloud

mkdir -p "$tmp/out/release8"
for spec in kernel-core grub2-tools; do
	"$rpmbuild" "$tmp/work/$spec" "$tmp/out/release8" --load "$macros" \
		--define "kver $kver" --define "kdir $kdir" --define "kversion $kversion" \
		--define "krelease $krelease" --define "srcdir $here/kernel" \
		"$here/kernel/$spec.spec" >"$tmp/$spec.log" 2>&1 ||
		{ echo "kernel.sh: rpmbuild failed for $spec:" >&2; sed 's/^/  /' "$tmp/$spec.log" >&2; exit 1; }
done

rm -f "$out/.stamp"
rm -rf "$out/release8"
mv "$tmp/out/release8" "$out/release8"
echo "$stamp" >"$out/.stamp"
echo "e2e kernel packages: kernel $kver ($(du -sm "$mods" | cut -f1) MB of modules), $(ls "$out/release8" | tr '\n' ' ')in $((SECONDS - start)) s in $out"
