# shellcheck shell=bash
# The Debian source packages a lock file pins (sources.lock, libsolv.lock):
# fetching, verifying and unpacking them, for build-sysroot.sh and
# build-libsolv.sh, and the pin check of fetch-sources.sh. Source it with
# set -euo pipefail, after defining log() and die().
#
# A lock line is "PACKAGE VERSION FILE SHA256", VERSION the full Debian
# version (epoch included: apt cannot find "5.44-3" of a package whose
# version is "1:5.44-3").
#
# The policy when a pin has left the archive. Debian's archive keeps only
# the current revision of each package in a suite, so a pinned +deb12uN
# revision disappears when a point release supersedes it. Then:
#   1. the exact pin is tried first;
#   2. otherwise the archive's newest revision of the same upstream version
#      (same epoch, same upstream part) is fetched, and accepted only when
#      every upstream tarball of it matches the lock's SHA-256. Debian's
#      part (debian.tar: patches) is the newer revision's, as apt verified
#      it against the archive's signed index;
#   3. the substitution is logged, recorded in the tree's VERSIONS file
#      ("substituted PACKAGE PINNED USED") and shown by --version.
# A different upstream tarball is never accepted: that needs a new lock
# (initrd/refresh-lock.sh writes one), reviewed like any other change.

# lock_entries LOCK: the lock's lines without comments and blank lines.
lock_entries() { grep -v '^[[:space:]]*\(#\|$\)' "$1"; }

# The version and Debian tarball actually used, per package, once
# sources_fetch has run: set only where they differ from the lock.
declare -A SRC_USED_VERSION=() SRC_USED_DEBIAN=()

# upstream_of VERSION: "EPOCH:UPSTREAM" without the Debian revision.
upstream_of() {
	local v=$1
	[[ $v == *:* ]] || v="0:$v"
	echo "${v%-*}"
}

# source_uris PACKAGE=VERSION...: "FILE SHA256" lines of those source packages as
# the archive's index lists them, or nothing (status 1) when it has none.
source_uris() {
	local out
	out=$(apt-get source --print-uris -qq "$@" 2>/dev/null </dev/null) || return 1
	awk '{sub(/^SHA256:/, "", $4); print $2, $4}' <<<"$out" | grep -v '\.dsc \|\.asc ' || return 1
}

# newest_revision PACKAGE VERSION: the archive's newest version of PACKAGE
# with VERSION's epoch and upstream part, other than VERSION itself.
newest_revision() {
	local pkg=$1 want best="" v
	want=$(upstream_of "$2")
	while read -r v; do
		[[ $v == "$2" || $(upstream_of "$v") != "$want" ]] && continue
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done < <(apt-cache showsrc --only-source "$pkg" 2>/dev/null </dev/null | awk '/^Version: / {print $2}')
	[[ -n $best ]] && echo "$best"
}

# pin_status PACKAGE VERSION LOCK [URIS]: 0 when the archive serves the pin
# with the lock's digests; else says why on stdout and returns 1. URIS, the
# "FILE SHA256" lines of source_uris, saves asking the archive again.
pin_status() {
	local pkg=$1 ver=$2 lock=$3 uris=${4:-} file sum got
	if [[ -z $uris ]] && ! uris=$(source_uris "$pkg=$ver"); then
		echo "$pkg=$ver is not in the archive's index"
		return 1
	fi
	while read -r _ _ file sum; do
		got=$(awk -v f="$file" '$1 == f {print $2}' <<<"$uris")
		if [[ -z $got ]]; then
			echo "$pkg=$ver has no file $file in the archive"
			return 1
		elif [[ $got != "$sum" ]]; then
			echo "$pkg=$ver: the archive's $file has SHA-256 $got, the lock says $sum"
			return 1
		fi
	done < <(lock_entries "$lock" | awk -v p="$pkg" -v v="$ver" '$1 == p && $2 == v')
	return 0
}

# _download DIR PACKAGE=VERSION: apt-get source --download-only into DIR.
_download() {
	(cd "$1" && apt-get source --download-only -qq "$2" </dev/null >/dev/null 2>"$1/.apt-err") || {
		cat "$1/.apt-err" >&2
		rm -f "$1/.apt-err"
		return 1
	}
	rm -f "$1/.apt-err"
}

# _sha_ok DIR FILE SUM
_sha_ok() { [[ -f $1/$2 ]] && echo "$3  $1/$2" | sha256sum --check --quiet --strict >/dev/null 2>&1; }

# sources_fetch LOCK SRCDIR: every file the lock names, verified, in SRCDIR
# (fetched when missing; under OSLIFT_SOURCES never fetched). Substitutes
# a revision that has left the archive as the policy above says.
sources_fetch() {
	local lock=$1 srcdir=$2 pkg ver file sum all_ok new uris deb
	mkdir -p "$srcdir"
	while read -r pkg ver; do
		all_ok=1
		while read -r _ _ file sum; do
			_sha_ok "$srcdir" "$file" "$sum" || all_ok=0
		done < <(lock_entries "$lock" | awk -v p="$pkg" -v v="$ver" '$1 == p && $2 == v')
		# A substitution made before: its Debian tarball is here already.
		if ((!all_ok)) && [[ -f $srcdir/.substituted-$pkg-$ver ]]; then
			read -r new deb sum <"$srcdir/.substituted-$pkg-$ver"
			if _sha_ok "$srcdir" "$deb" "$sum" && _orig_ok "$lock" "$pkg" "$ver" "$srcdir"; then
				SRC_USED_VERSION[$pkg]=$new SRC_USED_DEBIAN[$pkg]=$deb
				log "$pkg: pinned $ver is not in the archive; using $new (same upstream tarball, fetched before)"
				continue
			fi
		fi
		((all_ok)) && continue
		[[ -n ${OSLIFT_SOURCES:-} ]] && die "OSLIFT_SOURCES=$srcdir lacks or has a different file of $pkg=$ver (see $lock)"
		log "fetching $pkg=$ver"
		if _download "$srcdir" "$pkg=$ver"; then
			while read -r _ _ file sum; do
				_sha_ok "$srcdir" "$file" "$sum" ||
					die "$srcdir/$file does not match its SHA-256 in $lock; refusing to build (delete it to fetch again)"
			done < <(lock_entries "$lock" | awk -v p="$pkg" -v v="$ver" '$1 == p && $2 == v')
			continue
		fi
		# The pin has left the archive: the newest revision of the same
		# upstream version, if its upstream tarball is the one pinned.
		new=$(newest_revision "$pkg" "$ver") ||
			die "$pkg=$ver is no longer in the archive, nor any other revision of $(upstream_of "$ver");" \
				"run initrd/refresh-lock.sh to pin what the archive has, and review the change"
		uris=$(source_uris "$pkg=$new") || die "$pkg=$new: the archive's index lists no files"
		log "$pkg: pinned $ver is no longer in the archive; trying $new (same upstream version)"
		_download "$srcdir" "$pkg=$new" || die "$pkg=$new could not be fetched either"
		_orig_ok "$lock" "$pkg" "$ver" "$srcdir" ||
			die "$pkg=$new: its upstream tarball differs from the one $lock pins; refusing to build." \
				"Run initrd/refresh-lock.sh and review the new upstream source"
		deb=$(awk '$1 ~ /\.debian\.tar\./ {print $1}' <<<"$uris")
		sum=$(awk '$1 ~ /\.debian\.tar\./ {print $2}' <<<"$uris")
		[[ -n $deb ]] && _sha_ok "$srcdir" "$deb" "$sum" || die "$pkg=$new: its Debian tarball is missing or damaged"
		echo "$new $deb $sum" >"$srcdir/.substituted-$pkg-$ver"
		SRC_USED_VERSION[$pkg]=$new SRC_USED_DEBIAN[$pkg]=$deb
		log "$pkg: substituted $new for the pinned $ver (upstream tarball matches the lock)"
	done < <(lock_entries "$lock" | awk '!seen[$1 " " $2]++ {print $1, $2}')
	log "all source files of $(basename "$lock") verified"
}

# _orig_ok LOCK PACKAGE VERSION SRCDIR: the pin's upstream tarballs (every
# file but the debian.tar) are in SRCDIR with the lock's digests.
_orig_ok() {
	local file sum n=0
	while read -r _ _ file sum; do
		[[ $file == *.debian.tar.* ]] && continue
		_sha_ok "$4" "$file" "$sum" || return 1
		n=$((n + 1))
	done < <(lock_entries "$1" | awk -v p="$2" -v v="$3" '$1 == p && $2 == v')
	((n > 0))
}

# sources_versions LOCK: "PACKAGE VERSION" as built, then a
# "substituted PACKAGE PINNED USED" line for each substitution.
sources_versions() {
	local pkg ver
	while read -r pkg ver; do
		echo "$pkg ${SRC_USED_VERSION[$pkg]:-$ver}"
	done < <(lock_entries "$1" | awk '!seen[$1]++ {print $1, $2}')
	while read -r pkg ver; do
		[[ -n ${SRC_USED_VERSION[$pkg]:-} ]] && echo "substituted $pkg $ver ${SRC_USED_VERSION[$pkg]}"
	done < <(lock_entries "$1" | awk '!seen[$1]++ {print $1, $2}')
	return 0
}

# sources_unpack LOCK SRCDIR PACKAGE DIR [PATCH-TO-SKIP...]: the upstream
# tarball, then Debian's patch series except the named patches, in DIR.
sources_unpack() {
	local lock=$1 srcdir=$2 pkg=$3 dir=$4
	shift 4
	local orig debian patch skip s applied=0
	orig=$(lock_entries "$lock" | awk -v p="$pkg" '$1 == p && $3 ~ /\.orig\.tar\./ {print $3}')
	debian=${SRC_USED_DEBIAN[$pkg]:-$(lock_entries "$lock" | awk -v p="$pkg" '$1 == p && $3 ~ /\.debian\.tar\./ {print $3}')}
	mkdir -p "$dir"
	tar -xf "$srcdir/$orig" -C "$dir" --strip-components=1
	tar -xf "$srcdir/$debian" -C "$dir"
	while read -r patch _; do
		[[ -z $patch || $patch == \#* ]] && continue
		skip=0
		for s in "$@"; do [[ $patch == "$s" ]] && skip=1; done
		if ((skip)); then continue; fi
		patch -d "$dir" -p1 -s -f --no-backup-if-mismatch <"$dir/debian/patches/$patch" ||
			die "$pkg: Debian patch $patch does not apply"
		applied=$((applied + 1))
	done < <(cat "$dir/debian/patches/series" 2>/dev/null || true)
	# Patches may touch configure.ac or Makefile.am; the shipped generated
	# files are what we build with, so keep make from rerunning autotools.
	find "$dir" \( -name configure -o -name 'Makefile.in' -o -name aclocal.m4 \
		-o -name 'config.h.in' \) -exec touch {} +
	log "$pkg: unpacked, $applied Debian patches applied${*:+, skipped: $*}"
}
