#!/bin/bash
# Builds the test package sets with the build host's rpmbuild:
#   build.sh OUTDIR [--fillers N] [--extra DIR]
# -> OUTDIR/release7/*.rpm and OUTDIR/release8/*.rpm (see README.md).
# --extra DIR adds the specs in DIR (e.g. repo-cases/) to those of specs/.
# Each specs/*.spec names the releases it is built for in its first line
# ("# releases: 7 8") and is built once per release with --define 'rel 7'
# or 'rel 8'; a second line "# targets: x86_64 i686" builds it once per
# release and target (rpmbuild --target), for multilib pairs.
# BUSYBOX=PATH overrides the static busybox (/bin/busybox).
# Up to date output (same specs, busybox, rpmbuild and N) is left alone;
# otherwise both sets are rebuilt and replace the old ones whole.
# Prints one summary line on success; on failure, the failing build's log.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [--fillers N] [--extra DIR]" >&2; exit 2; }
die() { echo "build.sh: $*" >&2; exit 1; }

out='' fillers=0 extra=''
while (($#)); do
	case $1 in
	--fillers) (($# >= 2)) || usage; fillers=$2; shift 2 ;;
	--fillers=*) fillers=${1#*=}; shift ;;
	--extra) (($# >= 2)) || usage; extra=$(cd "$2" && pwd) || usage; shift 2 ;;
	-*) usage ;;
	*) [[ -z $out ]] || usage; out=$1; shift ;;
	esac
done
[[ -n $out ]] || usage
[[ $fillers =~ ^[0-9]+$ ]] && ((10#$fillers <= 999)) || die "--fillers wants 0..999, not '$fillers'"
fillers=$((10#$fillers))

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rpmbuild=$here/../../tools/rpmbuild-isolated
busybox=${BUSYBOX:-/bin/busybox}
command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian package rpm)"
[[ -x $busybox ]] || die "$busybox not found (Debian package busybox-static)"
# Debian's dynamic busybox package also installs /bin/busybox; it would
# not run in a chroot without a libc.
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not statically linked (want busybox-static)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.lock"
flock 9 # concurrent callers of the same OUTDIR wait for one another

stamp=$({
	cat "$here/build.sh" "$rpmbuild" "$here/common.macros" "$here"/specs/*.spec "$busybox"
	[[ -z $extra ]] || cat "$extra"/*.spec
	rpmbuild --version
	echo "fillers $fillers"
} | sha256sum | cut -d' ' -f1)
if [[ -f $out/.stamp && $(<"$out/.stamp") == "$stamp" ]] &&
	compgen -G "$out/release7/*.rpm" >/dev/null && compgen -G "$out/release8/*.rpm" >/dev/null; then
	echo "test packages: up to date in $out"
	exit 0
fi

start=$SECONDS
tmp=$(mktemp -d -t oslift-pkgbuild.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out/release7" "$tmp/out/release8"

build() { # SPEC REL [TARGET]: one rpmbuild, isolated and reproducible (rpmbuild-isolated)
	local spec=$1 rel=$2 target=${3:-} job
	job=$(basename "$spec" .spec)-$rel${target:+-$target}
	"$rpmbuild" "$tmp/work/$job" "$tmp/out/release$rel" --load "$here/common.macros" \
		--define "rel $rel" \
		--define "busybox $busybox" \
		--define "fillers $fillers" \
		${target:+--target "$target"} \
		"$spec" >"$tmp/$job.log" 2>&1 || return
	# --target's own chatter is no warning
	sed -i '/^Building target platforms: /d; /^Building for target /d' "$tmp/$job.log"
}

# fillers (the longest build, only with --fillers) first, so the others
# overlap with it
specs=()
((fillers == 0)) || specs+=("$here/specs/fillers.spec")
for spec in "$here"/specs/*.spec ${extra:+"$extra"/*.spec}; do
	[[ $spec == */fillers.spec ]] || specs+=("$spec")
done
todo=()
for spec in "${specs[@]}"; do
	rels=$(sed -n -E '1s/^# releases:(( [78])+)$/\1/p' "$spec")
	[[ -n $rels ]] || die "$spec: first line must be '# releases: 7 8' (or 7, or 8)"
	targets=$(sed -n -E '2s/^# targets:(( [a-z0-9_]+)+)$/\1/p' "$spec")
	for rel in $rels; do
		if [[ -z $targets ]]; then todo+=("$spec $rel"); continue; fi
		for target in $targets; do todo+=("$spec $rel $target"); done
	done
done

# One background rpmbuild per (spec, release); they are small.
declare -A jobs=()
for t in "${todo[@]}"; do
	read -r spec rel target <<<"$t"
	build "$spec" "$rel" "$target" &
	jobs[$!]=$(basename "$spec" .spec)-$rel${target:+-$target}
done
failed=0
for pid in "${!jobs[@]}"; do
	log=$tmp/${jobs[$pid]}.log
	if ! wait "$pid"; then
		echo "build.sh: rpmbuild failed for ${jobs[$pid]}:" >&2
		sed 's/^/  /' "$log" >&2
		failed=1
	elif [[ -s $log ]]; then # warnings: show, as they may be spec mistakes
		echo "build.sh: rpmbuild said for ${jobs[$pid]}:" >&2
		sed 's/^/  /' "$log" >&2
	fi
done
((failed == 0)) || exit 1

# Replace both sets whole, so no package of an earlier build lingers.
rm -f "$out/.stamp"
for rel in 7 8; do
	rm -rf "$out/release$rel"
	mv "$tmp/out/release$rel" "$out/release$rel"
done
echo "$stamp" >"$out/.stamp"
n7=$(ls "$out/release7" | wc -l) n8=$(ls "$out/release8" | wc -l)
echo "test packages: $n7 in release7, $n8 in release8, built in $((SECONDS - start))s in $out"
