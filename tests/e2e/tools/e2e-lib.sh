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

# The kernel switch of the upgrade flows (packages/kernel.sh): release 8's
# kernel-core (Debian's cloud kernel, packaged as EL 8 packages its kernel)
# and grub2-tools (stand-ins for EL 8's grub2-mkconfig with blscfg,
# grub2-set-default and the kernel-install plugins), built once per build
# directory; prints the directory holding release8/.
e2e_kernel_packages() {
	local out=$OSLIFT_BUILD/e2e-kernel
	"$E2E_DIR/packages/kernel.sh" "$out" >/dev/null && echo "$out"
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

# e2e_part IMAGE PATH: where PATH of the guest is in IMAGE, as
# "OFFSET TYPE PATH_IN_FS" (TYPE ext4 or vfat). make-image.sh's BIOS image
# has one file system, at 1 MiB; its uefi-el7 image names its GPT
# partitions esp (/boot/efi), boot (/boot), root (/) and var (/var), and
# PATH is in the one of the longest mount point it is below.
e2e_part() {
	local image=$1 path=$2 table best='' best_off='' best_type='' name start mnt
	table=$(sfdisk -d "$image" 2>/dev/null) || return 1
	if ! grep -q '^label: gpt' <<<"$table"; then
		echo "1048576 ext4 $path"
		return
	fi
	while read -r start name; do
		case $name in
		esp) mnt=/boot/efi ;; boot) mnt=/boot ;; root) mnt=/ ;; var) mnt=/var ;; *) continue ;;
		esac
		if [[ $mnt == / || $path == "$mnt" || $path == "$mnt"/* ]] && ((${#mnt} > ${#best})); then
			best=$mnt best_off=$((start * 512)) best_type=$([[ $name == esp ]] && echo vfat || echo ext4)
		fi
	done < <(sed -n 's/.*start= *\([0-9]*\),.*name="\([^"]*\)".*/\1 \2/p' <<<"$table")
	[[ -n $best ]] || return 1
	path=${path#"${best%/}"}
	echo "$best_off $best_type ${path:-/}"
}

# e2e_debugfs IMAGE REQUEST PATH: debugfs's "REQUEST PATH" run on the ext4
# file system holding PATH (e2e_part), its output on stdout.
e2e_debugfs() {
	local off type rel
	read -r off type rel < <(e2e_part "$1" "$3") && [[ $type == ext4 ]] || return 1
	debugfs -R "$2 $rel" "$1?offset=$off" 2>/dev/null
}

# e2e_debugfs_cat IMAGE PATH: a file of the guest from the file system
# holding it (e2e_part; on the ESP read with mtype), without mounting;
# fails if it is missing.
e2e_debugfs_cat() {
	local out off type rel
	read -r off type rel < <(e2e_part "$1" "$2") || return 1
	if [[ $type == vfat ]]; then
		MTOOLS_SKIP_CHECK=1 mtype -i "$1@@$off" "::$rel" 2>/dev/null
		return
	fi
	out=$(debugfs -R "stat $rel" "$1?offset=$off" 2>&1) || return 1
	grep -q 'Inode:' <<<"$out" || return 1
	debugfs -R "cat $rel" "$1?offset=$off" 2>/dev/null
}

# e2e_esp_clusters IMAGE PATH: the FAT clusters of PATH on the ESP
# (mshowfat), e.g. "<5-6>": the same list before and after means the file
# was written in place, not replaced.
e2e_esp_clusters() {
	local off type rel
	read -r off type rel < <(e2e_part "$1" "$2") && [[ $type == vfat ]] || return 1
	MTOOLS_SKIP_CHECK=1 mshowfat -i "$1@@$off" "::$rel" 2>/dev/null | sed 's/^.* //'
}

# e2e_esp_size IMAGE PATH: the size in bytes of PATH on the ESP (mdir).
e2e_esp_size() {
	local off type rel
	read -r off type rel < <(e2e_part "$1" "$2") && [[ $type == vfat ]] || return 1
	MTOOLS_SKIP_CHECK=1 mdir -a -i "$1@@$off" "::$rel" 2>/dev/null |
		awk -v f="${rel##*/}" 'BEGIN { F = toupper(f) } toupper($0) ~ F { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }'
}

# e2e_fsck_all IMAGE: e2fsck -fn on every ext4 file system of IMAGE and
# fsck.vfat -n on the ESP, each on a sparse copy of its partition; prints
# one "NAME: clean" or "NAME: <what fsck said>" line per file system.
e2e_fsck_all() {
	local image=$1 start size name part out
	while read -r start size name; do
		part=$(mktemp)
		dd if="$image" of="$part" bs=512 skip="$start" count="$size" conv=sparse status=none
		if [[ $name == esp ]]; then
			out=$(fsck.vfat -n "$part" 2>&1) && echo "$name: clean" || echo "$name: $(tr '\n' ' ' <<<"$out")"
		else
			out=$(e2fsck -fn "$part" 2>&1) && [[ $(dumpe2fs -h "$part" 2>/dev/null | sed -n 's/^Filesystem state: *//p') == clean ]] &&
				echo "$name: clean" || echo "$name: $(tr '\n' ' ' <<<"$out")"
		fi
		rm -f "$part"
	done < <(sfdisk -d "$image" | sed -n 's/.*start= *\([0-9]*\), *size= *\([0-9]*\),.*name="\([^"]*\)".*/\1 \2 \3/p')
}

# e2e_rpmdb_dump IMAGE DIR: the guest's /var/lib/rpm into DIR/rpm.
e2e_rpmdb_dump() {
	local off type rel
	read -r off type rel < <(e2e_part "$1" /var/lib/rpm) && [[ $type == ext4 ]] || return 1
	debugfs -R "rdump $rel $2" "$1?offset=$off" >/dev/null 2>&1
}

# e2e_rpmdb_qa IMAGE: rpm -qa of the rpmdb on the image, one NEVRA a line,
# sorted.
e2e_rpmdb_qa() {
	local dir
	dir=$(mktemp -d -t oslift-e2e-qa.XXXXXX)
	e2e_rpmdb_dump "$1" "$dir"
	rpm --dbpath "$dir/rpm" -qa --qf '%{NEVRA}\n' 2>/dev/null | LC_ALL=C sort
	rm -rf "$dir"
}

# e2e_owned_files IMAGE: each package-owned regular file on the image's
# root file system checked against the SHA-256 its rpmdb records: a line
# per file that differs (or is missing: one on another file system of a
# uefi-el7 image counts as missing), then "owned files: N, differing: M".
e2e_owned_files() {
	local image=$1 dir n=0 bad=0 digest path off type rel
	dir=$(mktemp -d -t oslift-e2e-owned.XXXXXX)
	e2e_rpmdb_dump "$image" "$dir"
	read -r off type rel < <(e2e_part "$image" /)
	# Regular files only (FILEMODES: 0100000), with rpm's SHA-256.
	rpm --dbpath "$dir/rpm" -qa --qf '[%{FILEMODES:octal} %{FILEDIGESTS} %{FILENAMES}\n]' 2>/dev/null |
		awk '$1 ~ /^100/ {print $2, $3}' | LC_ALL=C sort -u >"$dir/owned"
	awk '{print "dump -p " $2 " '"$dir"'/f" NR}' "$dir/owned" >"$dir/cmds"
	debugfs -f "$dir/cmds" "$image?offset=$off" >/dev/null 2>&1
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
	local off type rel
	read -r off type rel < <(e2e_part "$image" "$path") && [[ $type == ext4 ]] || return 1
	tmp=$(mktemp)
	debugfs -R "dump -p $rel $tmp" "$image?offset=$off" >/dev/null 2>&1 || return 1
	mode=$(stat -c %a "$tmp")
	sed -i -e "$script" "$tmp"
	debugfs -w -f - "$image?offset=$off" >/dev/null 2>&1 <<EOC || return 1
rm $rel
write $tmp $rel
set_inode_field $rel mode 0100$mode
set_inode_field $rel uid 0
set_inode_field $rel gid 0
EOC
	rm -f "$tmp"
}

# e2e_image_put IMAGE PATH: writes stdin as the new file PATH (mode 0644,
# owned by root) of the image's root file system; its directory must exist.
e2e_image_put() {
	local image=$1 path=$2 tmp off type rel
	read -r off type rel < <(e2e_part "$image" "$path") && [[ $type == ext4 ]] || return 1
	tmp=$(mktemp)
	cat >"$tmp"
	debugfs -w -f - "$image?offset=$off" >/dev/null 2>&1 <<EOC || return 1
rm $rel
write $tmp $rel
set_inode_field $rel mode 0100644
set_inode_field $rel uid 0
set_inode_field $rel gid 0
EOC
	rm -f "$tmp"
	[[ -n $(debugfs -R "stat $rel" "$image?offset=$off" 2>/dev/null) ]]
}

# ---- the upgrade (upgrade.sh, upgrade-uefi.sh) ------------------------------
#
# e2e_upgrade LAYOUT TMP: the whole upgrade of the demo system in four QEMU
# boots on a make-image.sh --layout LAYOUT disk (bios: 1 GiB; uefi-el7:
# 2 GiB, booted with qemu.sh --uefi), asserting what every layout must show:
#   boot 1  normal boot; the host fetches the site; the guest runs
#           host-prep stage --packages /srv/release8 --reboot
#   boot 2  GRUB's one-time entry boots the upgrade initramfs; the upgrader
#           applies the plan, logging every package on the serial console,
#           and reboots
#   boot 3  the default entry boots release 8 on the old kernel (release 7's
#           grub.cfg never reads the BLS snippet of release 8's
#           kernel-core); oslift-restore.service runs host-prep restore,
#           which runs release 8's grub2-tools (packages/kernel/), keeps
#           the old kernel the default, makes the new one GRUB's one-time
#           entry (its trial boot) and reboots before multi-user
#   boot 4  release 8 on its new kernel (uname -r on the serial console);
#           restore, once more, makes it the default now that it came up;
#           the site answers with the same data; the old kernel is the
#           fallback entry
# Judged from the serial logs and the disk image. The image is TMP/disk.img,
# the serial logs TMP/serial.log.boot1 ... .boot4. If the caller defines
# e2e_upgrade_hook, it is called with "image" once the image is built and
# with boot1 ... boot4 after each boot, for what a layout
# asserts besides. Talks through say and phase (upgrade.sh's DEMO=1 tells
# a person instead); MEM_NORMAL and MEM_UPGRADE are the guest memory of
# the normal and the upgrade boots.
say() { printf '# %s\n' "$*"; }
phase() { say ""; say "== $*"; }

# e2e_up_boot NAME MEM: starts QEMU in the background; sets E2E_UP_PID.
e2e_up_boot() {
	say "booting ($1, -m $2)"
	BOOT_START=$SECONDS
	"$E2E_TOOLS/qemu.sh" "$E2E_UP_IMAGE" "$E2E_UP_SERIAL.$1" --mem "$2" --timeout 900 --hostfwd "$E2E_UP_PORT" \
		${E2E_UP_QEMU_ARGS:-} \
		2>"$E2E_UP_TMP/qemu.$1.err" &
	E2E_UP_PID=$!
}
# e2e_up_finish NAME: waits for QEMU to end; the guest rebooting or powering
# off ends it.
e2e_up_finish() {
	local rc=0
	wait "$E2E_UP_PID" || rc=$?
	t_is "$rc" 0 "$1: QEMU ended by itself ($(cat "$E2E_UP_TMP/qemu.$1.err" | tr '\n' ' '))"
	say "$1 took $((SECONDS - BOOT_START)) s (wall clock, TCG)"
}

# e2e_up_reach_site NAME DRIVER_BOOT: waits for the boot driver's line for
# its DRIVER_BOOT-th normal boot, then fetches the site; sets PAGE and DATA.
e2e_up_reach_site() {
	if e2e_wait_log "$E2E_UP_SERIAL.$1" "e2e: driver: boot $2 reached multi-user" 600 "$E2E_UP_PID"; then
		t_pass "$1 reached multi-user"
	else
		t_fail "$1 reached multi-user" "$(tail -n 30 "$E2E_UP_SERIAL.$1")"
	fi
	PAGE=$(e2e_wait_http "http://127.0.0.1:$E2E_UP_PORT/" 120 "$E2E_UP_PID" || true)
	E2E_UP_SITE_S=$((SECONDS - BOOT_START)) E2E_UP_LAST_BOOT=$1
	DATA=$(e2e_http "http://127.0.0.1:$E2E_UP_PORT/data/hello.txt" || true)
}

# e2e_phases SERIAL DIR [SITE_S [LAST_BOOT]]: the downtime of an upgrade
# by phase, from the serial logs of the upgrade boot (SERIAL.boot2) and the
# boots after it (.boot3: restore, and with a kernel switch .boot4 up to
# the site) and qemu.sh's wall-clock lines (DIR/qemu.bootN.err): one
# "KEY SECONDS LABEL" line per phase that could be measured. Kernel-side
# times are the console lines' [uptime] stamps; firmware and GRUB are what
# the wall clock has before the kernel's first stamp. SITE_S: seconds from
# the last boot's QEMU start to the site answering (e2e_up_reach_site's
# E2E_UP_SITE_S), LAST_BOOT that boot (boot3 or boot4). The one parser of
# these phases: e2e_downtime prints them for the e2e tests, bench/boot.sh
# for make bench.
e2e_phases() {
	local serial=$1 dir=$2 site=${3:-} last=${4:-boot3} wall2 wall3 t_first t_applied t_last_pkg t_reboot
	_wall() { sed -n 's/^qemu.sh: guest ran \([0-9.]*\) s.*/\1/p' "$dir/qemu.$1.err" 2>/dev/null | tail -1; }
	# _ts FILE REGEX [last]: the [uptime] stamp of the first (last) line matching.
	_ts() {
		tr -d '\r' <"$1" | grep -aE "^\[ *[0-9]+\.[0-9]+\] .*$2" | { if [[ ${3:-} == last ]]; then tail -1; else head -1; fi; } |
			sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p'
	}
	wall2=$(_wall boot2) wall3=$(_wall boot3)
	t_first=$(_ts "$serial.boot2" '\[ *1/[0-9]+ +[0-9]+%\] ')
	t_last_pkg=$(_ts "$serial.boot2" '\[ *[0-9]+/[0-9]+ +100%\] ' last)
	t_applied=$(_ts "$serial.boot2" 'upgrade applied in ')
	t_reboot=$(_ts "$serial.boot2" 'reboot: Restarting system')
	awk -v w2="$wall2" -v w3="$wall3" -v f="$t_first" -v lp="$t_last_pkg" -v a="$t_applied" \
		-v r="$t_reboot" -v site="$site" -v n="$last" '
	function p(k, x, label) { printf "%s %.1f %s\n", k, x, label }
	BEGIN {
		if (w2 != "" && r != "") p("firmware_grub", w2 - r, "upgrade boot: firmware + GRUB")
		if (f != "") p("kernel_to_first_package", f, "upgrade boot: kernel to first package")
		if (f != "" && lp != "") p("transaction", lp - f, "upgrade boot: transaction (rpm)")
		if (lp != "" && a != "") p("posttrans_end", a - lp, "upgrade boot: %posttrans and the end")
		if (a != "" && r != "") p("unmount_reboot", r - a, "upgrade boot: unmount and reboot")
		if (w3 != "") p("boot3", w3, n == "boot4" ? "boot 3: first boot of release 8 (restore), to its reboot" : "boot 3: first boot of release 8 (restore)")
		if (site != "") p(n "_to_site", site, n ": QEMU start to the site answering")
		if (w2 != "" && w3 != "" && site != "") p("total", w2 + (n == "boot4" ? w3 : 0) + site, "total, upgrade boot to the site up")
	}'
}

# e2e_downtime SERIAL: e2e_phases of this upgrade (E2E_UP_TMP,
# E2E_UP_SITE_S, E2E_UP_LAST_BOOT) as # lines: a diagnostic for a person,
# never a timed assertion.
e2e_downtime() {
	local secs label
	say "downtime by phase (wall clock under TCG; a diagnostic, not asserted):"
	e2e_phases "$1" "$E2E_UP_TMP" "${E2E_UP_SITE_S:-}" "${E2E_UP_LAST_BOOT:-boot3}" |
		while read -r _ secs label; do say "$(printf '  %-41s %.0f s' "$label" "$secs")"; done # (say: DEMO=1 tells a person)
}

e2e_upgrade() {
	local layout=$1 tmp=$2 size grub grub_kpath
	local root=$tmp/root image=$tmp/disk.img serial=$tmp/serial.log
	e2e_upgrade_to_trial || return 1
	e2e_upgrade_trial_boot
}

# e2e_upgrade_to_trial: boots 1 to 3 of e2e_upgrade, up to restore arming
# the new kernel's trial boot and rebooting, in the variables e2e_upgrade
# declares (local layout tmp size grub grub_kpath root image serial: a
# caller running other boots after it declares them so too).
e2e_upgrade_to_trial() {
	: "${MEM_NORMAL:=512}" "${MEM_UPGRADE:=256}"
	case $layout in
	# (grub: where GRUB's grub.cfg, custom.cfg and grubenv are)
	# (grub_kpath: where its entries find the kernels: /boot on its own file system or not)
	bios) size=1024 grub=/boot/grub grub_kpath=/boot/ E2E_UP_QEMU_ARGS= ;;
	uefi-el7) size=2048 grub=/boot/efi/EFI/centos grub_kpath=/ E2E_UP_QEMU_ARGS=--uefi ;;
	*) t_fail "e2e_upgrade: unknown layout $layout"; return 1 ;;
	esac
	E2E_UP_TMP=$tmp E2E_UP_IMAGE=$image E2E_UP_SERIAL=$serial

	phase "preparing the demo system (Debian 12 guest, release 7 of the site in its rpmdb)"
	t=$SECONDS
	base=$(e2e_rootfs)
	cp -a --reflink=auto "$base" "$root"
	make -s -C "$TESTS_DIR/.." install DESTDIR="$root" >/dev/null
	pkgs=$(e2e_packages)
	e2e_install_release7 "$root" "$pkgs"
	mkdir -p "$root/srv/release8"
	cp "$pkgs"/release8/*.rpm "$root/srv/release8/"
	# The kernel switch: release 7 boots the guest's Debian kernel (dpkg's),
	# release 8 brings kernel-core with another one, whose %posttrans
	# (kernel-install) writes a BLS snippet that release 7's grub.cfg never
	# reads; restore makes it the default with release 8's grub2-tools.
	kpkgs=$(e2e_kernel_packages)
	cp "$kpkgs"/release8/*.rpm "$root/srv/release8/"
	old_kver=$(ls "$root/usr/lib/modules")
	# Debian's rpm reading a package file still opens a database, its
	# default ~/.rpmdb: one in the scratch directory instead.
	kqp() { rpm --dbpath "$tmp/host-rpmdb" -qp "$@" "$kpkgs"/release8/kernel-core-*.rpm 2>/dev/null; }
	new_kver=$(kqp --qf '[%{FILENAMES}\n]' |
		sed -n 's|^/lib/modules/\([^/]*\)/vmlinuz$|\1|p')
	n_target=$(ls "$root/srv/release8" | wc -l)
	say "kernels: release 7 boots $old_kver (the guest's, dpkg's), release 8 brings kernel-core with $new_kver"
	before_qa=$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)
	say "release $(cat "$root/etc/oslift-release"), $(wc -l <<<"$before_qa") packages in the rpmdb: $(tr '\n' ' ' <<<"$before_qa")"
	say "target packages in /srv/release8: $(ls "$root/srv/release8" | tr '\n' ' ')"

	# Boot 1's part, run by the boot driver once multi-user is reached.
	e2e_queue "$root" 1-stage.sh <<-'EOF'
	set -e
	echo "release $(cat /etc/oslift-release)"
	echo "uname -r: $(uname -r)"
	e2e-wait-go 300
	host-prep check --packages /srv/release8 || true
	if [ -e /root/e2e/measure-initramfs ]; then
		# The same kernel's plain image, built the same (host-only) way; its
		# size is read from the disk afterwards, like the upgrade image's.
		dracut --quiet --force /root/e2e/plain.img
	fi
	host-prep stage --packages /srv/release8 --reboot
	EOF
	# Boot 3's part: what the new system says about itself.
	e2e_queue "$root" 2-verify.sh <<-'EOF'
	set -e
	echo "uname -r: $(uname -r)"
	e2e-wait-go 300
	systemctl is-active website.service
	mkdir -p /root/e2e/out
	uname -r >/root/e2e/out/uname
	rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa
	rpm -Va >/root/e2e/out/va 2>&1 || true
	systemctl show -p ActiveState,Result,UnitFileState oslift-restore.service >/root/e2e/out/restore-unit
	sync
	systemctl poweroff
	EOF
	((${DEMO:-0})) && touch "$root/root/e2e/measure-initramfs"
	"$E2E_TOOLS/make-image.sh" "$root" "$image" "$size" --layout "$layout" 2>"$tmp/image.err"
	! declare -F e2e_upgrade_hook >/dev/null || e2e_upgrade_hook image
	t_pass "demo system image built ($((SECONDS - t)) s)"

	E2E_UP_PORT=$(e2e_free_port)
	# ------------------------------------------------------------------ boot 1
	phase "boot 1: the old system (release 7), staging the upgrade"
	e2e_up_boot boot1 "$MEM_NORMAL"
	e2e_up_reach_site boot1 1
	data_before=$DATA
	t_match "$PAGE" 'release 7' "boot 1: the site answers (release 7)"
	say "the site before: $(grep -o 'release [0-9]*' <<<"$PAGE") / data: $data_before"
	e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
	e2e_up_finish boot1
	! declare -F e2e_upgrade_hook >/dev/null || e2e_upgrade_hook boot1
	# What boot 1 did, from its disk: the guest's own lines may not all reach
	# the serial port before stage reboots it.
	plan=$(e2e_debugfs_cat "$image" /var/lib/oslift/plan || true)
	t_is "$(grep -cE '^(upgrade|install|install-only) ' <<<"$plan" || true)" "$n_target" "boot 1: host-prep stage staged the $n_target release 8 packages (the plan on disk)"
	t_match "$plan" '^install-only kernel-core-' "boot 1: the new kernel is in the plan as install-only (kernel-core)"
	t_match "$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)" '^next_entry=oslift-upgrade$' \
		"boot 1: and armed the one-time boot (next_entry in grubenv)"
	((${DEMO:-0})) && { grep -a '^e2e: ' "$serial.boot1" | tr -d '\r' | sed 's/^e2e: /  guest: /' >&3 || true; }
	# The upgrade initramfs, from the disk as boot 1 left it (not from a line
	# the guest may not get to print before stage reboots it).
	boot_ls=$(e2e_debugfs "$image" 'ls -l' /boot || true)
	upgrade_img=$(awk '$NF ~ /^oslift-upgrade-.*\.img$/ {print $NF, $(NF-3)}' <<<"$boot_ls")
	t_match "$upgrade_img" '^oslift-upgrade-.*\.img [1-9][0-9]*$' "boot 1: stage built the upgrade initramfs in /boot"
	sizes="oslift upgrade image ${upgrade_img#* } bytes"
	if ((${DEMO:-0})); then
		plain=$(e2e_debugfs "$image" stat /root/e2e/plain.img |
			awk '/Size: / {for (i = 1; i < NF; i++) if ($i == "Size:") print $(i + 1)}' || true)
		[[ -z $plain ]] || sizes="plain dracut $plain bytes; $sizes"
	fi
	say "initramfs sizes: $sizes"

	# ------------------------------------------------------------------ boot 2
	phase "boot 2: the upgrade initramfs (serial console)"
	e2e_up_boot boot2 "$MEM_UPGRADE"
	if ((${DEMO:-0})); then
		# The upgrader's lines, live, as an operator on the serial console sees
		# them: GRUB's choice, then every line with the upgrader's timestamp.
		# Every stage of the pipe passes each line on at once (tr and a plain
		# sed would hold them in a buffer until the boot is over).
		follow() {
			tail -n +1 -F "$1" 2>/dev/null |
				grep --line-buffered -aE "^ *Booting .oslift|^\[ *[0-9]+\.[0-9]{3}\] " |
				sed -u 's/\r$//; s/\x1b\[[0-9;]*[A-Za-z]//g; s/^/  console: /' >&3
		}
		follow "$serial.boot2" &
		tailer=$!
	fi
	e2e_up_finish boot2
	! declare -F e2e_upgrade_hook >/dev/null || e2e_upgrade_hook boot2
	if ((${DEMO:-0})); then
		sleep 1 # the last lines, through the pipe
		pkill -P "$tailer" 2>/dev/null || true
		wait "$tailer" 2>/dev/null || true
	fi
	up=$(tr -d '\r' <"$serial.boot2")
	t_match "$up" "Booting .oslift upgrade" "boot 2: GRUB booted the one-time upgrade entry"
	t_match "$up" 'Command line:.*rd\.oslift\.upgrade' "boot 2: the kernel got rd.oslift.upgrade"
	t_match "$up" '\[ ?[0-9]+/[0-9]+ +[0-9]+%\] upgrading website-8\.0-1\.noarch \(from website-7\.0-1\.noarch\)' \
		"boot 2: the serial console shows every package (upgrading website)"
	t_match "$up" 'watchdog armed: the machine reboots after [0-9]+ s without progress' \
		"boot 2: the upgrader armed the watchdog (softdog)"
	t_match "$up" 'upgrade applied in [0-9.]+ s' "boot 2: the upgrader reports success"
	# The old system's command line (boot 1's, as its kernel printed it),
	# without GRUB's BOOT_IMAGE=, one blank between words.
	old_cmdline=$(tr -d '\r' <"$serial.boot1" | sed -n 's/^.*Command line: //p' | head -1 |
		tr -s '[:space:]' '\n' | grep -v '^BOOT_IMAGE=' | paste -sd ' ' || true)
	t_match "$old_cmdline" '(^| )root=' "boot 1: the old system's kernel printed its command line ($old_cmdline)"
	shown=$(sed -n "s|^.*the root's /proc/cmdline is the old system's kernel command line, for the new kernel's boot entry: ||p" <<<"$up" | head -1)
	t_is "$(tr ' ' '\n' <<<"$shown" | grep -v '^BOOT_IMAGE=' | paste -sd ' ' || true)" "$old_cmdline" \
		"boot 2: the upgrader showed the scriptlets the old system's command line as /proc/cmdline (its console line)"
	t_match "$(e2e_debugfs_cat "$image" /var/log/oslift/upgrade.log || true)" \
		"the root's /proc/cmdline is the old system's kernel command line, for the new kernel's boot entry: " \
		"boot 2: and said so in the upgrader's log on disk"
	t_is "$(grep -ciE 'systemd-networkd|NetworkManager|network-online|ifup|dhclient|wicked' <<<"$up" || true)" 0 \
		"boot 2: no network is brought up in the upgrade environment"
	t_match "$up" 'reboot: Restarting system' "boot 2: and reboots (the kernel's own line)"
	t_match "$up" "Linux version $old_kver " "boot 2: the upgrade boot ran the old kernel ($old_kver)"

	# ------------------------------------------------------------------ boot 3
	phase "boot 3: the first boot of release 8, on the old kernel: restore"
	e2e_up_boot boot3 "$MEM_NORMAL"
	# Restore makes the new kernel the default and reboots into it before
	# the services start: QEMU ends by itself.
	e2e_up_finish boot3
	! declare -F e2e_upgrade_hook >/dev/null || e2e_upgrade_hook boot3
	boot3_log=$(tr -d '\r' <"$E2E_UP_SERIAL.boot3")
	t_match "$boot3_log" "Linux version $old_kver " \
		"boot 3: GRUB booted the old kernel (release 7's grub.cfg never reads the new kernel's BLS snippet)"
	t_match "$boot3_log" 'oslift upgrade report' "boot 3: the restoration unit printed its report on the console"
	new_id=0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e-$new_kver
	t_match "$boot3_log" "the new kernel $new_kver boots once, on trial, at the next boot: .*, kept $old_kver the default .* and set next_entry=$new_id in .*; rebooting into it now, before the services start" \
		"boot 3: restore ran release 8's own tools, kept the old kernel the default and armed the new one's trial boot (next_entry), and reboots into it"
	t_is "$(grep -c 'came up on its trial boot' <<<"$boot3_log" || true)" 0 \
		"boot 3: the new kernel was not made the default in boot 3"
	# (systemd then says "Stopped oslift-restore.service": the reboot's
	# transaction stops the unit, which conflicts with shutdown.target.)
	t_match "$boot3_log" 'host-prep\[[0-9]+\]: rebooting into the new kernel, once \(its trial boot; the old kernel stays the default\)$' \
		"boot 3: restore's last line: the reboot, after the report"
	t_is "$(grep -c '^e2e: driver: boot' <<<"$boot3_log" || true)" 0 \
		"boot 3: rebooted before multi-user: the site never came up on the old kernel"
	grubenv=$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)
	t_is "$(grep -E '^(next|saved)_entry=' <<<"$grubenv" | grep -c "^next_entry=$new_id\$" || true) $(grep -c "^saved_entry=$new_id\$" <<<"$grubenv" || true)" \
		"1 0" "boot 3: grubenv on the disk: next_entry is the new kernel's entry, saved_entry is not"
}

# e2e_upgrade_trial_boot: boot 4 of e2e_upgrade, the new kernel's trial
# boot, which makes it the default, and the disk afterwards.
e2e_upgrade_trial_boot() {

	# ------------------------------------------------------------------ boot 4
	phase "boot 4: release 8 on its own kernel"
	e2e_up_boot boot4 "$MEM_NORMAL"
	# The driver counts normal boots: neither the upgrade boot nor boot 3
	# (restore rebooted it before multi-user) was one.
	e2e_up_reach_site boot4 2
	# The guest script's first line, which the driver may run after the
	# site is up.
	e2e_wait_log "$E2E_UP_SERIAL.boot4" '^e2e: uname -r: ' 120 "$E2E_UP_PID" || true
	boot4_log=$(tr -d '\r' <"$E2E_UP_SERIAL.boot4")
	# What the guest itself says, on the serial console, before anything
	# else can cut it short (the script's first line), and the kernel's
	# own banner.
	t_match "$boot4_log" "^e2e: uname -r: $new_kver\$" "boot 4: runs the new kernel by default ($new_kver, uname -r on the serial console)"
	t_match "$boot4_log" "Linux version $new_kver " "boot 4: the kernel's banner names it too"
	t_match "$boot4_log" "host-prep\[[0-9]+\]: the new kernel $new_kver came up on its trial boot: making it the default: /usr/sbin/grub2-set-default $new_id\$" \
		"boot 4: restore saw the trial boot come up on the new kernel and made it the default (serial console)"
	t_match "$PAGE" 'release 8' "boot 4: the site answers, now release 8"
	t_is "$DATA" "$data_before" "boot 4: with the same site data"
	say "the site after: $(grep -o 'release [0-9]*' <<<"$PAGE") / data: $DATA"
	e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
	e2e_up_finish boot4
	! declare -F e2e_upgrade_hook >/dev/null || e2e_upgrade_hook boot4

	# ------------------------------------------------------- the disk, afterwards
	phase "the disk after the upgrade"
	qa=$(e2e_debugfs_cat "$image" /root/e2e/out/qa || true)
	t_is "$qa" "base-release-8.0-1.noarch
debian-sh-1.0-8.noarch
grub2-tools-2.02-8.noarch
$(kqp --qf '%{NEVRA}')
website-8.0-1.noarch" "rpm -qa in the new system shows release 8 (with its kernel-core and grub2-tools)"
	# Every read below must succeed: an unreadable image must not pass as clean.
	va=$(e2e_debugfs_cat "$image" /root/e2e/out/va) || va="(rpm -Va output missing from the image)"
	# A config file may differ from the package in content (size, digest,
	# mtime) as a configured system's do; a missing one, or another change
	# (mode, owner, link), is not excused.
	t_is "$(grep -vE '^[S.][.][5.][.]{4}[T.][.]  c /' <<<"$va" || true)" "" \
		"rpm -Va is clean apart from config files whose content changed"
	unit=$(e2e_debugfs_cat "$image" /root/e2e/out/restore-unit || true)
	t_match "$unit" '^UnitFileState=disabled$' "oslift-restore.service disabled itself (on boot 4, after the trial)"
	t_match "$unit" '^ActiveState=active$' "it ran once more on boot 4, the trial's boot"
	t_match "$unit" '^Result=success$' "and succeeded there"
	report=$(e2e_debugfs_cat "$image" /var/log/oslift/report.json || true)
	t_match "$report" '"result":"applied"' "report.json: applied"
	t_match "$report" '"restore_actions":\[[^]]*removed the one-time upgrade boot entry' "report.json: restore removed the boot entry"
	status=$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)
	t_match "$status" '"state": "restored"' "status.json: restored"
	t_match "$status" "\"message\": \"restored: the new kernel $new_kver came up on its trial boot and boots by default\"" \
		"status.json's message: the new kernel came up on its trial boot"
	grubenv=$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)
	t_match "$grubenv" '^# GRUB Environment Block' "grubenv is still GRUB's environment block"
	# GRUB's save_env leaves the variable behind, empty.
	t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "grubenv has no next_entry left"
	t_is "$(e2e_debugfs_cat "$image" "$grub/custom.cfg" 2>/dev/null | grep -c oslift || true)" 0 "custom.cfg has no oslift entry"
	boot_ls=$(e2e_debugfs "$image" ls /boot || true)
	t_match "$boot_ls" 'vmlinuz-' "/boot is readable in the image"
	t_is "$(grep -c oslift-upgrade <<<"$boot_ls" || true)" 0 "the upgrade initramfs is gone from /boot"

	phase "the kernels after the upgrade"
	t_is "$(e2e_debugfs_cat "$image" /root/e2e/out/uname || true)" "$new_kver" "boot 4 ran $new_kver (uname -r, on the disk)"
	# kernel-core's %posttrans in the upgrade boot: kernel-install, the
	# stand-ins of EL 8's 20-grubby.install and 50-dracut.install.
	snippet=$(e2e_debugfs_cat "$image" "/boot/loader/entries/0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e-$new_kver.conf" || true)
	t_match "$snippet" "^version $new_kver\$" "kernel-core's %posttrans (kernel-install add) wrote its BLS snippet in /boot/loader/entries"
	# Its options: the old system's command line, as kernel-install read it
	# from /proc/cmdline in the upgrade boot, and nothing of the upgrade boot's.
	options=$(sed -n 's/^options //p' <<<"$snippet")
	t_is "$(tr ' ' '\n' <<<"$options" | grep -c '^rd\.oslift' || true)" 0 \
		"the new kernel's BLS snippet has no rd.oslift word in its options"
	# The guest's own command line has rd.shell=0 rd.emergency=reboot
	# (make-image.sh): the unattended words as often as boot 1 had them,
	# rd.timeout=300 not at all.
	unattended() { tr ' ' '\n' <<<"$1" | grep -cxE 'rd\.shell=0|rd\.emergency=reboot|rd\.timeout=300' || true; }
	t_is "$(unattended "$options") $(tr ' ' '\n' <<<"$options" | grep -cx 'rd\.timeout=300' || true)" \
		"$(unattended "$old_cmdline") 0" \
		"and the upgrade boot's rd.shell=0 rd.emergency=reboot rd.timeout=300 only as boot 1 had them ($(unattended "$old_cmdline") of them, no rd.timeout=300)"
	# Restore's grub2-mkconfig rewrote the snippet's root= as EL 8's does
	# (update_bls_cmdline: root=UUID= of the root file system, then
	# GRUB_CMDLINE_LINUX): boot 1's root= word, or that UUID, and else
	# the same words.
	local root_off root_uuid old_root w norm=()
	read -r root_off _ < <(e2e_part "$image" /) || root_off=''
	root_uuid=$(blkid -p -O "${root_off:-0}" -s UUID -o value "$image" 2>/dev/null || true)
	old_root=$(tr ' ' '\n' <<<"$old_cmdline" | grep -m1 '^root=' || true)
	for w in $options; do
		[[ $w == "$old_root" || (-n $root_uuid && $w == "root=UUID=$root_uuid") ]] && w=root=ROOT
		norm+=("$w")
	done
	t_is "${norm[*]}" "$(sed -E "s/(^| )root=[^ ]*( |\$)/\1root=ROOT\2/" <<<"$old_cmdline")" \
		"and its options are the old system's own command line (boot 1's, without BOOT_IMAGE=; root= as boot 1 had it or the root's UUID ${root_uuid:-?})"
	t_is "$(grep -c "took the upgrade boot's kernel arguments" <<<"$report" || true)" 0 \
		"as kernel-install wrote them in the upgrade boot: restore had none of the upgrade boot's words to take out"
	t_match "$boot_ls" "(^| )vmlinuz-$new_kver( |\$)" "kernel-install copied the new kernel to /boot/vmlinuz-$new_kver"
	new_initrd=$(e2e_debugfs "$image" stat "/boot/initramfs-$new_kver.img" | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -1 || true)
	t_match "${new_initrd:-0}" '^[1-9][0-9]{6,}$' "and dracut built its initramfs in the upgrade boot (/boot/initramfs-$new_kver.img, $((${new_initrd:-0} / 1024)) KiB)"
	# The old kernel: still installed, still in the menu: the fallback.
	t_match "$boot_ls" "(^| )vmlinuz-$old_kver( |\$)" "the old kernel stays installed (/boot/vmlinuz-$old_kver)"
	t_match "$boot_ls" "(^| )initrd\.img-$old_kver( |\$)" "with its initramfs (/boot/initrd.img-$old_kver)"
	cfg=$(e2e_debugfs_cat "$image" "$grub/grub.cfg" || true)
	t_match "$cfg" "Written by grub2-mkconfig: oslift's e2e stand-in" "grub.cfg was regenerated by release 8's grub2-mkconfig (the stand-in for blscfg)"
	entries=$(grep -E "^[[:space:]]*(menuentry|linux|linuxefi) " <<<"$cfg" | sed -E 's/^[[:space:]]*//' | awk '{print $1 == "menuentry" ? "entry" : $2}' | grep -v '^entry$' || true)
	t_is "$(sed -n 1p <<<"$entries")" "${grub_kpath}vmlinuz-$new_kver" "grub.cfg's first entry boots the new kernel"
	t_is "$(sed -n 2p <<<"$entries")" "${grub_kpath}vmlinuz-$old_kver" "and the old kernel has the next entry: the fallback"
	t_match "$grubenv" "^saved_entry=$new_id\$" "grubenv's saved_entry is the new kernel's entry (grub2-set-default, in boot 4)"
	t_match "$cfg" "set default=\"\\\$\{saved_entry\}\"" "and grub.cfg's default is saved_entry (GRUB_DEFAULT=saved)"
	if [[ $layout == bios ]]; then
		# Debian's GRUB_DEFAULT=0 (the first entry, the new kernel's) would
		# have booted the new kernel every time: restore set it to saved.
		t_match "$(e2e_debugfs_cat "$image" /etc/default/grub || true)" '^GRUB_DEFAULT=saved$' \
			"/etc/default/grub: GRUB_DEFAULT=0 was set to saved, for the trial boot"
	fi
	t_match "$cfg" "--unrestricted \\\$menuentry_id_option '$new_id'" "the new kernel's menu entry has that id"
	t_match "$report" "\"restore_actions\":\\[[^]]*the new kernel $new_kver boots once, on trial" "report.json: restore armed the new kernel's trial boot with the target's tools"
	t_match "$report" "\"kernel_trial\":\\{\"kernel\":\"$new_kver\",[^}]*\"result\":\"committed\"" "report.json: kernel_trial: committed"
	t_match "$report" '"boot_problem":null' "report.json: no boot problem"
	say "kernels: boot 3 ran $old_kver and restore armed the trial, boot 4 ran $new_kver and made it the default; grub.cfg menu: $(tr '\n' ' ' <<<"$entries")"
	say "release 8 now, $(wc -l <<<"$qa") packages in the rpmdb: $(tr '\n' ' ' <<<"$qa")"
	e2e_downtime "$serial"
	say "logs in the image: /var/log/oslift/upgrade.log, report.txt, report.json; serial logs: $serial.boot{1,2,3,4}"
}

# The rollback after e2e_upgrade (bios), shared by rollback.sh and
# rollback-power-cut.sh; they use e2e_upgrade's image and its globals
# (before_qa, data_before) and E2E_UP_IMAGE, which a caller may point at a
# copy.
#
# e2e_rollback_arm GRUBDIR: queues boot 5's host-prep rollback and the
# old system's look at itself for the boot after the rollback boot
# (/root/e2e/out/*-rolled-back), runs boot 5 (release 8) and asserts from
# the disk that the rollback boot is armed. Sets E2E_RB_KERNEL_BEFORE, the
# banner of boot 1's kernel (release 7's).
e2e_rollback_arm() {
	local grub=$1 undo_status
	E2E_RB_KERNEL_BEFORE=$(tr -d '\r' <"$E2E_UP_SERIAL.boot1" | grep -ao 'Linux version [^ ]*' | head -n 1 || true)
	t_match "$E2E_RB_KERNEL_BEFORE" '^Linux version ' "boot 1: the serial log names the kernel of release 7"
	e2e_image_put "$E2E_UP_IMAGE" /root/e2e/queue/3-rollback.sh <<-'EOS'
	set -e
	e2e-wait-go 300
	mkdir -p /root/e2e/out
	host-prep status >/root/e2e/out/status-before-rollback 2>&1 || true
	host-prep rollback
	sync
	systemctl reboot
	EOS
	e2e_image_put "$E2E_UP_IMAGE" /root/e2e/queue/4-old.sh <<-'EOS'
	set -e
	e2e-wait-go 300
	mkdir -p /root/e2e/out
	rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa-rolled-back
	rpm -Va >/root/e2e/out/va-rolled-back 2>&1 || true
	uname -r >/root/e2e/out/uname-rolled-back
	host-prep status >/root/e2e/out/status-rolled-back 2>&1 || true
	systemctl is-active website.service
	sync
	systemctl poweroff
	EOS
	t_pass "the rollback and the look at the old system are queued in the image"

	phase "boot 5: release 8, host-prep rollback"
	e2e_up_boot boot5 "${MEM_NORMAL:-512}"
	e2e_up_reach_site boot5 3
	t_match "$PAGE" 'release 8' "boot 5: the site is release 8's"
	e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
	e2e_up_finish boot5
	undo_status=$(e2e_debugfs_cat "$E2E_UP_IMAGE" /root/e2e/out/status-before-rollback || true)
	t_match "$undo_status" '^undo set: [0-9]+ bytes in /var/lib/oslift/undo' "boot 5: host-prep status showed the undo set's size"
	say "$(grep '^undo set:' <<<"$undo_status" || true)"
	t_match "$(e2e_debugfs_cat "$E2E_UP_IMAGE" "$grub/grubenv" || true)" '^next_entry=oslift-upgrade$' \
		"boot 5: host-prep rollback armed the one-time boot (next_entry in grubenv)"
	t_match "$(e2e_debugfs_cat "$E2E_UP_IMAGE" /var/lib/oslift/status.json || true)" '"state": "rolling-back"' \
		"boot 5: status.json says rolling-back"
	t_match "$(e2e_debugfs "$E2E_UP_IMAGE" ls /boot || true)" 'oslift-upgrade-.*\.img' "boot 5: and built the upgrade initramfs"
}

# e2e_rollback_done NAME GRUBDIR: the serial log of the rollback boot NAME
# (one that went to its end) says the old system is back, verified, with
# its boot configuration, and that it reboots into it.
e2e_rollback_done() {
	local rb
	rb=$(tr -d '\r' <"$E2E_UP_SERIAL.$1")
	t_match "$rb" "Booting .oslift upgrade" "$1: GRUB booted the one-time entry"
	t_match "$rb" 'rolling back to the old system: [0-9]+ paths in the undo set.s manifest' "$1: the upgrader rolls back"
	t_match "$rb" 'the old rpmdb is back' "$1: the old rpmdb is back"
	t_match "$rb" 'rollback done in [0-9.]+ s: 0 problems' "$1: every file verified against the old rpmdb"
	t_match "$rb" 'put back the old boot configuration: [1-9][0-9]* paths' "$1: the old boot configuration is back"
	t_match "$rb" "put $2/grubenv back as it was before the upgrade" "$1: grubenv last"
	t_match "$rb" 'rolled back: the old system is back' "$1: says the old system is back"
	t_match "$rb" 'rebooting into the old system, rolled back and verified' "$1: and reboots into it"
	t_match "$rb" 'reboot: Restarting system' "$1: the kernel's reboot line"
}

# e2e_rollback_old NAME GRUBDIR: boots release 7 after the rollback boot
# (the driver's fourth normal boot, which runs 4-old.sh) and asserts the
# old system: its site and data, its kernel (boot 1's), rpm -qa as before
# the upgrade, rpm -Va clean, status rolled-back, nothing of oslift's boot
# entries left, the disk clean.
e2e_rollback_old() {
	local name=$1 grub=$2 kernel_after va grubenv rc=0
	e2e_up_boot "$name" "${MEM_NORMAL:-512}"
	e2e_up_reach_site "$name" 4
	t_match "$PAGE" 'release 7' "$name: the site answers, release 7 again"
	t_is "$DATA" "$data_before" "$name: with the same site data"
	e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
	e2e_up_finish "$name"
	kernel_after=$(tr -d '\r' <"$E2E_UP_SERIAL.$name" | grep -ao 'Linux version [^ ]*' | head -n 1 || true)
	t_is "$kernel_after" "$E2E_RB_KERNEL_BEFORE" "$name: the old kernel runs"
	t_is "$(e2e_debugfs_cat "$E2E_UP_IMAGE" /root/e2e/out/qa-rolled-back || true)" "$before_qa" \
		"$name: rpm -qa is the one of before the upgrade"
	va=$(e2e_debugfs_cat "$E2E_UP_IMAGE" /root/e2e/out/va-rolled-back) || va="(rpm -Va output missing from the image)"
	t_is "$(grep -vE '^[S.][.][5.][.]{4}[T.][.]  c /' <<<"$va" || true)" "" \
		"$name: rpm -Va is clean apart from config files whose content changed"
	t_match "$(e2e_debugfs_cat "$E2E_UP_IMAGE" /root/e2e/out/status-rolled-back || true)" 'rolled-back' \
		"$name: host-prep status on release 7 says rolled-back"
	t_match "$(e2e_debugfs_cat "$E2E_UP_IMAGE" /var/lib/oslift/status.json || true)" '"state": "rolled-back"' \
		"$name: status.json: rolled-back"
	grubenv=$(e2e_debugfs_cat "$E2E_UP_IMAGE" "$grub/grubenv" || true)
	t_match "$grubenv" '^# GRUB Environment Block' "$name: grubenv is still GRUB's environment block"
	t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "$name: grubenv has no next_entry left"
	t_is "$(e2e_debugfs_cat "$E2E_UP_IMAGE" "$grub/custom.cfg" 2>/dev/null | grep -c oslift || true)" 0 \
		"$name: custom.cfg has no oslift entry"
	t_is "$(e2e_debugfs "$E2E_UP_IMAGE" ls /boot | grep -c oslift-upgrade || true)" 0 \
		"$name: the rollback boot's initramfs is gone from /boot"
	e2e_fsck_all "$E2E_UP_IMAGE" >"$E2E_UP_TMP/fsck.$name.log" 2>&1 || rc=$?
	t_is "$rc" 0 "$name: the disk's file systems are clean"
}
