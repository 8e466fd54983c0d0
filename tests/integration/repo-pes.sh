#!/bin/bash
# host-prep --repo --pes: Leapp's package evolution events turned into the
# solver's jobs. The events (tests/packages/pes-cases/pes-events.json, in
# the published format) cover each action: a split, a replacement, a
# removal of a package the target still ships, a merge of which one part
# is installed, a replacement whose in-set is not all there, present,
# moved, a rename chained over two releases, a rename the package map
# overrides, an event for another architecture, one for a later release,
# one whose new package no repository has, and the release package
# itself (source-release -> target-release, which also tells host-prep
# the releases). The reference: an independent reading of the same file
# (python3, Leapp's rule) turned into a dnf shell transaction (distro-sync,
# remove, install) on an identical copy of the root; both must install,
# upgrade and erase the same packages. Then the real leapp-data files go
# through check on the same root.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
cases=$TESTS_DIR/packages/pes-cases
pes=$cases/pes-events.json
map=$cases/package-map
pkgs=$(t_packages)

# --------------------------------------------------------- stand-ins
# NAME VERSION [PROVIDES] per line; release 7 is installed, release 8
# is the target repository.
release7='source-release 7.9 system-release(releasever) = 7
polutil-python 2.5
ntpd 4.2
gone-tool 1.0
merge-a 1.0
pair-a 1.0
keepme 1.0
mapped-old 1.0
renamed-old 1.0
moved-pkg 1.0
arch-only 1.0
late 1.0
missing-old 1.0'
release8='target-release 8.10 system-release(releasever) = 8
polutil-python-utils 2.9
python3-polutil 2.9
chronyd 4.1
gone-tool 8.0
merged-ab 8.0
pair-a 8.0
pair 8.0
keepme 8.0
mapped-pes 8.0
mapped-map 8.0
renamed-new 8.0
renamed-newer 8.0
moved-pkg 8.0
arch-only 8.0
late 8.0'
mkdir -p "$tmp/home" "$tmp/s7" "$tmp/s8"
standin() { # OUTDIR NAME VERSION [PROVIDES...]
	local out=$1 name=$2 ver=$3; shift 3
	HOME=$tmp/home SOURCE_DATE_EPOCH=1577836800 TZ=UTC LC_ALL=C \
		rpmbuild -bb --quiet --nodeps --load "$TESTS_DIR/packages/common.macros" \
		--define "_topdir $tmp/top-$name-$ver" --define "_tmppath $tmp" --define "_dbpath $tmp/rpmdb" \
		--define "_rpmdir $out" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
		--define "pname $name" --define "pver $ver" ${1:+--define "pprov $*"} \
		"$cases/standin.spec" >"$tmp/build-$name-$ver.log" 2>&1
}
build_set() { # OUTDIR LIST
	local n v p
	while read -r n v p; do
		standin "$1" "$n" "$v" $p &
	done <<<"$2"
	wait
}
build_set "$tmp/s7" "$release7"
build_set "$tmp/s8" "$release8"
t_is "$(ls "$tmp/s7" | wc -l):$(ls "$tmp/s8" | wc -l)" "13:16" "the stand-in packages are built"

repo=$tmp/repo8
mkdir -p "$repo"
cp "$pkgs"/release8/*.rpm "$tmp"/s8/*.rpm "$repo/"
createrepo_c -q "$repo"
t_ok "createrepo_c made the target repository" test -f "$repo/repodata/repomd.xml"

base=$tmp/base
mkdir -p "$base"
t_rpm "$base" -i --quiet "$pkgs"/release7/*.rpm "$tmp"/s7/*.rpm
copy_root() { rm -rf "$2" && cp -a "$1" "$2"; }

# ------------------------------------------------- the reference reading
# Leapp's rule, written again from its description (docs/pes.md): events
# whose release is after the source's major release and at or before the
# target's, for this machine's architecture, in release then id order;
# an event applies when all its in-packages are in the set (merged: any),
# present and deprecated keep; names the map decides on are the map's.
# Prints "install NAME" and "erase NAME" lines and "event ID OUTCOME".
reference() { # ROOT-LIST-FILE AVAILABLE-LIST-FILE [MAP]
	python3 - "$pes" "$@" <<'PY'
import json, platform, sys
events = json.load(open(sys.argv[1]))["packageinfo"]
installed = set(open(sys.argv[2]).read().split())
available = set(open(sys.argv[3]).read().split())
mapped = {}
if len(sys.argv) > 4:
    for line in open(sys.argv[4]):
        line = line.split("#")[0].split()
        if line and line[0] in installed:
            mapped[line[0]] = line[2:]
rel = lambda r: (r["major_version"], r["minor_version"])
arch = platform.machine()
keep = [e for e in events if (7, 10**6) < rel(e["release"]) <= (8, 10**6)
        and (not e["architectures"] or arch in e["architectures"])]
keep.sort(key=lambda e: (rel(e["release"]), int(e["id"])))
names = lambda s: [p["name"] for p in ((s or {}).get("package") or [])]
now = set(installed)
for e in keep:
    ins, outs = names(e["in_packageset"]), names(e["out_packageset"])
    there = [n for n in ins if n in now]
    if not there:
        continue
    if set(ins) & set(mapped):
        print("event", e["id"], "overridden"); continue
    if e["action"] in (0, 2):
        print("event", e["id"], "kept"); continue
    if len(there) < len(ins) and e["action"] != 5:
        print("event", e["id"], "not-applied"); continue
    print("event", e["id"], "applied")
    now -= set(ins) - set(outs)
    now |= set(outs)
for old, new in mapped.items():
    now.discard(old)
    now |= set(new)
for n in sorted(now - installed):
    if n in available:
        print("install", n)
for n in sorted(installed - now):
    print("erase", n)
PY
}
t_rpm "$base" -qa --qf '%{NAME}\n' | sort -u >"$tmp/installed.names"
rpm --dbpath "$tmp/query-db" -qp --qf '%{NAME}\n' "$repo"/*.rpm 2>/dev/null | sort -u >"$tmp/available.names"
reference "$tmp/installed.names" "$tmp/available.names" >"$tmp/ref.nomap"
reference "$tmp/installed.names" "$tmp/available.names" "$map" >"$tmp/ref.map"
t_is "$(grep -c '^event .* applied$' "$tmp/ref.nomap")" 10 "the reference applies 10 events without the map"

host_prep_apply() { # ROOT HOST-PREP-ARGS...
	local root=$1; shift
	t_rpm_qa "$root" >"$root.before"
	"$HOST_PREP" --root "$root" stage --no-boot "$@" >"$root.stage" 2>&1 || { cat "$root.stage"; return 1; }
	"$UPGRADER" --root "$root" >"$root.upgrade" 2>&1 || { cat "$root.upgrade"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	t_rpm_qa_changes "$root.before" "$root.after"
}
printf '%%_dbpath /var/lib/rpm\n' >"$tmp/home/.rpmmacros"
dnf_apply() { # ROOT REFERENCE-FILE: distro-sync with the reference's removes and installs
	local root=$1 ref=$2
	{
		echo distro-sync
		echo "remove legacy $(awk '$1 == "erase" {printf "%s ", $2}' "$ref")"
		if grep -q '^install ' "$ref"; then echo "install $(awk '$1 == "install" {printf "%s ", $2}' "$ref")"; fi
		echo run
	} >"$root.dnf-script"
	t_rpm_qa "$root" >"$root.before"
	HOME=$tmp/home dnf -y --installroot "$root" --setopt=reposdir="$tmp/no-repos" \
		--setopt=cachedir="$tmp/dnf-cache" --setopt=keepcache=0 \
		--repofrompath=target,"file://$repo" --repo target --releasever 8 --nogpgcheck \
		shell "$root.dnf-script" >"$root.dnf" 2>&1 || { cat "$root.dnf"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	t_rpm_qa_changes "$root.before" "$root.after"
}
have_dnf=1
command -v dnf >/dev/null || have_dnf=0

# ------------------------------------------------------- check, findings
before=$(t_tree_digest "$base")
"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --pes "$pes" >"$tmp/check.json"
t_is "$(t_tree_digest "$base")" "$before" "check --pes changes nothing in the root"
t_is "$(t_json "$tmp/check.json" '[f["title"] for f in d["findings"] if f["id"]=="pes"]')" \
	"['13 package evolution events apply to 7 -> 8 on $(uname -m) (3 others do not); 12 concern installed packages']" \
	"the releases come from system-release(releasever): 13 events apply, 12 concern installed packages"
titles=$(t_json "$tmp/check.json" '"\n".join(f["id"] + " " + f["title"] for f in d["findings"] if f["id"].startswith("pes"))')
for want in \
	'pes-event .*: polutil-python is split into polutil-python-utils and python3-polutil \(event 101\)$' \
	'pes-event .*: ntpd is replaced by chronyd \(event 102\)$' \
	'pes-event .*: gone-tool is removed in the target release \(event 103\): erased$' \
	'pes-event .*: merge-a and merge-b are merged into merged-ab \(event 104\)$' \
	'pes-not-applied .*: event 105 \(replaced pair-a and pair-b\) does not apply: not all of its packages are installed$' \
	'pes-event .*: keepme is present in the target release \(event 106\)$' \
	'pes-event .*: mapped-old is renamed to mapped-pes \(event 107\)$' \
	'pes-event .*: renamed-old is renamed to renamed-new \(event 108\)$' \
	'pes-event .*: renamed-new is renamed to renamed-newer \(event 109\)$' \
	'pes-event .*: moved-pkg moves to repository t8-appstream \(event 110\)$' \
	'pes-event .*: missing-old is renamed to missing-new \(event 113\)$' \
	'pes-event .*: source-release is replaced by target-release \(event 114\)$' \
	'pes-missing missing-new \(event 113\) is in no --repo repository$'; do
	t_match "$titles" "$want" "a finding: ${want#pes-* }"
done
t_is "$(grep -c 'event 11[125]' <<<"$titles")" 0 "no finding for the events of another architecture, a later release, or packages not installed"
t_is "$(t_json "$tmp/check.json" '[f["severity"] for f in d["findings"] if f["id"]=="pes-missing"]')" "['warning']" \
	"a package the events bring that no repository has is a warning"
# Every decision the reference makes has its finding, and no other.
ours=$(t_json "$tmp/check.json" '"\n".join(sorted(set(__import__("re").search(r"event (\d+)", f["title"]).group(1) for f in d["findings"] if f["id"] in ("pes-event","pes-not-applied","pes-overridden"))))')
t_is "$ours" "$(awk '$1 == "event" {print $2}' "$tmp/ref.nomap" | LC_ALL=C sort -u)" "one finding for each event the reference decides on"

# --------------------------------------------- the transaction, with dnf
copy_root "$base" "$tmp/a"
t_run host_prep_apply "$tmp/a" --repo "$repo" --erase legacy --pes "$pes"
t_is "$T_RC" 0 "stage --repo --pes and the upgrader succeed"
pesd=$T_OUT
t_match "$pesd" '^install polutil-python-utils-2\.9-1\.noarch$' "split: polutil-python-utils installed"
t_match "$pesd" '^install python3-polutil-2\.9-1\.noarch$' "split: python3-polutil installed"
t_match "$pesd" '^erase polutil-python-2\.5-1\.noarch$' "split: polutil-python erased"
t_match "$pesd" '^erase gone-tool-1\.0-1\.noarch$' "removed: gone-tool erased though the target ships one"
t_match "$pesd" '^install merged-ab-8\.0-1\.noarch$' "merged: merged-ab installed"
t_match "$pesd" '^upgrade pair-a-8\.0-1\.noarch$' "an event whose in-set is not all there: pair-a distro-synced"
t_match "$pesd" '^upgrade keepme-8\.0-1\.noarch$' "present: keepme upgraded"
t_match "$pesd" '^install renamed-newer-8\.0-1\.noarch$' "a rename over two releases ends at renamed-newer"
t_is "$(grep -c 'renamed-new-' <<<"$pesd")" 0 "and the middle name is never installed"
t_match "$pesd" '^upgrade arch-only-8\.0-1\.noarch$' "another architecture's removal: arch-only upgraded"
t_match "$pesd" '^upgrade late-8\.0-1\.noarch$' "a later release's removal: late upgraded"
t_match "$pesd" '^erase missing-old-1\.0-1\.noarch$' "missing-old erased though missing-new is nowhere"
t_match "$pesd" '^install target-release-8\.10-1\.noarch$' "the release package replaced"
if ((have_dnf)); then
	copy_root "$base" "$tmp/a-dnf"
	t_run dnf_apply "$tmp/a-dnf" "$tmp/ref.nomap"
	t_is "$T_RC" 0 "dnf shell with the reference's transaction succeeds on a copy"
	t_is "$pesd" "$T_OUT" "host-prep --pes installs, upgrades and erases what that dnf transaction does"
	t_is "$(cat "$tmp/a.after")" "$(cat "$tmp/a-dnf.after")" "the same packages are installed afterwards"
else
	for d in "dnf shell with the reference's transaction succeeds on a copy" \
		"host-prep --pes installs, upgrades and erases what that dnf transaction does" \
		"the same packages are installed afterwards"; do
		t_skip "$d" "dnf is not installed"
	done
fi

# ----------------------------------------------- with the package map
copy_root "$base" "$tmp/m"
t_run host_prep_apply "$tmp/m" --repo "$repo" --erase legacy --pes "$pes" --package-map "$map"
t_is "$T_RC" 0 "stage --pes --package-map succeeds"
mapped=$T_OUT
t_match "$(cat "$tmp/m.stage")" 'pes-overridden: .*: --package-map decides on mapped-old, not event 107 \(renamed\)' \
	"the map wins over event 107, and says so"
t_is "$(diff <(echo "$pesd") <(echo "$mapped") | grep '^[<>]')" "< install mapped-pes-8.0-1.noarch
> install mapped-map-8.0-1.noarch" "the map's rule replaces the event's: mapped-map instead of mapped-pes"
if ((have_dnf)); then
	copy_root "$base" "$tmp/m-dnf"
	t_run dnf_apply "$tmp/m-dnf" "$tmp/ref.map"
	t_is "$T_RC" 0 "dnf shell with the reference's transaction (map included) succeeds"
	t_is "$mapped" "$T_OUT" "host-prep --pes --package-map does what that dnf transaction does"
else
	t_skip "dnf shell with the reference's transaction (map included) succeeds" "dnf is not installed"
	t_skip "host-prep --pes --package-map does what that dnf transaction does" "dnf is not installed"
fi

# ---------------------------------------------------------- --repomap
# Two directories: t8-baseos, named as a repository of the map, with all
# of the target but merged-ab; other, no repository of it, with merged-ab.
# Event 104 puts merged-ab in t8-appstream, which no --repo is.
mkdir -p "$tmp/rm/t8-baseos" "$tmp/rm/other"
cp "$repo"/*.rpm "$tmp/rm/t8-baseos/"
mv "$tmp/rm/t8-baseos"/merged-ab-*.rpm "$tmp/rm/other/"
createrepo_c -q "$tmp/rm/t8-baseos" && createrepo_c -q "$tmp/rm/other"
cat >"$tmp/repomap.json" <<'JSON'
{"version_format": "1.2.0", "mapping": [],
 "repositories": [
  {"pesid": "t8-baseos", "entries": [{"repoid": "t8-baseos", "major_version": "8", "arch": "x86_64", "channel": "ga", "repo_type": "rpm"}]},
  {"pesid": "t8-appstream", "entries": [{"repoid": "t8-appstream", "major_version": "8", "arch": "x86_64", "channel": "ga", "repo_type": "rpm"}]}]}
JSON
"$HOST_PREP" --root "$base" --json check --repo "$tmp/rm/t8-baseos" --repo "$tmp/rm/other" --erase legacy --pes "$pes" \
	>"$tmp/norm.json"
t_is "$(t_json "$tmp/norm.json" '[f["subject"] for f in d["findings"] if f["id"]=="pes-missing"]')" "['missing-new']" \
	"without --repomap merged-ab comes from any --repo"
"$HOST_PREP" --root "$base" --json check --repo "$tmp/rm/t8-baseos" --repo "$tmp/rm/other" --erase legacy --pes "$pes" \
	--repomap "$tmp/repomap.json" >"$tmp/rm.json"
rm_titles=$(t_json "$tmp/rm.json" '"\n".join(f["id"] + " " + f["title"] + "".join(" / " + x for x in f["details"]) for f in d["findings"] if f["id"].startswith("pes-"))')
t_match "$rm_titles" "^pes-repomap --repo $tmp/rm/t8-baseos is Leapp's repository t8-baseos$" "--repomap: the directory named t8-baseos is that repository"
t_match "$rm_titles" "^pes-repomap --repo $tmp/rm/other is no repository of --repomap " "and other is none of the map's"
t_match "$rm_titles" '^pes-missing merged-ab \(event 104\) is in no --repo directory that is Leapp.s repository t8-appstream / another --repo has it' \
	"merged-ab, which event 104 puts in t8-appstream, is not taken from other"
t_is "$(t_json "$tmp/rm.json" '[f["subject"] for f in d["findings"] if f["id"]=="pes-missing"]')" "['merged-ab', 'missing-new']" \
	"and nothing else is missing: t8-baseos has the rest"
copy_root "$base" "$tmp/r"
t_run host_prep_apply "$tmp/r" --repo "$tmp/rm/t8-baseos" --repo "$tmp/rm/other" --erase legacy --pes "$pes" \
	--repomap "$tmp/repomap.json"
t_is "$T_RC" 0 "stage --repomap and the upgrader succeed"
t_is "$(grep -c merged-ab "$tmp/r.after")" 0 "merged-ab is not installed"
t_is "$(diff <(echo "$pesd") <(echo "$T_OUT") | grep '^[<>]')" "< install merged-ab-8.0-1.noarch" \
	"the rest of the transaction is the one without --repomap"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --pes "$pes" --repomap "$pes"
t_is "$T_RC" 3 "a --repomap that is not one fails"
t_match "$T_OUT" "--repomap .*pes-events\.json: not a repository map: no repositories list" "saying so"

# ------------------------------------------------- releases, bad input
"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --pes "$pes" --pes-release 7.9:8.1 >"$tmp/r81.json"
t_match "$(t_json "$tmp/r81.json" '"\n".join(f["title"] for f in d["findings"] if f["id"].startswith("pes"))')" \
	'renamed-old is renamed to renamed-new \(event 108\)$' "--pes-release 7.9:8.1: the 8.1 rename applies"
t_is "$(t_json "$tmp/r81.json" '[f for f in d["findings"] if "event 109" in f["title"]]')" "[]" "and the 8.2 one does not"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --pes "$pes" --pes-release 8:7
t_is "$T_RC" 2 "--pes-release with the target before the source is refused"
t_match "$T_OUT" 'pes-release 8:7: give SOURCE:TARGET' "saying what to give"
t_run "$HOST_PREP" --root "$base" check --packages "$repo" --pes "$pes"
t_is "$T_RC" 2 "--pes without --repo is refused"
t_match "$T_OUT" '--pes works on what --repo offers' "saying so"
printf '{"packageinfo": [{"id": 7, "action": 12}]}' >"$tmp/bad.json"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --pes "$tmp/bad.json"
t_is "$T_RC" 3 "a PES file with a bad event fails"
t_match "$T_OUT" "--pes $tmp/bad\\.json: event 7: action is not one of 0-8" "naming the file and the event"
printf '{"packageinfo": [' >"$tmp/cut.json"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --pes "$tmp/cut.json"
t_match "$T_OUT" 'cut\.json: not JSON: the text ends inside a value' "a truncated file is named as such"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --pes "$tmp/nonexistent.json"
t_is "$T_RC" 3 "a --pes file that is not there fails"

# ------------------------------------------- the published leapp-data
for dist in almalinux centos rocky; do
	real=$(t_fixture "leapp-data/almalinux-leapp-data/$dist/pes-events.json")
	if [[ -z $real ]]; then
		t_skip "$dist's pes-events.json goes through check" "no ../shared/fixtures/real"
		continue
	fi
	"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --pes "$real" --pes-release 7.9:8.10 \
		>"$tmp/$dist.json" 2>"$tmp/$dist.err"
	t_match "$(t_json "$tmp/$dist.json" '"\n".join(f["title"] for f in d["findings"] if f["id"]=="pes")')" \
		'^[0-9]+ package evolution events apply to 7\.9 -> 8\.10 on ' "$dist's pes-events.json goes through check"
done
