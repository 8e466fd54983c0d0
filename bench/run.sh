#!/bin/bash
# The oslift benchmark (see bench/README.md):
#   run.sh [--size small|default] [--runs K] [--no-boot]
# Needs OSLIFT_BUILD (the built upgrader, host-prep, rpm/), as 'make bench'
# sets it.  Builds (or reuses, from /var/cache/oslift) the package set,
# installs the old release into a root with Debian's rpm, then K times, in
# an order that rotates from run to run, each on a fresh copy (cp -a) of
# that root:
#   (a) upgrader --root R          after host-prep stage (not timed in (a)),
#       which keeps an undo set (stage's default --rollback=links)
#   (b) rpm -Uvh --root R --dbpath /var/lib/rpm NEW/*.rpm  (Debian's rpm)
#   (c) extraction bound: rpm2cpio P | cpio -idm for every new package
#   (d) host-prep --root R stage --packages NEW
#   (e) dnf --installroot R distro-sync, cache-only, after dnf makecache
#   (f) zypper --root R dup, after zypper refresh
#   (g) upgrader --root R after stage --rollback=none: no undo set
# from a createrepo_c repository of NEW.  Prints medians and ratios; writes
# bench/results/latest.json.  Then, when bench/boot.sh exists (and no
# --no-boot), runs it and adds its JSON under "boot"; the downtime by phase
# of its demo upgrade (boot.upgrade) is printed after the transaction rows.
set -euo pipefail

usage() { echo "usage: $0 [--size small|default] [--runs K] [--fs loop|host] [--cold] [--no-boot]" >&2; exit 2; }
die() { echo "run.sh: $*" >&2; exit 1; }

size=small runs=3 boot=1 fs=loop cold=0
while (($#)); do
	case $1 in
	--size) (($# >= 2)) || usage; size=$2; shift 2 ;;
	--size=*) size=${1#*=}; shift ;;
	--runs) (($# >= 2)) || usage; runs=$2; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--fs) (($# >= 2)) || usage; fs=$2; shift 2 ;;
	--fs=*) fs=${1#*=}; shift ;;
	--cold) cold=1; shift ;;
	--no-boot) boot=0; shift ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
[[ $fs == loop || $fs == host ]] || die "--fs wants loop or host"
: "${OSLIFT_BUILD:?run through make bench (OSLIFT_BUILD is not set)}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UPGRADER=$OSLIFT_BUILD/upgrader
HOST_PREP=$OSLIFT_BUILD/host-prep
[[ -x $UPGRADER && -x $HOST_PREP ]] || die "no upgrader/host-prep in $OSLIFT_BUILD"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian package time)"

pkgs=$("$here/generate.sh" --size "$size" | tail -n 1)
[[ -d $pkgs/new ]] || die "generate.sh gave no package set"
# Scratch on the build directory's filesystem: logs, samples, the repository.
work=$(mktemp -d "$OSLIFT_BUILD/bench-work.XXXXXX")
# The roots (and the extraction target) live on a file system of their own
# (--fs loop, the default): a journaled ext4 in a sparse image, as a
# server's root file system would be. The build machine's own file system
# may be anything: on a VM whose ext4 has no journal, every file creation
# scans the recently deleted inodes, which doubled rpm's create-and-rename
# of each file and varied from run to run. And the upgrader's syncfs() at
# its checkpoints then flushes the benchmark's data, not other work's.
# --fs host keeps the roots beside the logs.
roots=$work
cleanup() {
	if [[ $roots != "$work" ]] && mountpoint -q "$roots"; then umount "$roots" || umount -l "$roots"; fi
	rm -rf "$work"
}
trap cleanup EXIT
if [[ $fs == loop ]]; then
	command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found (Debian package e2fsprogs); or use --fs host"
	roots=$work/fs
	mkdir "$roots"
	# Sparse, and mounted with discard so that what a run deletes goes back
	# to the host file system: the image holds about two roots at a time.
	truncate -s "$([[ $size == default ]] && echo 16G || echo 4G)" "$work/fs.img"
	mkfs.ext4 -q -F -L oslift-bench "$work/fs.img"
	mount -o loop,discard "$work/fs.img" "$roots" || die "cannot mount a loop file system (run as root, or use --fs host)"
	echo "bench: roots on a journaled ext4 of their own ($work/fs.img, loop)"
fi
# rpm runs scriptlets chrooted into the root; with no /proc there it closes
# every descriptor number up to the hard limit before exec (20,000 fcntl
# calls a scriptlet with this machine's default, a million on others). At
# boot the upgrader binds /proc into the root, so rpm closes only the open
# ones. The usual 1024, for every tool alike, keeps that artifact small.
ulimit -n 1024

rpm_root() { # ROOT ARGS...: Debian's rpm on a root, without its Alien nag
	local root=$1; shift
	rpm --root "$root" --dbpath /var/lib/rpm "$@" 2> >(grep -v 'Alien\|assuming you know' >&2)
}
now() { date +%s.%N; }
# timed NAME LOG CMD...: runs CMD (output to LOG), records wall seconds,
# peak RSS (KiB, /usr/bin/time %M), then the time of a syncfs after it.
# It first writes back all dirty data (sync), untimed: cp -a of the root,
# rm -rf of the previous one and other setup leave hundreds of MB dirty,
# and whichever command happens to sync first (the upgrader does, rpm,
# dnf and zypper do not) would otherwise pay for writing back someone
# else's data.
timed() {
	local name=$1 log=$2 t0 t1 t2 rss; shift 2
	sync
	# --cold: as at boot, nothing of the packages or the root is cached.
	if ((cold)); then echo 3 >/proc/sys/vm/drop_caches || die "--cold: cannot drop the page cache (run as root)"; fi
	t0=$(now)
	/usr/bin/time -f %M -o "$work/rss" "$@" >"$log" 2>&1 || { echo "run.sh: $name failed:" >&2; tail -20 "$log" >&2; exit 1; }
	t1=$(now)
	sync -f "$roots"
	t2=$(now)
	rss=$(tail -1 "$work/rss")
	printf '%s %s %s %s %s\n' "$run" "$name" "$(awk "BEGIN {print $t1 - $t0}")" "$(awk "BEGIN {print $t2 - $t1}")" "$rss" >>"$work/samples"
	# As it goes: a long run (--size default) that gets stopped still says
	# what it measured.
	awk -v n="$name" -v a="$t0" -v b="$t1" -v c="$t2" -v r="$rss" \
		'BEGIN {printf "bench:   %-15s %8.2f s, +%.2f s sync, %.1f MiB\n", n, b - a, c - b, r / 1024}'
}

echo "bench: installing the old release with Debian's rpm"
old=$roots/old-root
mkdir -p "$old"
rpm_root "$old" -i --quiet "$pkgs"/old/*.rpm
conf=$(cd "$old" && ls etc/bench/*.conf | head -1)
echo "# edited by the admin" >>"$old/$conf" # one %config(noreplace) to keep
nold=$(rpm_root "$old" -qa | wc -l)
files_new=$(rpm --dbpath "$work/empty-rpmdb" -qpl "$pkgs"/new/*.rpm 2>/dev/null | wc -l)
bytes_new=$(rpm --dbpath "$work/empty-rpmdb" -qp --qf '%{SIZE}\n' "$pkgs"/new/*.rpm 2>/dev/null | awk '{s += $1} END {print s}')
rpms_bytes=$(du -sb "$pkgs/new" | cut -f1)
bytes_old=$(rpm_root "$old" -qa --qf '%{SIZE}\n' | awk '{s += $1} END {print s}')
nnew=$(ls "$pkgs"/new/*.rpm | wc -l)
echo "bench: $nold packages installed; upgrading to $nnew packages, $files_new files, $((bytes_new >> 20)) MiB installed, $((rpms_bytes >> 20)) MiB of rpms"

check_root() { # ROOT WHAT: the upgrade really happened
	local v
	v=$(rpm_root "$1" -qa 'bench-*' --qf '%{VERSION}\n' | sort -u)
	[[ $v == 2.0 ]] || die "$2: bench-* versions after upgrade: $v"
	[[ $(rpm_root "$1" -qa | wc -l) == "$nnew" ]] || die "$2: not $nnew packages after upgrade"
}

run_a() {
	cp -a "$old" "$roots/a"
	timed stage "$work/stage.log" "$HOST_PREP" --root "$roots/a" stage --packages "$pkgs/new"
	timed upgrader "$work/upgrader.log" "$UPGRADER" --root "$roots/a"
	check_root "$roots/a" upgrader
	# The undo set (stage's default, --rollback=links): the disk space it
	# holds (du counts each inode once: the hard links keep the old files'
	# blocks, which nothing else references after the upgrade) and its
	# file count, for the "undo" row.
	[[ -d $roots/a/var/lib/oslift/undo ]] || die "upgrader: no undo set in the root (stage's default is --rollback=links)"
	# The upgrader's own figure for taking it: "undo set taken in S s".
	local took
	took=$(sed -nE 's/.*undo set taken in ([0-9.]+) s.*/\1/p' "$work/upgrader.log" | head -n 1)
	[[ -n $took ]] || die "upgrader: its log has no 'undo set taken in' line"
	printf '%s %s %s %s\n' "$run" "$(du -sk "$roots/a/var/lib/oslift/undo" | cut -f1)" \
		"$(find "$roots/a/var/lib/oslift/undo" -type f | wc -l)" "$took" >>"$work/undo"
	rm -rf "$roots/a"
}
# (g) the same upgrade without an undo set: what taking it costs.
run_g() {
	cp -a "$old" "$roots/g"
	"$HOST_PREP" --root "$roots/g" stage --rollback=none --packages "$pkgs/new" >"$work/stage-g.log" 2>&1 ||
		{ cat "$work/stage-g.log" >&2; die "stage --rollback=none failed"; }
	timed upgrader-no-undo "$work/upgrader-g.log" "$UPGRADER" --root "$roots/g"
	check_root "$roots/g" upgrader-no-undo
	[[ ! -e $roots/g/var/lib/oslift/undo ]] || die "upgrader-no-undo: an undo set was taken with --rollback=none"
	rm -rf "$roots/g"
}
run_b() {
	cp -a "$old" "$roots/b"
	timed rpm "$work/rpm.log" rpm --root "$roots/b" --dbpath /var/lib/rpm -Uvh "$pkgs"/new/*.rpm
	check_root "$roots/b" rpm
	rm -rf "$roots/b"
}
# dnf and zypper read a createrepo_c repository of the new set (symlinks
# to the cached rpms: both use local packages in place, nothing is
# downloaded).  Debian's rpm macros put the rpmdb in ~/.rpmdb, and librpm
# takes its macros from the host, not from the root, even under
# --installroot; this HOME's ~/.rpmmacros points dnf's librpm at the
# root's /var/lib/rpm, like the --dbpath given to rpm in (b).  (Debian's
# libzypp finds /var/lib/rpm in the root without it, and passes --dbpath
# to the rpm it runs; it gets the same HOME anyway.)  That both really saw
# the old packages is checked after each run: all of them upgraded, in the
# root's /var/lib/rpm.
declare -A skip=() # NAME -> why the row is not measured
if ! command -v createrepo_c >/dev/null; then
	skip[dnf]="createrepo_c not installed (Debian package createrepo-c)"
	skip[zypper]=${skip[dnf]}
else
	mkdir -p "$work/repo" "$work/home"
	ln -s "$pkgs"/new/*.rpm "$work/repo/"
	createrepo_c -q "$work/repo"
	printf '%%_dbpath /var/lib/rpm\n' >"$work/home/.rpmmacros"
fi
command -v dnf >/dev/null || skip[dnf]="dnf not installed (Debian package dnf)"
command -v zypper >/dev/null || skip[zypper]="zypper not installed (Debian package zypper)"

# A configuration of its own, so nothing of the host's (or the root's)
# /etc/dnf or /etc/yum.repos.d gets in; the bench packages are unsigned.
# With --installroot, dnf keeps its cache (and logs, history) in the root.
cat >"$work/dnf.conf" <<EOF
[main]
gpgcheck=0
[bench]
name=bench
baseurl=file://$work/repo
gpgcheck=0
EOF
run_dnf() {
	[[ -z ${skip[dnf]:-} ]] || return 0
	local dnf=(env HOME="$work/home" dnf -y --config "$work/dnf.conf" --setopt=reposdir="$work/no-repos.d"
		--disablerepo='*' --enablerepo=bench --nogpgcheck --releasever 2 --installroot "$roots/e")
	cp -a "$old" "$roots/e"
	# Metadata: read repomd/primary/filelists and write dnf's solv cache,
	# timed on its own; distro-sync then runs cache-only (-C).
	timed dnf-makecache "$work/dnf-makecache.log" "${dnf[@]}" makecache
	timed dnf "$work/dnf.log" "${dnf[@]}" -C distro-sync
	grep -Eq "^Upgrade +$nold Packages" "$work/dnf.log" ||
		die "dnf did not upgrade the $nold installed packages: $(grep -A4 '^Transaction Summary' "$work/dnf.log")"
	check_root "$roots/e" dnf
	rm -rf "$roots/e"
}
run_zypper() {
	[[ -z ${skip[zypper]:-} ]] || return 0
	local zyp=(env HOME="$work/home" zypper --root "$roots/f" --non-interactive --no-gpg-checks)
	cp -a "$old" "$roots/f"
	# The repository goes into the root's /etc/zypp/repos.d; refreshing
	# (metadata into the root's /var/cache/zypp) is timed on its own.
	"${zyp[@]}" addrepo --no-gpgcheck --type rpm-md "dir://$work/repo" bench >"$work/zypper-ar.log" 2>&1 ||
		{ cat "$work/zypper-ar.log" >&2; die "zypper addrepo failed"; }
	timed zypper-refresh "$work/zypper-refresh.log" "${zyp[@]}" refresh
	timed zypper "$work/zypper.log" "${zyp[@]}" dup
	grep -q "^$nold packages to upgrade" "$work/zypper.log" ||
		die "zypper did not upgrade the $nold installed packages: $(grep 'packages to' "$work/zypper.log")"
	check_root "$roots/f" zypper
	rm -rf "$roots/f"
}
run_c() {
	mkdir "$roots/c"
	timed extract "$work/extract.log" sh -c 'cd "$1" && shift && for p; do rpm2cpio "$p" | cpio -idm --quiet || exit 1; done' \
		sh "$roots/c" "$pkgs"/new/*.rpm
	rm -rf "$roots/c"
}

: >"$work/samples"
: >"$work/undo"
for ((run = 1; run <= runs; run++)); do
	echo "bench: run $run/$runs"
	# Rotate the order, so that no method always goes first, or always
	# right after the same other one.
	order=(run_a run_b run_c run_dnf run_zypper run_g)
	for ((i = 0; i < ${#order[@]}; i++)); do
		"${order[(i + run - 1) % ${#order[@]}]}"
	done
done

for name in "${!skip[@]}"; do
	echo "bench: $name: not measured: ${skip[$name]}" >&2
	printf '%s\t%s\n' "$name" "${skip[$name]}" >>"$work/skipped"
done
touch "$work/skipped"

# bench/boot.sh (initramfs size, the upgrade inside QEMU) is optional and
# separate; whatever JSON object it writes goes into latest.json as "boot".
if ((boot)) && [[ -f $here/boot.sh ]]; then
	echo "bench: running $here/boot.sh"
	"$here/boot.sh" --out "$work/boot.json" || echo "bench: boot.sh failed (exit $?)" >"$work/boot.failed"
fi

mkdir -p "$here/results"
python3 - "$work" "$here/results/latest.json" "$size" "$runs" "$nnew" "$files_new" "$bytes_new" "$rpms_bytes" \
	"$("$UPGRADER" --version 2>&1)" "$(rpm --version)" \
	"$(dnf --version 2>/dev/null | head -n 1 || true)" "$(zypper --version 2>/dev/null || true)" \
	"$([[ $fs == loop ]] && echo "ext4 with a journal, loop image of its own" || findmnt -n -o FSTYPE,OPTIONS -T "$work")" \
	"$cold" "$bytes_old" <<'PY'
import json, os, platform, statistics, sys, datetime
work, out, size, runs, nnew, files, bytes_, rpms, upver, rpmver, dnfver, zypperver, rootsfs, cold, oldbytes = sys.argv[1:]
rows = [l.split() for l in open(os.path.join(work, "samples"))]
skipped = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(work, "skipped")))
names = ["upgrader", "upgrader-no-undo", "rpm", "extract", "stage", "dnf", "dnf-makecache", "zypper", "zypper-refresh"]
m = {}
for name in names:
    s = [r for r in rows if r[1] == name]
    if not s:
        m[name] = dict(not_measured=skipped.get(name.split("-")[0], "no samples"))
        continue
    m[name] = dict(
        runs=[dict(run=int(r[0]), seconds=float(r[2]), sync_seconds=float(r[3]), peak_rss_kib=int(r[4])) for r in s],
        median_seconds=statistics.median(float(r[2]) for r in s),
        median_seconds_with_sync=statistics.median(float(r[2]) + float(r[3]) for r in s),
        median_peak_rss_kib=statistics.median(int(r[4]) for r in s))
ok = lambda n: "median_seconds" in m[n]
undo_rows = [l.split() for l in open(os.path.join(work, "undo"))]
undo = dict(runs=[dict(run=int(r[0]), kib=int(r[1]), files=int(r[2]), seconds=float(r[3])) for r in undo_rows],
            median_kib=statistics.median(int(r[1]) for r in undo_rows),
            median_files=statistics.median(int(r[2]) for r in undo_rows),
            median_seconds=statistics.median(float(r[3]) for r in undo_rows),
            old_installed_bytes=int(oldbytes)) if undo_rows else None
def ratio(a, b, k="median_seconds"):
    a, b = ([a] if isinstance(a, str) else a), ([b] if isinstance(b, str) else b)
    if not all(ok(n) for n in a + b):
        return None
    return sum(m[n][k] for n in a) / sum(m[n][k] for n in b)
ratios = {
    "upgrader/rpm": ratio("upgrader", "rpm"),
    # what taking the undo set (--rollback=links, the default) costs
    "upgrader/upgrader-no-undo": ratio("upgrader", "upgrader-no-undo"),
    "upgrader/extract": ratio("upgrader", "extract"),
    "rpm/extract": ratio("rpm", "extract"),
    "upgrader/dnf": ratio("upgrader", "dnf"),
    "upgrader/zypper": ratio("upgrader", "zypper"),
    # the whole job of each tool: choosing and checking the packages too
    "stage+upgrader/dnf-makecache+dnf": ratio(["stage", "upgrader"], ["dnf-makecache", "dnf"]),
    "stage+upgrader/zypper-refresh+zypper": ratio(["stage", "upgrader"], ["zypper-refresh", "zypper"]),
    "upgrader/rpm_with_sync": ratio("upgrader", "rpm", "median_seconds_with_sync"),
    "upgrader/extract_with_sync": ratio("upgrader", "extract", "median_seconds_with_sync"),
    "upgrader/dnf_with_sync": ratio("upgrader", "dnf", "median_seconds_with_sync"),
    "upgrader/zypper_with_sync": ratio("upgrader", "zypper", "median_seconds_with_sync"),
}
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
up = dict(l.split(" ", 1) for l in upver.splitlines() if " " in l)
not_done = ([] if cold == "1" else ["cold page cache (run with --cold)"]) + [
            "dnf and zypper from a remote repository (both read a local one; nothing is downloaded)"]
not_done += ["%s: %s" % (n, m[n]["not_measured"]) for n in names if not ok(n)]
res = dict(
    date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    machine=dict(nproc=os.cpu_count(), memory_kib=mem, kernel=platform.release(), cpu=cpu),
    versions=dict(oslift=up.get("upgrader", upver.splitlines()[0]), librpm=up.get("librpm"),
                  upgrader_version_output=upver, debian_rpm=rpmver, dnf=dnfver or None, zypper=zypperver or None),
    set=dict(size=size, packages=int(nnew), files=int(files), installed_bytes=int(bytes_), rpm_bytes=int(rpms)),
    runs=int(runs),
    measurements=m, ratios=ratios, undo_set=undo)
boot_json, boot_failed = os.path.join(work, "boot.json"), os.path.join(work, "boot.failed")
if os.path.exists(boot_failed):
    res["boot"] = dict(error=open(boot_failed).read().strip())
elif os.path.exists(boot_json):
    res["boot"] = json.load(open(boot_json))
else:
    not_done.append("QEMU/initramfs boot (bench/boot.sh not run)")
res["not_done"] = not_done
res["roots_filesystem"] = rootsfs
res["page_cache"] = "dropped before each timed command" if cold == "1" else "warm"
json.dump(res, open(out, "w"), indent=2)
print()
print("%-30s %10s %12s %12s" % ("", "median s", "s incl sync", "peak RSS MiB"))
label = {"upgrader": "(a) upgrader --root", "upgrader-no-undo": "(g) upgrader, no undo set", "rpm": "(b) rpm -Uvh (Debian)",
         "extract": "(c) extraction bound", "stage": "(d) host-prep stage",
         "dnf": "(e) dnf distro-sync -C", "dnf-makecache": "    dnf makecache (before e)",
         "zypper": "(f) zypper dup", "zypper-refresh": "    zypper refresh (before f)"}
for n in names:
    if ok(n):
        print("%-30s %10.2f %12.2f %12.1f" % (label[n], m[n]["median_seconds"], m[n]["median_seconds_with_sync"],
                                              m[n]["median_peak_rss_kib"] / 1024))
    else:
        print("%-30s not measured: %s" % (label[n], m[n]["not_measured"]))
if undo:
    print("%-30s %10.2f s (the upgrader's own figure); %.1f MiB on disk, %d files; the old packages' "
          "installed size: %.1f MiB" % ("    undo set of (a)", undo["median_seconds"], undo["median_kib"] / 1024,
                                        undo["median_files"], int(oldbytes) / 2**20))
up = (res.get("boot") or {}).get("upgrade")
if up:
    print()
    print("downtime by phase: the demo's upgrade with its kernel switch (bench/boot.sh; QEMU, TCG, one run, "
          "%d checks passed, %d failed)" % (up["checks_passed"], up["checks_failed"]))
    for ph in up["phases"]:
        print("%-56s %8.1f s" % ("    " + ph["label"], ph["seconds"]))
print()
for k, v in ratios.items():
    print("%-38s %s" % (k, "%.2f" % v if v is not None else "-"))
print("\nwritten: %s" % out)
PY
