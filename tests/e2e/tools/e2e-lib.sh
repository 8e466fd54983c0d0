# shellcheck shell=bash
# Helpers for the QEMU end-to-end tests; source after tests/lib.sh.
# See tests/e2e/README.md for how the pieces fit.
#
# A test typically: e2e_require; root=$(e2e_new_root DIR); installs
# packages into it (e2e_install_release7); queues guest scripts
# (e2e_queue); builds the image (make-image.sh); starts qemu.sh in the
# background; talks to the guest over HTTP and waits for serial-log lines;
# reads results from the image with e2e_debugfs_cat after QEMU exited.

E2E_DIR=$TESTS_DIR/e2e
E2E_TOOLS=$E2E_DIR/tools

# A test that stops early (set -e, a signal) must not leave qemu.sh and its
# guest running in the background until their timeout: end this shell's
# background jobs first (qemu.sh kills QEMU on TERM), then lib.sh's
# _t_finish prints the plan as before.
_e2e_exit() {
	local rc=$? jobs
	jobs=$(jobs -p)
	[[ -z $jobs ]] || kill $jobs 2>/dev/null || true
	_t_finish "$rc"
}
trap '_e2e_exit' EXIT

# Skips the whole test (one skipped test point, then exit) when the machine
# cannot run QEMU guests: not root, or tools missing.
e2e_require() {
	local why='' tool
	((EUID == 0)) || why="needs root (debootstrap, chroot, mkfs -d ownership)"
	for tool in qemu-system-x86_64 debootstrap sfdisk grub-mkimage debugfs curl rpmbuild; do
		[[ -n $why ]] || command -v $tool >/dev/null || why="$tool not found (initrd/bootstrap-debian.sh)"
	done
	if [[ -n $why ]]; then
		t_skip "${1:-e2e test}" "$why"
		exit 0
	fi
}

# The cached base rootfs (built on first use: minutes).
e2e_rootfs() { "$E2E_TOOLS/base-rootfs.sh"; }

# e2e_new_root DEST: a private copy of the base rootfs at DEST (a new path).
e2e_new_root() {
	local base
	base=$(e2e_rootfs) || return 1
	cp -a --reflink=auto "$base" "$1"
}

# The demo packages (website, base-release, debian-sh), built once per build
# directory; prints the directory holding release7/ and release8/.
e2e_packages() {
	local out=$OSLIFT_BUILD/e2e-packages
	"$E2E_DIR/packages/build.sh" "$out" >/dev/null && echo "$out"
}

# e2e_install_release7 ROOT PKGDIR: the demo site's release 7, installed by
# Debian's rpm into /var/lib/rpm of the root, plus site data owned by no
# package (/var/www/site/data/hello.txt).
e2e_install_release7() {
	local root=$1 pkgs=$2
	t_rpm "$root" -i --quiet "$pkgs"/release7/*.rpm || return 1
	mkdir -p "$root/var/www/site/data"
	echo "hello from the site data" >"$root/var/www/site/data/hello.txt"
}

# e2e_queue ROOT NAME: queues the script on stdin for the boot driver; each
# normal boot runs the first queued script by name (so "1-...", "3-...").
e2e_queue() {
	install -d -m700 "$1/root/e2e" "$1/root/e2e/queue"
	cat >"$1/root/e2e/queue/$2"
}

# A free TCP port on 127.0.0.1 for QEMU's hostfwd.
e2e_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		[[ -z $(ss -Hltn "sport = :$p") ]] && { echo $p; return; }
	done
}

# e2e_wait_log LOG REGEX TIMEOUT [PID]: waits until a line of LOG matches
# REGEX (grep -E; the log's \r are dropped, so REGEX may end in $). Fails on
# timeout, or when PID (QEMU's runner) is gone without the line having
# appeared.
e2e_wait_log() {
	local log=$1 re=$2 pid=${4:-} end=$((SECONDS + $3))
	_e2e_log_has() { [[ -f $1 ]] && tr -d '\r' <"$1" | grep -aEq -- "$2"; }
	while ! _e2e_log_has "$log" "$re"; do
		if ((SECONDS >= end)); then return 1; fi
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			_e2e_log_has "$log" "$re"
			return
		fi
		sleep 0.5
	done
}

# e2e_http URL: the body, or failure (loopback only, short timeouts).
e2e_http() { curl -fsS --noproxy '*' --connect-timeout 3 --max-time 10 "$1"; }

# e2e_wait_http URL TIMEOUT [PID]: the body once URL answers 2xx.
e2e_wait_http() {
	local url=$1 end=$((SECONDS + $2)) pid=${3:-}
	until e2e_http "$url" 2>/dev/null; do
		((SECONDS < end)) || return 1
		[[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || return 1
		sleep 1
	done
}

# e2e_debugfs_cat IMAGE PATH: a file from the image's root filesystem
# (partition 1, at 1 MiB), read without mounting; fails if it is missing.
e2e_debugfs_cat() {
	local out
	out=$(debugfs -R "stat $2" "$1?offset=1048576" 2>&1) || return 1
	grep -q 'Inode:' <<<"$out" || return 1
	debugfs -R "cat $2" "$1?offset=1048576" 2>/dev/null
}

# e2e_rpmdb_qa IMAGE: rpm -qa of the rpmdb on the image's root filesystem,
# one NEVRA a line, sorted.
e2e_rpmdb_qa() {
	local dir
	dir=$(mktemp -d -t oslift-e2e-qa.XXXXXX)
	debugfs -R "rdump /var/lib/rpm $dir" "$1?offset=1048576" >/dev/null 2>&1
	rpm --dbpath "$dir/rpm" -qa --qf '%{NEVRA}\n' 2>/dev/null | LC_ALL=C sort
	rm -rf "$dir"
}

# e2e_owned_files IMAGE: each package-owned regular file on the image
# checked against the SHA-256 its rpmdb records: a line per file that
# differs (or is missing), then "owned files: N, differing: M".
e2e_owned_files() {
	local image=$1 dir n=0 bad=0 digest path
	dir=$(mktemp -d -t oslift-e2e-owned.XXXXXX)
	debugfs -R "rdump /var/lib/rpm $dir" "$image?offset=1048576" >/dev/null 2>&1
	# Regular files only (FILEMODES: 0100000), with rpm's SHA-256.
	rpm --dbpath "$dir/rpm" -qa --qf '[%{FILEMODES:octal} %{FILEDIGESTS} %{FILENAMES}\n]' 2>/dev/null |
		awk '$1 ~ /^100/ {print $2, $3}' | LC_ALL=C sort -u >"$dir/owned"
	awk '{print "dump -p " $2 " '"$dir"'/f" NR}' "$dir/owned" >"$dir/cmds"
	debugfs -f "$dir/cmds" "$image?offset=1048576" >/dev/null 2>&1
	while read -r digest path; do
		n=$((n + 1))
		if [[ ! -f $dir/f$n || $(sha256sum <"$dir/f$n" | cut -d' ' -f1) != "$digest" ]]; then
			bad=$((bad + 1))
			echo "differs from the rpmdb: $path"
		fi
	done <"$dir/owned"
	echo "owned files: $n, differing: $bad"
	rm -rf "$dir"
}

# e2e_staged_image IMAGE FILLERS [AFTER [PKGDIR NAME...]]: a disk image of the
# demo system staged for the upgrade by a real boot 1 (host-prep stage
# --reboot in the guest), so the next boot of IMAGE is the upgrade boot.
# FILLERS > 0 adds that many filler packages (tests/packages) and scripted
# (its release-8 %post sleeps for a second) to both releases, for a longer
# transaction. The script file AFTER (may be "") is queued to run at the
# next normal boot. Each NAME of the package set PKGDIR (release7/ and
# release8/, from tests/packages/build.sh) is added to both releases too.
# $E2E_STAGE_ARGS (words) go on stage's command line. Serial log of boot 1:
# IMAGE.stage.log. Fails unless stage armed the boot.
e2e_staged_image() {
	local image=$1 fillers=$2 after=${3:-} root=$1.root site extra='' pkgdir=${4:-} name
	shift $(($# < 4 ? $# : 4))
	rm -rf "$root"
	e2e_new_root "$root" || return 1
	make -s -C "$TESTS_DIR/.." install DESTDIR="$root" >/dev/null || return 1
	site=$(e2e_packages) || return 1
	e2e_install_release7 "$root" "$site" || return 1
	mkdir -p "$root/srv/release8"
	cp "$site"/release8/*.rpm "$root/srv/release8/"
	if ((fillers > 0)); then
		extra=$(t_packages "fillers-$fillers" "$fillers") || return 1
		t_rpm "$root" -i --quiet "$extra"/release7/filler-*.rpm "$extra"/release7/scripted-*.rpm || return 1
		cp "$extra"/release8/filler-*.rpm "$extra"/release8/scripted-*.rpm "$root/srv/release8/"
	fi
	for name; do
		t_rpm "$root" -i --quiet "$pkgdir/release7/$name"-7*.rpm || return 1
		cp "$pkgdir/release8/$name"-8*.rpm "$root/srv/release8/" || return 1
	done
	e2e_queue "$root" 1-stage.sh <<<"set -e; host-prep stage --packages /srv/release8 ${E2E_STAGE_ARGS:-} --reboot"
	[[ -z $after ]] || e2e_queue "$root" 2-after.sh <"$after"
	"$E2E_TOOLS/make-image.sh" "$root" "$image" 1024 2>"$image.err" || return 1
	rm -rf "$root"
	"$E2E_TOOLS/qemu.sh" "$image" "$image.stage.log" --mem 512 --timeout 900 2>>"$image.err" || true
	grep -aq 'e2e: the next boot (once) runs the upgrade' "$image.stage.log"
}

# e2e_image_edit IMAGE PATH SED-SCRIPT: edits a file of the image's root
# file system in place (dump, sed, write back with its mode and owner).
e2e_image_edit() {
	local image=$1 path=$2 script=$3 tmp mode
	tmp=$(mktemp)
	debugfs -R "dump -p $path $tmp" "$image?offset=1048576" >/dev/null 2>&1 || return 1
	mode=$(stat -c %a "$tmp")
	sed -i -e "$script" "$tmp"
	debugfs -w -f - "$image?offset=1048576" >/dev/null 2>&1 <<EOC || return 1
rm $path
write $tmp $path
set_inode_field $path mode 0100$mode
set_inode_field $path uid 0
set_inode_field $path gid 0
EOC
	rm -f "$tmp"
}
