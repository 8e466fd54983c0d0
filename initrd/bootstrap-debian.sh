#!/bin/bash
# Installs what building and testing oslift needs on Debian 12, and gives
# apt a deb-src entry so the sysroot recipes can fetch source packages.
# Idempotent and quiet when everything is present; run as root otherwise.
#
#   bootstrap-debian.sh                 install what is missing
#   bootstrap-debian.sh --print-missing print it, one package a line
#                                       ("deb-src" for the apt entry), and
#                                       change nothing
set -euo pipefail

packages=(
	# the static sysroot (build-sysroot.sh): apt-get source needs the
	# archive's signing keys and https support is in apt itself
	musl-tools linux-libc-dev tcl pkg-config patch xz-utils bzip2 make gcc
	cmake g++ # the libsolv layer (build-libsolv.sh): its CMake project wants C++ too
	# our code against glibc with sanitizers, and the unit-test runner
	libcmocka-dev librpm-dev libsqlite3-dev libblkid-dev libmount-dev zlib1g-dev libsolv-dev libsolvext-dev
	libjson-c-dev # host-prep's PES reader (json-c), as the libsolv layer has it
	libyaml-dev # host-prep's module metadata reader (libyaml), as the libsolv layer has it
	# make fuzz: clang and its libFuzzer runtime (libclang_rt.fuzzer)
	clang-14 libclang-rt-14-dev
	# tests: Debian's rpm/rpmbuild to build packages and check results,
	# rpm2cpio | cpio, python3 for JSON and the serial-dump reference
	rpm file binutils perl busybox-static cpio python3 zstd procps gpg strace
	# the man pages (groff -ww, man -l) and the progress bar on a pty (script)
	groff-base man-db bsdutils
	shellcheck # tests/integration/shellcheck.sh: every shell file of the tree, at warning level
	# tests of --repo: repositories, and dnf distro-sync as the reference
	createrepo-c dnf
	# e2e tests (tests/e2e): the Debian guest rootfs, the disk image without
	# loop devices (sfdisk, mkfs.ext4 -d, grub-mkimage, debugfs), QEMU under
	# TCG, and the host's side of the guest's HTTP (curl, ss)
	debootstrap fdisk e2fsprogs grub-pc-bin grub-common qemu-system-x86 curl iproute2
	# e2e tests on UEFI (make-image.sh --layout uefi-el7, qemu.sh --uefi):
	# OVMF firmware, GRUB for x86_64-efi, the ESP built in a file (mkfs.vfat -C, mtools)
	ovmf grub-efi-amd64-bin mtools dosfstools
	# tests/e2e/ansible-rollout.sh: ansible/rollout.yml over SSH to the guests
	ansible-core openssh-client
	# make bench: /usr/bin/time for the peak RSS; zypper dup as a reference
	# next to dnf distro-sync (both read a createrepo-c repository, above)
	time zypper
)

print_only=0
case ${1:-} in
--print-missing) print_only=1 ;;
"") ;;
*) echo "usage: bootstrap-debian.sh [--print-missing]" >&2; exit 2 ;;
esac

# dpkg-query exits 1 when any named package is unknown to dpkg, which on a
# fresh machine is most of them: its status is not the answer, its output is.
installed=$(dpkg-query -W -f '${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
installed=$(awk '$NF == "installed" {sub(/:.*/, "", $1); print $1}' <<<"$installed")
missing=()
for p in "${packages[@]}"; do
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

# OSLIFT_APT_ETC: another /etc/apt, for the bootstrap's own test.
apt_etc=${OSLIFT_APT_ETC:-/etc/apt}
sources_list=$apt_etc/sources.list.d/debian.sources
deb_src=$apt_etc/sources.list.d/oslift-deb-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' "$apt_etc/sources.list" "$apt_etc/sources.list.d/"; then
	need_src=1
fi

if ((print_only)); then
	((${#missing[@]} == 0)) || printf '%s\n' "${missing[@]}"
	((need_src == 0)) || echo deb-src
	exit 0
fi

((${#missing[@]} == 0 && need_src == 0)) && exit 0

if ((EUID != 0)); then
	what="${missing[*]}"
	((need_src)) && what+=" (and a deb-src apt entry)"
	echo "bootstrap: missing: $what; run 'make' once as root (it uses apt-get)" >&2
	exit 1
fi

say() { printf 'bootstrap: %s\n' "$*" >&2; }

if ((need_src)); then
	# Same archive and suites as the machine's own binary sources.
	if [[ -f $sources_list ]]; then
		sed 's/^Types:.*/Types: deb-src/' "$sources_list" >"$deb_src"
	elif grep -qs '^deb ' "$apt_etc/sources.list"; then
		deb_src=$apt_etc/sources.list.d/oslift-deb-src.list
		sed -n 's/^deb /deb-src /p' "$apt_etc/sources.list" >"$deb_src"
	else
		say "no Debian binary source found in $sources_list or $apt_etc/sources.list;" \
			"add a deb-src entry for Debian 12 by hand"
		exit 1
	fi
	say "added $deb_src (source packages for the static sysroot)"
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get update -q >/dev/null || { say "apt-get update failed: see its messages above"; exit 1; }
((${#missing[@]} == 0)) && exit 0

# Name what apt cannot find before asking it to install anything.
unknown=()
for p in "${missing[@]}"; do
	cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
	[[ -n $cand && $cand != "(none)" ]] || unknown+=("$p")
done
if ((${#unknown[@]})); then
	say "not available from the configured apt sources: ${unknown[*]}"
	say "these are Debian 12 (bookworm) packages: check $apt_etc/sources.list.d/ and run 'apt-get update'"
	exit 1
fi

say "installing ${#missing[@]} packages: ${missing[*]}"
# One line per asked-for package as apt sets it up (and apt's errors), not
# its whole transcript. Its status is judged below, package by package.
apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 |
	awk -v want=" ${missing[*]} " '
		/^(E|W): / {print "bootstrap:   " $0; fflush(); next}
		/^Setting up / {n = $3; sub(/:.*/, "", n); if (index(want, " " n " ")) {print "bootstrap:   " $0; fflush()}}' >&2 || true
still=$(dpkg-query -W -f '${Package} ${Status}\n' "${missing[@]}" 2>/dev/null || true)
failed=()
for p in "${missing[@]}"; do
	awk -v p="$p" '$1 == p && $NF == "installed" {found = 1} END {exit !found}' <<<"$still" || failed+=("$p")
done
if ((${#failed[@]})); then
	say "apt-get could not install: ${failed[*]}"
	say "run 'apt-get install --no-install-recommends ${failed[*]}' to see why"
	exit 1
fi
say "done: ${#missing[@]} packages installed"
