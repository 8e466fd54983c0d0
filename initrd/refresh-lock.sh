#!/bin/bash
# Rewrites the lock files (default: sources.lock and libsolv.lock) to pin
# what Debian's archive serves now: for each package the newest version
# whose files can really be fetched (an index can name a revision the
# archive no longer serves), with their SHA-256 from the archive's signed
# index, checked against the downloaded files. Comments stay; the result
# is a change to review like any other (a new upstream tarball is new
# source code), then commit.
#
#   refresh-lock.sh [--dry-run] [LOCK...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[refresh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'refresh-lock: %s\n' "$*" >&2; exit 1; }
. "$here/sources.sh"

# versions_newest_first PACKAGE: the index's source versions, in dpkg's order.
versions_newest_first() {
	local v sorted=() i j
	while read -r v; do
		sorted+=("$v")
		for ((i = ${#sorted[@]} - 1; i > 0; i--)); do
			j=$((i - 1))
			dpkg --compare-versions "${sorted[i]}" gt "${sorted[j]}" || break
			v=${sorted[i]} sorted[i]=${sorted[j]} sorted[j]=$v
		done
	done < <(apt-cache showsrc --only-source "$1" </dev/null | awk '/^Version: / {print $2}' | sort -u)
	printf '%s\n' "${sorted[@]}"
}

dry=0
[[ ${1:-} == --dry-run ]] && { dry=1; shift; }
locks=("$@")
((${#locks[@]})) || locks=("$here/sources.lock" "$here/libsolv.lock")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for lock in "${locks[@]}"; do
	out=$tmp/$(basename "$lock")
	# The comments first, as they were; then one block per package.
	grep '^[[:space:]]*\(#\|$\)' "$lock" >"$out" || true
	while read -r pkg old; do
		chosen=
		while read -r v; do
			rm -rf "$tmp/dl" && mkdir -p "$tmp/dl"
			if (cd "$tmp/dl" && apt-get source --download-only -qq "$pkg=$v" </dev/null >/dev/null 2>&1); then
				chosen=$v
				break
			fi
			log "$pkg=$v is in the index but cannot be fetched; trying an older one"
		done < <(versions_newest_first "$pkg")
		[[ -n $chosen ]] || die "no version of $pkg can be fetched"
		uris=$(source_uris "$pkg=$chosen") || die "$pkg=$chosen: no files in the index"
		while read -r file sum; do
			[[ $file == *.orig.tar.* || $file == *.debian.tar.* ]] || continue
			echo "$sum  $tmp/dl/$file" | sha256sum --check --quiet --strict ||
				die "$pkg=$chosen: downloaded $file does not match the index"
			printf '%-13s %-22s %-45s %s\n' "$pkg" "$chosen" "$file" "$sum" >>"$out"
		done <<<"$uris"
		[[ $chosen == "$old" ]] && log "$pkg $old: current" || log "$pkg: $old -> $chosen"
	done < <(lock_entries "$lock" | awk '!seen[$1]++ {print $1, $2}')
	if ((dry)); then
		diff -u "$lock" "$out" || true
	else
		cp "$out" "$lock"
	fi
done
