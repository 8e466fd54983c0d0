#!/bin/bash
# Installs what building and testing oslift needs on Debian 12, and gives
# apt a deb-src entry so build-sysroot.sh can fetch source packages.
# Idempotent and quiet when everything is present; run as root otherwise.
set -euo pipefail

packages=(
	# the static sysroot (build-sysroot.sh)
	musl-tools linux-libc-dev tcl pkg-config patch xz-utils bzip2 make gcc
	cmake # the libsolv layer (build-libsolv.sh)
	# our code against glibc with sanitizers, and the unit-test runner
	libcmocka-dev librpm-dev libsqlite3-dev libblkid-dev libmount-dev zlib1g-dev libsolv-dev libsolvext-dev
	# make fuzz: clang and its libFuzzer runtime (libclang_rt.fuzzer)
	clang-14 libclang-rt-14-dev
	# tests: Debian's rpm/rpmbuild to build packages and check results
	rpm file binutils perl busybox-static
	# the man pages (groff -ww, man -l) and the progress bar on a pty (script)
	groff-base man-db bsdutils
	# tests of --repo: repositories, and dnf distro-sync as the reference
	createrepo-c dnf
	# e2e tests (tests/e2e): the Debian guest rootfs, the disk image without
	# loop devices (sfdisk, mkfs.ext4 -d, grub-mkimage, debugfs), QEMU under
	# TCG, and the host's side of the guest's HTTP (curl, ss)
	debootstrap fdisk e2fsprogs grub-pc-bin grub-common qemu-system-x86 curl iproute2
	# tests/e2e/ansible-rollout.sh: ansible/rollout.yml over SSH to the guests
	ansible-core openssh-client
	# make bench: /usr/bin/time for the peak RSS; zypper dup as a reference
	# next to dnf distro-sync (both read a createrepo-c repository, above)
	time zypper
)

installed=$(dpkg-query -W -f '${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
	awk '$NF == "installed" {print $1}' | sed 's/:.*//')
missing=()
for p in "${packages[@]}"; do
	grep -qx "$p" <<<"$installed" || missing+=("$p")
done

sources_list=/etc/apt/sources.list.d/debian.sources
deb_src=/etc/apt/sources.list.d/oslift-deb-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	need_src=1
fi

((${#missing[@]} == 0 && need_src == 0)) && exit 0

if ((EUID != 0)); then
	what="${missing[*]}"
	((need_src)) && what+=" (and a deb-src apt entry)"
	echo "bootstrap: missing:$what; run 'make' once as root (it uses apt-get)" >&2
	exit 1
fi

if ((need_src)); then
	# Same archive and suites as the machine's own binary sources.
	[[ -f $sources_list ]] || { echo "bootstrap: $sources_list not found; add a deb-src entry by hand" >&2; exit 1; }
	sed 's/^Types:.*/Types: deb-src/' "$sources_list" >"$deb_src"
	echo "bootstrap: added $deb_src" >&2
fi

echo "bootstrap: installing ${missing[*]:-nothing} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
((${#missing[@]} == 0)) || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
