#!/bin/bash
# The oslift benchmark (see bench/README.md):
#   run.sh [--size small|default] [--runs K]
# Needs OSLIFT_BUILD (the built upgrader, host-prep, rpm/), as 'make bench'
# sets it.  Builds (or reuses, from /var/cache/oslift) the package set,
# installs the old release into a root with Debian's rpm, then K times,
# alternating which goes first, on fresh copies (cp -a) of that root:
#   (a) upgrader --root R          after host-prep stage (not timed in (a))
#   (b) rpm -Uvh --root R --dbpath /var/lib/rpm NEW/*.rpm  (Debian's rpm)
#   (c) extraction bound: rpm2cpio P | cpio -idm for every new package
#   (d) host-prep --root R stage --packages NEW
# Prints medians and ratios; writes bench/results/latest.json.
set -euo pipefail

usage() { echo "usage: $0 [--size small|default] [--runs K]" >&2; exit 2; }
die() { echo "run.sh: $*" >&2; exit 1; }

size=small runs=3
while (($#)); do
	case $1 in
	--size) (($# >= 2)) || usage; size=$2; shift 2 ;;
	--size=*) size=${1#*=}; shift ;;
	--runs) (($# >= 2)) || usage; runs=$2; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
: "${OSLIFT_BUILD:?run through make bench (OSLIFT_BUILD is not set)}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UPGRADER=$OSLIFT_BUILD/upgrader
HOST_PREP=$OSLIFT_BUILD/host-prep
[[ -x $UPGRADER && -x $HOST_PREP ]] || die "no upgrader/host-prep in $OSLIFT_BUILD"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian package time)"

pkgs=$("$here/generate.sh" --size "$size" | tail -n 1)
[[ -d $pkgs/new ]] || die "generate.sh gave no package set"
# Scratch on the build directory's filesystem (roots, extraction target).
work=$(mktemp -d "$OSLIFT_BUILD/bench-work.XXXXXX")
trap 'rm -rf "$work"' EXIT

rpm_root() { # ROOT ARGS...: Debian's rpm on a root, without its Alien nag
	local root=$1; shift
	rpm --root "$root" --dbpath /var/lib/rpm "$@" 2> >(grep -v 'Alien\|assuming you know' >&2)
}
now() { date +%s.%N; }
# timed NAME LOG CMD...: runs CMD (output to LOG), records wall seconds,
# peak RSS (KiB, /usr/bin/time %M), then the time of a syncfs after it.
# It first writes back all dirty data (sync), untimed: cp -a of the root,
# rm -rf of the previous one and other setup leave hundreds of MB dirty,
# and whichever command happens to sync first (the upgrader does, rpm
# does not) would otherwise pay for writing back someone else's data.
timed() {
	local name=$1 log=$2 t0 t1 t2 rss; shift 2
	sync
	t0=$(now)
	/usr/bin/time -f %M -o "$work/rss" "$@" >"$log" 2>&1 || { echo "run.sh: $name failed:" >&2; tail -20 "$log" >&2; exit 1; }
	t1=$(now)
	sync -f "$work"
	t2=$(now)
	rss=$(tail -1 "$work/rss")
	printf '%s %s %s %s %s\n' "$run" "$name" "$(awk "BEGIN {print $t1 - $t0}")" "$(awk "BEGIN {print $t2 - $t1}")" "$rss" >>"$work/samples"
}

echo "bench: installing the old release with Debian's rpm"
old=$work/old-root
mkdir -p "$old"
rpm_root "$old" -i --quiet "$pkgs"/old/*.rpm
conf=$(cd "$old" && ls etc/bench/*.conf | head -1)
echo "# edited by the admin" >>"$old/$conf" # one %config(noreplace) to keep
nold=$(rpm_root "$old" -qa | wc -l)
files_new=$(rpm -qpl "$pkgs"/new/*.rpm 2>/dev/null | wc -l)
bytes_new=$(rpm -qp --qf '%{SIZE}\n' "$pkgs"/new/*.rpm 2>/dev/null | awk '{s += $1} END {print s}')
rpms_bytes=$(du -sb "$pkgs/new" | cut -f1)
nnew=$(ls "$pkgs"/new/*.rpm | wc -l)
echo "bench: $nold packages installed; upgrading to $nnew packages, $files_new files, $((bytes_new >> 20)) MiB installed, $((rpms_bytes >> 20)) MiB of rpms"

check_root() { # ROOT WHAT: the upgrade really happened
	local v
	v=$(rpm_root "$1" -qa 'bench-*' --qf '%{VERSION}\n' | sort -u)
	[[ $v == 2.0 ]] || die "$2: bench-* versions after upgrade: $v"
	[[ $(rpm_root "$1" -qa | wc -l) == "$nnew" ]] || die "$2: not $nnew packages after upgrade"
}

run_a() {
	cp -a "$old" "$work/a"
	timed stage "$work/stage.log" "$HOST_PREP" --root "$work/a" stage --packages "$pkgs/new"
	timed upgrader "$work/upgrader.log" "$UPGRADER" --root "$work/a"
	check_root "$work/a" upgrader
	rm -rf "$work/a"
}
run_b() {
	cp -a "$old" "$work/b"
	timed rpm "$work/rpm.log" rpm --root "$work/b" --dbpath /var/lib/rpm -Uvh "$pkgs"/new/*.rpm
	check_root "$work/b" rpm
	rm -rf "$work/b"
}
run_c() {
	mkdir "$work/c"
	timed extract "$work/extract.log" sh -c 'cd "$1" && shift && for p; do rpm2cpio "$p" | cpio -idm --quiet || exit 1; done' \
		sh "$work/c" "$pkgs"/new/*.rpm
	rm -rf "$work/c"
}

: >"$work/samples"
for ((run = 1; run <= runs; run++)); do
	echo "bench: run $run/$runs"
	if ((run % 2)); then run_a; run_b; else run_b; run_a; fi
	run_c
done

mkdir -p "$here/results"
python3 - "$work/samples" "$here/results/latest.json" "$size" "$runs" "$nnew" "$files_new" "$bytes_new" "$rpms_bytes" \
	"$("$UPGRADER" --version 2>&1)" "$(rpm --version)" <<'PY'
import json, os, platform, statistics, sys, datetime
samples, out, size, runs, nnew, files, bytes_, rpms, upver, rpmver = sys.argv[1:]
rows = [l.split() for l in open(samples)]
names = ["upgrader", "rpm", "extract", "stage"]
m = {}
for name in names:
    s = [r for r in rows if r[1] == name]
    m[name] = dict(
        runs=[dict(run=int(r[0]), seconds=float(r[2]), sync_seconds=float(r[3]), peak_rss_kib=int(r[4])) for r in s],
        median_seconds=statistics.median(float(r[2]) for r in s),
        median_seconds_with_sync=statistics.median(float(r[2]) + float(r[3]) for r in s),
        median_peak_rss_kib=statistics.median(int(r[4]) for r in s))
ratio = lambda a, b, k="median_seconds": m[a][k] / m[b][k]
ratios = {
    "upgrader/rpm": ratio("upgrader", "rpm"),
    "upgrader/extract": ratio("upgrader", "extract"),
    "rpm/extract": ratio("rpm", "extract"),
    "upgrader/rpm_with_sync": ratio("upgrader", "rpm", "median_seconds_with_sync"),
    "upgrader/extract_with_sync": ratio("upgrader", "extract", "median_seconds_with_sync"),
}
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
up = dict(l.split(" ", 1) for l in upver.splitlines() if " " in l)
res = dict(
    date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    machine=dict(nproc=os.cpu_count(), memory_kib=mem, kernel=platform.release(), cpu=cpu),
    versions=dict(oslift=up.get("upgrader", upver.splitlines()[0]), librpm=up.get("librpm"),
                  upgrader_version_output=upver, debian_rpm=rpmver),
    set=dict(size=size, packages=int(nnew), files=int(files), installed_bytes=int(bytes_), rpm_bytes=int(rpms)),
    runs=int(runs),
    measurements=m, ratios=ratios,
    not_done=["dnf", "zypper", "QEMU/initramfs"])
json.dump(res, open(out, "w"), indent=2)
print()
print("%-28s %10s %12s %12s" % ("", "median s", "s incl sync", "peak RSS MiB"))
label = {"upgrader": "(a) upgrader --root", "rpm": "(b) rpm -Uvh (Debian)",
         "extract": "(c) extraction bound", "stage": "(d) host-prep stage"}
for n in names:
    print("%-28s %10.2f %12.2f %12.1f" % (label[n], m[n]["median_seconds"], m[n]["median_seconds_with_sync"],
                                          m[n]["median_peak_rss_kib"] / 1024))
print()
for k, v in ratios.items():
    print("%-28s %10.2f" % (k, v))
print("\nwritten: %s" % out)
PY
