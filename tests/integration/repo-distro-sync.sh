#!/bin/bash
# host-prep --repo chooses the target set with libsolv; the reference is
# what operators trust: dnf distro-sync (Debian's dnf 4.14) run for real on
# an identical copy of the root against the same repository. Both must
# install, upgrade and erase the same packages. The cases (tests/packages
# and repo-cases/): a rename through Obsoletes (oldtool -> newtool), a
# split in two (suite -> suite-core + suite-tools), a dropped package
# (dropped: kept), one only the package map replaces (oldname ->
# freshname), a dependency only a new package meets (newdep), the broken
# dependency of legacy, and an unsolvable conflict (clash-a vs clash-b).
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/repo-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/repo-cases" >/dev/null
map=$TESTS_DIR/packages/repo-cases/package-map

repo=$tmp/repo8
cp -a "$pkgs/release8" "$repo"
createrepo_c -q "$repo"
t_ok "createrepo_c made a repository of release 8" test -f "$repo/repodata/repomd.xml"

# Root A: release 7 without the clash pair. Root B: with it.
base=$tmp/base
mkdir -p "$base"
release7=()
for f in "$pkgs"/release7/*.rpm; do [[ $f == */clash-* ]] || release7+=("$f"); done
t_rpm "$base" -i --quiet "${release7[@]}"
copy_root() { rm -rf "$2" && cp -a "$1" "$2"; }

# Debian's dnf reads the rpmdb where Debian's rpm keeps it (~/.rpmdb);
# a HOME of our own with %_dbpath makes it use the root's /var/lib/rpm.
mkdir -p "$tmp/home"
printf '%%_dbpath /var/lib/rpm\n' >"$tmp/home/.rpmmacros"
have_dnf=1
command -v dnf >/dev/null || have_dnf=0
dnf_in() { # ROOT DNF-ARGS...: dnf on ROOT with only the target repository
	local root=$1; shift
	HOME=$tmp/home dnf -y --installroot "$root" --setopt=reposdir="$tmp/no-repos" \
		--setopt=cachedir="$tmp/dnf-cache" --setopt=keepcache=0 \
		--repofrompath=target,"file://${dnf_repo:-$repo}" --repo target --releasever 8 --nogpgcheck "$@"
}

# Stages with host-prep, applies with the upgrader; prints the changes.
host_prep_apply() { # ROOT HOST-PREP-ARGS...
	local root=$1; shift
	t_rpm_qa "$root" >"$root.before"
	"$HOST_PREP" --root "$root" stage "$@" >"$root.stage" 2>&1 || { cat "$root.stage"; return 1; }
	"$UPGRADER" --root "$root" >"$root.upgrade" 2>&1 || { cat "$root.upgrade"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	t_rpm_qa_changes "$root.before" "$root.after"
}

# The same with dnf: DNF-COMMAND... is distro-sync, or shell SCRIPT.
dnf_apply() { # ROOT DNF-ARGS...
	local root=$1; shift
	t_rpm_qa "$root" >"$root.before"
	dnf_in "$root" "$@" >"$root.dnf" 2>&1 || { cat "$root.dnf"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	t_rpm_qa_changes "$root.before" "$root.after"
}

plan_nevras() { awk '$1 ~ /^(upgrade|install|install-only)$/ {print $5}' "$1/var/lib/oslift/plan" | LC_ALL=C sort; }
new_nevras() { comm -13 <(awk '{print $2}' "$1.before") <(awk '{print $2}' "$1.after"); }

# ------------------------------------------------ legacy's broken dependency
copy_root "$base" "$tmp/a"
before=$(t_tree_digest "$tmp/a")
t_run "$HOST_PREP" --root "$tmp/a" check --repo "$repo"
t_is "$T_RC" 1 "check --repo: legacy's broken dependency blocks"
t_match "$T_OUT" '^BLOCKER +unsolvable: package legacy-1\.0-1\.noarch requires oldapi = 1, but none of the providers can be installed$' \
	"as libsolv's explanation"
t_match "$T_OUT" '^ +- solution [0-9]+: allow deinstallation of legacy-1\.0-1\.noarch$' "with the solutions libsolv offers"
t_is "$(t_tree_digest "$tmp/a")" "$before" "check --repo changes nothing in the root"
"$HOST_PREP" --root "$tmp/a" --json check --repo "$repo" >"$tmp/check.json"
t_is "$(t_json "$tmp/check.json" '[f["id"] for f in d["findings"] if f["severity"]=="blocker"]')" "['unsolvable']" \
	"--json: one unsolvable blocker"
t_match "$(t_json "$tmp/check.json" '"\n".join(x for f in d["findings"] for x in f["details"])')" \
	'allow deinstallation of legacy' "--json carries the solutions as details"
if ((have_dnf)); then
	copy_root "$base" "$tmp/a-dnf"
	t_run dnf_in "$tmp/a-dnf" distro-sync
	t_is "$T_RC" 1 "dnf distro-sync refuses too"
	t_match "$T_OUT" 'package legacy-1\.0-1\.noarch requires oldapi = 1, but none of the providers can be installed' \
		"with the same problem"
else
	t_skip "dnf distro-sync refuses too" "dnf is not installed"
	t_skip "with the same problem" "dnf is not installed"
fi

# ------------------------------------------ distro-sync, --allow-erasing
t_run host_prep_apply "$tmp/a" --repo "$repo" --allow-erasing
t_is "$T_RC" 0 "stage --repo --allow-erasing and the upgrader succeed"
ours=$T_OUT
t_match "$(cat "$tmp/a.stage")" 'info +solver: libsolv chose 13 packages to install and 1 to erase, from 16 in 1 repositories for 14 installed' \
	"stage says what libsolv chose"
t_match "$ours" '^install newtool-2\.0-1\.noarch$' "rename via Obsoletes: newtool installed"
t_match "$ours" '^erase oldtool-1\.0-1\.noarch$' "and oldtool erased"
t_match "$ours" '^install suite-core-8\.0-1\.noarch$' "split: suite-core installed"
t_match "$ours" '^install suite-tools-8\.0-1\.noarch$' "split: suite-tools installed"
t_match "$ours" '^erase suite-7\.0-1\.noarch$' "split: suite erased"
t_match "$(cat "$tmp/a.after")" '^dropped dropped-7\.0-1\.noarch$' "dropped: kept installed"
t_match "$(cat "$tmp/a.after")" '^oldname oldname-7\.0-1\.noarch$' "rename without Obsoletes: kept without a map"
t_match "$ours" '^install newdep-8\.0-1\.noarch$' "a dependency only a new package meets: newdep installed"
t_match "$ours" '^install kernel-core-8\.0-1\.noarch$' "the kernel is installed beside the old one"
t_match "$ours" '^erase legacy-1\.0-1\.noarch$' "legacy erased (--allow-erasing)"
if ((have_dnf)); then
	copy_root "$base" "$tmp/a-dnf"
	t_run dnf_apply "$tmp/a-dnf" --allowerasing distro-sync
	t_is "$T_RC" 0 "dnf --allowerasing distro-sync succeeds on a copy"
	t_is "$ours" "$T_OUT" "host-prep installs, upgrades and erases what dnf does"
	t_is "$(cat "$tmp/a.after")" "$(cat "$tmp/a-dnf.after")" "the same packages are installed afterwards"
	t_is "$(plan_nevras "$tmp/a")" "$(new_nevras "$tmp/a-dnf")" "the plan stages exactly the packages dnf installed"
else
	for d in "dnf --allowerasing distro-sync succeeds on a copy" "host-prep installs, upgrades and erases what dnf does" \
		"the same packages are installed afterwards" "the plan stages exactly the packages dnf installed"; do
		t_skip "$d" "dnf is not installed"
	done
fi

# Back to release 7: dnf distro-sync downgrades to what the repository
# has; host-prep chooses the same packages but, as with --packages, makes
# each downgrade a blocker: going back is the operator's call
# (--allow-downgrade).
repo7=$tmp/repo7
cp -a "$pkgs/release7" "$repo7"
createrepo_c -q "$repo7"
t_run "$HOST_PREP" --root "$tmp/a" check --repo "$repo7"
t_is "$T_RC" 1 "check --repo of release 7 on the upgraded root blocks"
downgrades=$(sed -n 's/^BLOCKER \+downgrade: \(.*\) is older than the installed .*/upgrade \1/p' <<<"$T_OUT" | LC_ALL=C sort)
t_match "$downgrades" '^upgrade webapp-7\.0-1\.noarch$' "with a downgrade blocker for each package going back"
if ((have_dnf)); then
	copy_root "$tmp/a-dnf" "$tmp/d-dnf"
	dnf_repo=$repo7 t_run dnf_apply "$tmp/d-dnf" distro-sync
	t_is "$T_RC" 0 "dnf distro-sync to release 7 downgrades the dnf-upgraded copy"
	t_is "$downgrades" "$T_OUT" "the very packages host-prep names as downgrades"
else
	t_skip "dnf distro-sync to release 7 downgrades the dnf-upgraded copy" "dnf is not installed"
	t_skip "the very packages host-prep names as downgrades" "dnf is not installed"
fi

# --erase instead of --allow-erasing: the same transaction.
copy_root "$base" "$tmp/e"
t_run host_prep_apply "$tmp/e" --repo "$repo" --erase legacy
t_is "$T_RC" 0 "stage --repo --erase legacy succeeds"
t_is "$T_OUT" "$ours" "and does what --allow-erasing did"

# ------------------------------------------------------------ package map
copy_root "$base" "$tmp/m"
t_run host_prep_apply "$tmp/m" --repo "$repo" --erase legacy --package-map "$map"
t_is "$T_RC" 0 "stage --repo --package-map succeeds"
mapped=$T_OUT
t_match "$(cat "$tmp/m.stage")" 'info +package-map: .*: oldname is replaced by freshname' "stage lists the map rule it applied"
t_is "$(diff <(echo "$ours") <(echo "$mapped") | grep '^[<>]')" "> erase oldname-7.0-1.noarch
> install freshname-8.0-1.noarch" "the map adds exactly: oldname erased, freshname installed"
if ((have_dnf)); then
	# dnf's one-transaction equivalent of the map rule: dnf shell.
	printf 'distro-sync\nremove oldname legacy\ninstall freshname\nrun\n' >"$tmp/map.dnf"
	copy_root "$base" "$tmp/m-dnf"
	t_run dnf_apply "$tmp/m-dnf" shell "$tmp/map.dnf"
	t_is "$T_RC" 0 "dnf shell: distro-sync, remove oldname legacy, install freshname"
	t_is "$mapped" "$T_OUT" "host-prep with the map does what that dnf transaction does"
else
	t_skip "dnf shell: distro-sync, remove oldname legacy, install freshname" "dnf is not installed"
	t_skip "host-prep with the map does what that dnf transaction does" "dnf is not installed"
fi

t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --package-map "$TESTS_DIR/packages/repo-cases/oldname.spec"
t_is "$T_RC" 3 "a map that is not one fails"
t_match "$T_OUT" 'package-map .*oldname\.spec: line [0-9]+: ' "naming the line"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --package-map "$TESTS_DIR/../docs/package-map.example"
t_is "$T_RC" 0 "the shipped example map parses (none of its rules applies here)"
printf 'oldname -> nosuchpackage\n' >"$tmp/bad.map"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --package-map "$tmp/bad.map"
t_is "$T_RC" 1 "a map naming a package no repository has blocks"
t_match "$T_OUT" '^BLOCKER +unsolvable: .*nosuchpackage' "as libsolv says it"

# --------------------------------------------- plain RPMs, no repodata
copy_root "$base" "$tmp/p"
t_run host_prep_apply "$tmp/p" --repo "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "--repo on a directory without repodata reads the packages themselves"
t_is "$T_OUT" "$ours" "and chooses the same"

# Two repositories, one with repodata and one without, hold release 8
# between them.
mkdir -p "$tmp/split-md" "$tmp/split-plain"
cp "$pkgs"/release8/[a-m]*.rpm "$tmp/split-md/"
cp "$pkgs"/release8/[n-z]*.rpm "$tmp/split-plain/"
createrepo_c -q "$tmp/split-md"
copy_root "$base" "$tmp/s"
t_run host_prep_apply "$tmp/s" --repo "$tmp/split-md" --repo "$tmp/split-plain" --erase legacy
t_is "$T_RC" 0 "--repo twice: a repository and a plain directory together"
t_is "$T_OUT" "$ours" "choose what the one repository did"

# --------------------------------------------- the repodata is the truth
copy_root "$base" "$tmp/c"
cp -a "$repo" "$tmp/repo-swapped"
# A valid package, but not the one the repodata describes.
cp "$pkgs/release7/webapp-7.0-1.noarch.rpm" "$tmp/repo-swapped/webapp-8.0-1.noarch.rpm"
t_run "$HOST_PREP" --root "$tmp/c" check --repo "$tmp/repo-swapped" --erase legacy
t_is "$T_RC" 1 "a package that differs from its repodata blocks"
t_match "$T_OUT" '^BLOCKER +package-checksum: .*webapp-8\.0-1\.noarch\.rpm does not match its sha256 checksum in the repodata' \
	"named, with what does not match"

# Packages the repodata places elsewhere (xml:base) are not staged from here.
cp -a "$pkgs/release8" "$tmp/repo-remote"
createrepo_c -q --baseurl http://mirror.example/el8/ "$tmp/repo-remote"
t_run "$HOST_PREP" --root "$tmp/c" check --repo "$tmp/repo-remote" --erase legacy
t_is "$T_RC" 1 "a repository whose packages live at another URL blocks"
t_match "$T_OUT" '^BLOCKER +repodata-damaged: .*location is missing or outside the directory' "as a location outside the directory"

# ------------------------------------------------- the unsolvable conflict
copy_root "$base" "$tmp/b"
t_rpm "$tmp/b" -i --quiet "$pkgs"/release7/clash-*.rpm
t_run "$HOST_PREP" --root "$tmp/b" stage --repo "$repo" --erase legacy
t_is "$T_RC" 1 "the conflict blocks stage"
t_match "$T_OUT" '^BLOCKER +unsolvable: package clash-a-8\.0-1\.noarch conflicts with clash-b provided by clash-b-8\.0-1\.noarch$' \
	"a blocker naming both packages"
t_match "$T_OUT" 'solution [0-9]+: allow deinstallation of clash-b-7\.0-1\.noarch' "and the ways out libsolv offers"
t_ok "nothing is staged" test ! -e "$tmp/b/var/lib/oslift"
if ((have_dnf)); then
	copy_root "$base" "$tmp/b-dnf"
	t_rpm "$tmp/b-dnf" -i --quiet "$pkgs"/release7/clash-*.rpm
	t_run dnf_in "$tmp/b-dnf" distro-sync
	t_is "$T_RC" 1 "dnf distro-sync fails on it too"
	t_match "$T_OUT" 'package clash-a-8\.0-1\.noarch conflicts with clash-b provided by clash-b-8\.0-1\.noarch' "with the same words"
else
	t_skip "dnf distro-sync fails on it too" "dnf is not installed"
	t_skip "with the same words" "dnf is not installed"
fi

t_run "$HOST_PREP" --root "$base" check --repo "$repo" --packages "$pkgs/release8"
t_is "$T_RC" 2 "--repo and --packages together are a usage error"
t_run "$HOST_PREP" --root "$base" check --packages "$pkgs/release8" --package-map "$map"
t_is "$T_RC" 2 "--package-map without --repo is a usage error"
