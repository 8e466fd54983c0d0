#!/bin/bash
# The boot-path rows of the benchmark (see bench/README.md, "boot.sh"):
#
#   boot.sh [--out FILE] [--runs K] [--mem "MB ..."] [--fillers N]
#
# 1. The upgrade initramfs against the same kernel's plain dracut image.
#    Both are built by the guest's dracut in the e2e guest (Debian 12, its
#    /etc/dracut.conf.d/50-e2e.conf, host-only): the upgrade image is the
#    one `host-prep stage --reboot` wrote (boot 1 of e2e_staged_image,
#    i.e. boot_entry_build_initramfs(), taken from the disk with debugfs),
#    the plain one `dracut --force --kver KVER` run in the same guest at
#    the normal boot after the upgrade (same kernel, same configuration).
# 2. The upgrade boot under QEMU (TCG), K runs per guest memory size, each
#    on a fresh copy of the staged disk: times read from the serial log
#    (kernel printk stamps and the upgrader's own "[  12.345]" stamps, both
#    seconds since the guest kernel started) and QEMU's run time (qemu.sh).
#    A memory size is only tried when the one before it upgraded.
# 3. The demo's whole upgrade with its kernel switch (e2e_upgrade bios, the
#    four boots of tests/e2e/upgrade.sh), once: its downtime by phase
#    (e2e_phases, the e2e tests' own parser), firmware + GRUB to the site
#    answering on the new kernel.
#
# The package set is the e2e demo site (3 packages, release 7 -> 8), plus
# --fillers N filler packages and "scripted" (whose %post sleeps 1 s).
# Needs what the e2e tests need (root, qemu-system-x86_64, debootstrap, ...)
# and a build (make all; OSLIFT_BUILD, default ./build); without them it
# says why, writes {"skipped": "..."} to FILE and exits 0.
set -euo pipefail

usage() {
	echo "usage: $0 [--out FILE] [--runs K] [--mem \"MB ...\"] [--fillers N]" >&2
	exit 2
}
out='' runs=2 mems="512 256" fillers=0
while (($#)); do
	case $1 in
	--out | --runs | --mem | --fillers)
		(($# >= 2)) || usage
		case $1 in --out) out=$2 ;; --runs) runs=$2 ;; --mem) mems=$2 ;; --fillers) fillers=$2 ;; esac
		shift 2 ;;
	--out=*) out=${1#*=}; shift ;;
	--runs=*) runs=${1#*=}; shift ;;
	--mem=*) mems=${1#*=}; shift ;;
	--fillers=*) fillers=${1#*=}; shift ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage
[[ $fillers =~ ^[0-9]+$ ]] || usage
for m in $mems; do [[ $m =~ ^[1-9][0-9]*$ ]] || usage; done
[[ -n $mems ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

json_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
# skip REASON: the prerequisites are missing; not a failure.
skip() {
	echo "boot.sh: skipped: $1"
	[[ -z $out ]] || echo "{\"skipped\": $(json_string "$1")}" >"$out"
	exit 0
}
# fail REASON: the measurement itself went wrong.
fail() {
	echo "boot.sh: failed: $1" >&2
	[[ -z $out ]] || echo "{\"error\": $(json_string "$1")}" >"$out"
	exit 1
}

command -v python3 >/dev/null || { echo "boot.sh: skipped: python3 not found"; [[ -z $out ]] || echo '{"skipped": "python3 not found"}' >"$out"; exit 0; }
export OSLIFT_BUILD=${OSLIFT_BUILD:-$top/build}
[[ -x $OSLIFT_BUILD/upgrader && -x $OSLIFT_BUILD/host-prep ]] ||
	skip "no upgrader/host-prep in $OSLIFT_BUILD (make all)"

# The e2e helpers. lib.sh prints a TAP plan at exit and e2e_require reports
# a skip as a TAP line: neither suits a benchmark, so both are replaced.
source "$top/tests/lib.sh"
source "$top/tests/e2e/tools/e2e-lib.sh"
tmp=
cleanup() {
	local j
	j=$(jobs -p)
	[[ -z $j ]] || kill $j 2>/dev/null || true
	wait 2>/dev/null || true
	[[ -n $tmp ]] || return 0
	if [[ ${OSLIFT_KEEP_TMP:-0} == 1 ]]; then echo "boot.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
t_skip() { skip "$2"; }
e2e_require "boot benchmark"
for tool in zstd cpio; do
	command -v $tool >/dev/null || skip "$tool not found (to read the initramfs)"
done

tmp=$(mktemp -d /tmp/oslift-bench-boot.XXXXXX)

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
say() { printf 'boot: %s\n' "$*"; }
load_start=$(loadavg)
say "load average at start: $load_start (nproc $(nproc))"

# ------------------------------------------------------- the staged system
# Queued for the first normal boot after the upgrade (only the boot that
# builds the plain image gets there: the timed runs end at the upgrade
# boot's reboot). Same kernel, same dracut configuration as stage used.
cat >"$tmp/plain.sh" <<'EOF'
set -e
dracut --quiet --force --kver "$(uname -r)" /root/e2e/plain.img
echo "bench: plain initramfs $(stat -c %s /root/e2e/plain.img) bytes"
sync
systemctl poweroff
EOF
staged=$tmp/staged.img
say "staging: e2e rootfs, demo site release 7 + $fillers fillers, boot 1 runs host-prep stage --reboot (dracut in the guest: minutes under TCG)"
t=$SECONDS
if ! e2e_staged_image "$staged" "$fillers" "$tmp/plain.sh"; then
	tail -n 30 "$staged.stage.log" "$staged.err" 2>/dev/null >&2 || true
	fail "boot 1 did not stage the upgrade (e2e_staged_image)"
fi
stage_seconds=$((SECONDS - t))
say "staged in $stage_seconds s (image build + boot 1 with stage)"

# A file of the image's root file system: its size, or dumped to a file.
img_size() { debugfs -R "stat $2" "$1?offset=1048576" 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -n1; }
img_dump() { debugfs -R "dump $2 $3" "$1?offset=1048576" >/dev/null 2>&1 && [[ -s $3 ]]; }

upgrade_path=$(debugfs -R "ls -p /boot" "$staged?offset=1048576" 2>/dev/null |
	awk -F/ '$6 ~ /^oslift-upgrade-.*\.img$/ {print "/boot/" $6; exit}')
[[ -n $upgrade_path ]] || fail "no /boot/oslift-upgrade-*.img in the staged disk"
kver=${upgrade_path#/boot/oslift-upgrade-}
kver=${kver%.img}
img_dump "$staged" "$upgrade_path" "$tmp/upgrade.img" || fail "cannot read $upgrade_path from the disk"
kernel_bytes=$(img_size "$staged" "/boot/vmlinuz-$kver")
[[ -n $kernel_bytes ]] || fail "no /boot/vmlinuz-$kver in the disk"

# The cpio archive inside an initramfs: past an uncompressed early cpio
# (dracut's skipcpio, from the guest), then decompressed by magic.
base=$(e2e_rootfs)
unpacked() {
	local f=$1 magic
	if [[ $(head -c6 "$f") == 070701 && -x $base/usr/lib/dracut/skipcpio ]]; then
		"$base/usr/lib/dracut/skipcpio" "$f" >"$f.main"
		f=$f.main
	fi
	magic=$(od -An -tx1 -N4 "$f" | tr -d ' \n')
	case $magic in
	28b52ffd) zstd -dc "$f" ;;
	1f8b*) gzip -dc "$f" ;;
	fd377a58) xz -dc "$f" ;;
	*) cat "$f" ;;
	esac
}
unpacked "$tmp/upgrade.img" >"$tmp/upgrade.cpio"
upgrade_bytes=$(stat -c %s "$tmp/upgrade.img")
upgrade_raw=$(stat -c %s "$tmp/upgrade.cpio")
upgrader_in=$(cd "$tmp" && cpio -i --quiet --to-stdout usr/lib/oslift/upgrader <upgrade.cpio | wc -c)
upgrader_built=$(stat -c %s "$OSLIFT_BUILD/upgrader")
upgrade_files=$(cpio -it --quiet <"$tmp/upgrade.cpio" | wc -l)
say "kernel $kver: vmlinuz $kernel_bytes bytes"
say "upgrade initramfs (host-prep stage, in the guest): $upgrade_bytes bytes ($upgrade_raw uncompressed, $upgrade_files entries)"
say "upgrader in it: $upgrader_in bytes (build/upgrader: $upgrader_built)"
say "kernel + upgrade initramfs: $((kernel_bytes + upgrade_bytes)) bytes ($(awk "BEGIN {printf \"%.1f\", ($kernel_bytes + $upgrade_bytes) / 1048576}") MiB; Leapp's pair: 66 MiB)"

# ------------------------------------------------------- the upgrade boots
# parse SERIAL: "key value" lines from one upgrade boot's serial log.
parse() {
	tr -d '\r' <"$1" | awk '
		function ts(s) { sub(/^\[ */, "", s); sub(/\].*/, "", s); return s }
		/^\[ *[0-9.]+\] oslift [^ ]+: upgrading the system at/ && !u { u = 1; print "upgrader_start", ts($0) }
		/^\[ *[0-9.]+\] \[ *1\/[0-9]+ / && !f { f = 1; print "first_package_start", ts($0); t = $0; sub(/^\[ *[0-9.]+\] \[ *1\//, "", t); sub(/ .*/, "", t); print "elements", t }
		/^\[ *[0-9.]+\] \[ *2\/[0-9]+ / && !s { s = 1; print "second_package_start", ts($0) }
		/^\[ *[0-9.]+\] upgrade applied in [0-9.]+ s/ { print "applied_at", ts($0); a = $0; sub(/.*applied in /, "", a); sub(/ s.*/, "", a); print "transaction_seconds", a }
		/^\[ *[0-9.]+\] rebooting into the new system/ { print "rebooting_at", ts($0) }
		/^\[ *[0-9.]+\] printk: console \[ttyS0\] enabled/ && !c { c = 1; print "console_enabled_at", ts($0) }
		/^\[ *[0-9.]+\] reboot: Restarting system/ { print "kernel_restart_at", ts($0) }
		/Out of memory|oom-kill|Killed process/ && !o { o = 1; print "oom", 1 }'
}
# Host wall-clock seconds since $1 (date +%s.%N), to the millisecond.
since() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN {printf "%.3f\n", t1 - t0}'; }
# watch_marks SERIAL PID T0: while PID runs, prints "wall_NAME SECONDS"
# (host clock since T0, polled every 0.2 s) when a line first appears in
# the serial log: GRUB starting the entry, the kernel's serial console
# coming up (printed at about 0.3 s of kernel time; parse() gives its
# stamp, so the host time of kernel start is this minus that), the first
# package, the kernel's restart.
watch_marks() {
	local log=$1 pid=$2 t0=$3 i text
	local names=(grub_entry console first_package restart)
	local res=('Booting .oslift upgrade' 'printk: console \[ttyS0\] enabled'
		'^\[ *[0-9.]+\] \[ *1/[0-9]+ ' 'reboot: Restarting system')
	local seen=(0 0 0 0)
	while kill -0 "$pid" 2>/dev/null; do
		text=$(tr -d '\r' 2>/dev/null <"$log" || true)
		for i in "${!names[@]}"; do
			((seen[i])) && continue
			if grep -aqE -- "${res[i]}" <<<"$text"; then
				seen[i]=1
				echo "wall_${names[i]} $(since "$t0")"
			fi
		done
		sleep 0.2
	done
}
ok_mems=() failed_mem=
keep=
for mem in $mems; do
	for ((run = 1; run <= runs; run++)); do
		img=$tmp/run-$mem-$run.img serial=$tmp/serial.$mem.$run
		cp --sparse=always "$staged" "$img"
		load=$(loadavg)
		t0=$(date +%s.%N)
		"$E2E_TOOLS/qemu.sh" "$img" "$serial" --mem "$mem" --timeout 900 2>"$tmp/qemu.$mem.$run.err" &
		qpid=$!
		watch_marks "$serial" "$qpid" "$t0" >"$tmp/parsed.$mem.$run"
		wait "$qpid" && rc=0 || rc=$?
		echo "wall_exit $(since "$t0")" >>"$tmp/parsed.$mem.$run"
		wall=$(sed -n 's/.*guest ran \([0-9.]*\) s.*/\1/p' "$tmp/qemu.$mem.$run.err")
		parse "$serial" >>"$tmp/parsed.$mem.$run"
		{
			echo "mem $mem"; echo "run $run"; echo "qemu_status $rc"; echo "qemu_seconds ${wall:-0}"
			echo "load ${load// /,}"
		} >>"$tmp/parsed.$mem.$run"
		get() { awk -v k="$1" '$1 == k {print $2; exit}' "$tmp/parsed.$mem.$run"; }
		if ((rc == 0)) && [[ -n $(get applied_at) && -n $(get kernel_restart_at) ]]; then
			echo "ok 1" >>"$tmp/parsed.$mem.$run"
			say "$mem MiB run $run: QEMU ${wall} s (kernel serial console at $(get wall_console) s host clock); guest clock: kernel start -> upgrader $(get upgrader_start) s, -> first package $(get first_package_start) s, -> applied $(get applied_at) s (transaction $(get transaction_seconds) s, $(get elements) elements), -> reboot $(get kernel_restart_at) s; load $load"
			if [[ -z $keep ]]; then keep=$img; else rm -f "$img"; fi
		else
			echo "ok 0" >>"$tmp/parsed.$mem.$run"
			say "$mem MiB run $run: no complete upgrade ($(cat "$tmp/qemu.$mem.$run.err")); last lines:"
			tr -d '\r' <"$serial" | grep -aE '^\[ *[0-9.]+\] ' | tail -n 8 | sed 's/^/boot:   /' || true
			failed_mem=$mem
			rm -f "$img"
			break
		fi
	done
	[[ -z $failed_mem ]] || break
	ok_mems+=("$mem")
done

# ------------------------------------------------ the plain image, same kernel
plain_bytes=None plain_raw=None plain_files=None added=None added_raw=None
if [[ -n $keep ]]; then
	say "plain image: booting the upgraded disk once more, the guest's dracut builds it"
	"$E2E_TOOLS/qemu.sh" "$keep" "$tmp/serial.plain" --mem 512 --timeout 900 2>"$tmp/qemu.plain.err" || true
	if img_dump "$keep" /root/e2e/plain.img "$tmp/plain.img"; then
		plain_bytes=$(stat -c %s "$tmp/plain.img")
		unpacked "$tmp/plain.img" >"$tmp/plain.cpio"
		plain_raw=$(stat -c %s "$tmp/plain.cpio")
		plain_files=$(cpio -it --quiet <"$tmp/plain.cpio" | wc -l)
		cpio -it --quiet <"$tmp/plain.cpio" | sort >"$tmp/plain.list"
		cpio -it --quiet <"$tmp/upgrade.cpio" | sort >"$tmp/upgrade.list"
		comm -13 "$tmp/plain.list" "$tmp/upgrade.list" >"$tmp/added.list"
		comm -23 "$tmp/plain.list" "$tmp/upgrade.list" >"$tmp/removed.list"
		say "plain initramfs (dracut --force --kver $kver, in the guest): $plain_bytes bytes ($plain_raw uncompressed, $plain_files entries)"
		added=$((upgrade_bytes - plain_bytes)) added_raw=$((upgrade_raw - plain_raw))
		say "added by oslift: $((upgrade_bytes - plain_bytes)) bytes ($((upgrade_raw - plain_raw)) uncompressed); entries only in the upgrade image: $(wc -l <"$tmp/added.list"), only in the plain one: $(wc -l <"$tmp/removed.list")"
	else
		say "plain image: not built ($(cat "$tmp/qemu.plain.err")); last lines:"
		tr -d '\r' <"$tmp/serial.plain" | grep -a 'e2e:' | tail -n 8 | sed 's/^/boot:   /' || true
	fi
fi
# ------------------------------------ the demo's upgrade, with its kernel switch
# The four boots of the e2e upgrade (e2e_upgrade bios, as
# tests/e2e/upgrade.sh and make demo run it): release 7 -> 8 with release
# 8's kernel-core, restore's trial boot of the new kernel on boot 4. Its
# downtime by phase comes from e2e_phases, the parser the e2e tests print
# it with; its checks (TAP) go to a log, counted here.
say "the demo's upgrade with its kernel switch: e2e_upgrade bios, four boots (minutes under TCG)"
# (Its own directory: e2e_upgrade sets variables of its own, up among them.)
demo_dir=$tmp/upgrade
mkdir -p "$demo_dir"
t=$SECONDS
(
	e2e_upgrade bios "$demo_dir" >"$tmp/upgrade.tap" 2>&1 || true
	e2e_phases "$demo_dir/serial.log" "$demo_dir" "${E2E_UP_SITE_S:-}" "${E2E_UP_LAST_BOOT:-boot3}" >"$tmp/phases"
) || true
upgrade_seconds=$((SECONDS - t))
up_pass=$(grep -c '^ok ' "$tmp/upgrade.tap" || true)
up_fail=$(grep -c '^not ok ' "$tmp/upgrade.tap" || true)
say "demo upgrade: $up_pass checks passed, $up_fail failed ($upgrade_seconds s in all)"
grep '^not ok ' "$tmp/upgrade.tap" | sed 's/^/boot:   /' || true
touch "$tmp/phases"
while read -r _ secs label; do
	say "$(printf 'downtime: %-56s %6.1f s' "$label" "$secs")"
done <"$tmp/phases"
load_end=$(loadavg)
say "load average at end: $load_end"

# ----------------------------------------------------------------- summary
python3 - "$tmp" "${out:-}" <<EOF
import json, statistics, sys, glob, os
tmp, out = sys.argv[1], sys.argv[2]
def num(s):
    try:
        return int(s)
    except ValueError:
        try: return float(s)
        except ValueError: return s
runs = []
for p in sorted(glob.glob(os.path.join(tmp, "parsed.*"))):
    d = {}
    for line in open(p):
        k, _, v = line.strip().partition(" ")
        d[k] = num(v) if k != "load" else [float(x) for x in v.split(",")]
    d["ok"] = bool(d.get("ok"))
    if "wall_console" in d and "console_enabled_at" in d:
        k0 = d["wall_console"] - d["console_enabled_at"]
        d["wall_kernel_start"] = round(k0, 3)
        if "wall_grub_entry" in d:
            d["wall_grub_to_kernel"] = round(k0 - d["wall_grub_entry"], 3)
        if "wall_first_package" in d:
            d["wall_kernel_to_first_package"] = round(d["wall_first_package"] - k0, 3)
        if "wall_exit" in d:
            d["wall_kernel_to_exit"] = round(d["wall_exit"] - k0, 3)
    runs.append(d)
runs.sort(key=lambda d: (-d["mem"], d["run"]))
keys = ["qemu_seconds", "wall_exit", "wall_grub_entry", "wall_kernel_start", "wall_grub_to_kernel",
        "wall_kernel_to_first_package", "wall_kernel_to_exit",
        "upgrader_start", "first_package_start", "second_package_start",
        "applied_at", "transaction_seconds", "kernel_restart_at"]
by_mem = {}
for mem in sorted({d["mem"] for d in runs}, reverse=True):
    rs = [d for d in runs if d["mem"] == mem]
    good = [d for d in rs if d["ok"]]
    med = {k: round(statistics.median([d[k] for d in good]), 3) for k in keys if good and all(k in d for d in good)}
    by_mem[str(mem)] = {"runs": len(rs), "upgraded": len(good), "median": med}
    if good:
        m = {k: med.get(k, float("nan")) for k in keys}
        print("boot: %d MiB, median of %d runs:" % (mem, len(good)))
        print("boot:   QEMU start -> QEMU exit at the guest's reboot (host clock): %.1f s" % m["wall_exit"])
        print("boot:   of which before the kernel (SeaBIOS, GRUB; host clock): %.1f s, GRUB's entry -> kernel "
              "start (loading kernel + initramfs) %.1f s" % (m["wall_kernel_start"], m["wall_grub_to_kernel"]))
        print("boot:   kernel start -> first package: %.1f s host clock, %.2f s guest clock "
              "(upgrader started at %.2f s guest clock)" % (m["wall_kernel_to_first_package"],
              m["first_package_start"], m["upgrader_start"]))
        print("boot:   kernel start -> reboot: %.1f s host clock (to QEMU exit), %.2f s guest clock "
              "(kernel's restart); the transaction %.1f s" % (m["wall_kernel_to_exit"], m["kernel_restart_at"],
              m["transaction_seconds"]))
init = {
    "kernel_version": "$kver",
    "kernel_bytes": $kernel_bytes,
    "upgrade_bytes": $upgrade_bytes,
    "upgrade_uncompressed_bytes": $upgrade_raw,
    "upgrade_entries": $upgrade_files,
    "plain_bytes": $plain_bytes,
    "plain_uncompressed_bytes": $plain_raw,
    "plain_entries": $plain_files,
    "added_bytes": $added,
    "added_uncompressed_bytes": $added_raw,
    "kernel_plus_upgrade_bytes": $kernel_bytes + $upgrade_bytes,
    "upgrader_bytes_in_initramfs": $upgrader_in,
    "upgrader_bytes_built": $upgrader_built,
    "leapp_pair_reference_bytes": 66 * 1048576,
    "built_by": "the guest's dracut (Debian 12, 50-e2e.conf, host-only): upgrade image by host-prep stage --reboot, plain by dracut --force --kver",
}
res = {
    "initramfs": init,
    "qemu": {
        "accel": "tcg", "smp": 2, "fillers": $fillers,
        "packages": "e2e demo site (website, base-release, debian-sh) + fillers",
        "memory_mib_upgraded": [int(m) for m in "${ok_mems[*]}".split()],
        "memory_mib_failed": int("$failed_mem") if "$failed_mem" else None,
        "by_memory_mib": by_mem,
        "runs": runs,
        "spans": {
            "qemu_seconds": "host clock, QEMU start to QEMU exit (-no-reboot: the guest's reboot), as qemu.sh reports it",
            "wall_exit": "host clock, qemu.sh started to QEMU exited (what qemu_seconds measures, from boot.sh)",
            "wall_grub_entry": "host clock since qemu.sh started, when GRUB's 'Booting oslift upgrade' appeared (serial log polled every 0.2 s)",
            "wall_kernel_start": "host clock since qemu.sh started at kernel start: when 'printk: console [ttyS0] enabled' appeared minus its printk stamp",
            "wall_grub_to_kernel": "wall_kernel_start - wall_grub_entry: GRUB loading kernel + initramfs by BIOS disk reads",
            "wall_kernel_to_first_package": "host clock, kernel start to the [ 1/N] line appearing",
            "wall_kernel_to_exit": "host clock, kernel start to QEMU exit",
            "upgrader_start": "guest seconds since kernel start at the upgrader's first line",
            "first_package_start": "guest seconds since kernel start at the upgrader's [ 1/N] line (rpm starts the first element)",
            "second_package_start": "same, [ 2/N] line (the first element done)",
            "applied_at": "same, the 'upgrade applied' line",
            "transaction_seconds": "the upgrader's own figure in 'upgrade applied in X s' (from its start of applying)",
            "kernel_restart_at": "kernel printk stamp of 'reboot: Restarting system'",
        },
        "stage_seconds": $stage_seconds,
    },
    "load_average_start": [float(x) for x in "$load_start".split()],
    "load_average_end": [float(x) for x in "$load_end".split()],
    "nproc": os.cpu_count(),
}
phases = []
for line in open(os.path.join(tmp, "phases")):
    k, v, label = line.rstrip("\n").split(" ", 2)
    phases.append({"phase": k, "seconds": float(v), "label": label})
res["upgrade"] = {
    "flow": "e2e_upgrade bios (tests/e2e/upgrade.sh, make demo): release 7 -> 8 with the kernel switch, four boots",
    "checks_passed": $up_pass, "checks_failed": $up_fail, "seconds": $upgrade_seconds,
    "phases": phases,
    "spans": "e2e_phases (tests/e2e/tools/e2e-lib.sh): wall clock of qemu.sh and the console's printk stamps, under TCG",
}
if out:
    json.dump(res, open(out, "w"), indent=2)
EOF
[[ -z $out ]] || say "wrote $out"
