#!/bin/bash
# --pes on a stock CentOS 7 system: the installed set is go-rpmdb's record
# of a CentOS 7 container (package-lists/CentOS7Plain.txt, 144 packages),
# built as stand-ins with those names, epochs, versions and architectures;
# the target repository holds every installed name at a higher release and
# every name AlmaLinux's PES events lead to. check and stage --repo --pes
# with AlmaLinux's pes-events.json, then the upgrader; the packages
# installed afterwards must be what the events say, event by event, as an
# independent reading of the file (python3, Leapp's rule) has it: without
# the events, distro-sync would keep every old name (the repository still
# has them all).
. "$(dirname "$0")/../lib.sh"

list=$(t_fixture package-lists/CentOS7Plain.txt)
pes=$(t_fixture leapp-data/almalinux-leapp-data/almalinux/pes-events.json)
[[ -n $list && -n $pes ]] || t_skip_all "no ../shared/fixtures/real (package-lists, leapp-data)"
[[ $(uname -m) == x86_64 ]] || t_skip_all "the recorded system is x86_64; this machine is $(uname -m)"

tmp=$(t_tmpdir)
gen=$TESTS_DIR/packages/pes-cases/standins.py
mkdir -p "$tmp/home" "$tmp/el7" "$tmp/el8"
build() { # SPEC OUTDIR TARGET
	HOME=$tmp/home SOURCE_DATE_EPOCH=1577836800 TZ=UTC LC_ALL=C \
		rpmbuild -bb --quiet --nodeps --target "$3" --load "$TESTS_DIR/packages/common.macros" \
		--define "_topdir $tmp/top-$(basename "$1")" --define "_tmppath $tmp" --define "_dbpath $tmp/rpmdb" \
		--define "_rpmdir $2" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
		"$1" >"$1.log" 2>&1
}

# ------------------------------------------------ the reference reading
# As repo-pes.sh's: CentOS 7.9 -> AlmaLinux 8.10 on x86_64. Prints
# "event ID ACTION OUTCOME IN... -> OUT..." lines and the final set
# ("final NAME ...") to the file $1; the names of the target repository
# (final names plus every installed name) to $2.
awk '!/^#/ && NF >= 5 {print $2}' "$list" | LC_ALL=C sort -u >"$tmp/installed.names"
python3 - "$pes" "$tmp/installed.names" "$tmp/ref" "$tmp/target.names" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))["packageinfo"]
installed = set(open(sys.argv[2]).read().split())
rel = lambda r: (r["major_version"], r["minor_version"])
keep = [e for e in events if (7, 9) < rel(e["release"]) <= (8, 10)
        and (not e["architectures"] or "x86_64" in e["architectures"])]
keep.sort(key=lambda e: (rel(e["release"]), int(e["id"])))
names = lambda s: [p["name"] for p in ((s or {}).get("package") or [])]
now = set(installed)
with open(sys.argv[3], "w") as out:
    for e in keep:
        ins, outs = names(e["in_packageset"]), names(e["out_packageset"])
        there = [n for n in ins if n in now]
        if not there:
            continue
        if e["action"] in (0, 2):
            how = "kept"
        elif len(there) < len(ins) and e["action"] != 5:
            how = "not-applied"
        else:
            how = "applied"
            now -= set(ins) - set(outs)
            now |= set(outs)
        print("event", e["id"], e["action"], how, " ".join(ins), "->", " ".join(outs), file=out)
    print("final", " ".join(sorted(now)), file=out)
open(sys.argv[4], "w").write("\n".join(sorted(now | installed)) + "\n")
PY
t_is "$(awk '$1 == "event" {print $4}' "$tmp/ref" | sort | uniq -c | awk '{printf "%s %s,", $2, $1}')" "applied 46," \
	"the reference: 46 events concern the installed packages, all of them applied"

python3 "$gen" installed "$list" x86_64 >"$tmp/el7-x86_64.spec"
python3 "$gen" installed "$list" noarch >"$tmp/el7-noarch.spec"
python3 "$gen" target "$list" x86_64 "$tmp/target.names" >"$tmp/el8-x86_64.spec"
python3 "$gen" target "$list" noarch "$tmp/target.names" >"$tmp/el8-noarch.spec"
build "$tmp/el7-x86_64.spec" "$tmp/el7" x86_64 & build "$tmp/el7-noarch.spec" "$tmp/el7" noarch & wait
build "$tmp/el8-x86_64.spec" "$tmp/el8" x86_64 & build "$tmp/el8-noarch.spec" "$tmp/el8" noarch & wait
t_is "$(ls "$tmp/el7" | wc -l)" "$(wc -l <"$tmp/installed.names")" "a stand-in for each of the recorded packages"
t_is "$(ls "$tmp/el8" | wc -l)" "$(wc -l <"$tmp/target.names")" "a target package for each name"

root=$tmp/root
mkdir -p "$root"
t_rpm "$root" -i --quiet --nodeps "$tmp"/el7/*.rpm
t_is "$(t_rpm "$root" -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\n' | LC_ALL=C sort)" \
	"$(awk '!/^#/ && NF >= 5 {e = $1 == "(none)" ? 0 : $1; print $2, e ":" $3 "-" $4 "." $5}' "$list" | LC_ALL=C sort)" \
	"the root holds the recorded packages, epoch, version, release and architecture"
repo=$tmp/repo
cp -a "$tmp/el8" "$repo"
createrepo_c -q "$repo"

# ---------------------------------------------------------- check
"$HOST_PREP" --root "$root" --json check --repo "$repo" --pes "$pes" --force-unprotected >"$tmp/check.json"
findings() { t_json "$tmp/check.json" "$1"; }
t_match "$(findings '"\n".join(f["title"] for f in d["findings"] if f["id"]=="pes")')" \
	'^2251 package evolution events apply to 7 -> 8 on x86_64 \(130 others do not\); 46 concern installed packages$' \
	"the releases from centos-release and almalinux-release: 2251 events apply, 46 concern the system"
findings '"\n".join(f["title"] for f in d["findings"] if f["id"].startswith("pes"))' >"$tmp/titles"
t_is "$(grep -oP '\(event \K[0-9]+(?=\))' "$tmp/titles" | LC_ALL=C sort -u)" \
	"$(awk '$1 == "event" {print $2}' "$tmp/ref" | LC_ALL=C sort -u)" "a finding for each event the reference applies"
t_match "$(cat "$tmp/titles")" 'python-libs is split into python2-libs and python3-libs \(event 205\)$' \
	"python-libs is split into python2-libs and python3-libs (event 205)"
t_match "$(cat "$tmp/titles")" 'yum-utils is replaced by dnf-utils \(event 915\)$' "yum-utils is replaced by dnf-utils (event 915)"
t_match "$(cat "$tmp/titles")" 'nss-pem is removed in the target release \(event 44\): erased$' "nss-pem is removed (event 44)"
t_match "$(cat "$tmp/titles")" 'emacs-libidn and libidn are merged into libidn \(event 944\)$' "libidn: merged (event 944)"
t_match "$(cat "$tmp/titles")" 'nss moves to repository almalinux8-appstream \(event 56\)$' "nss: moved (event 56)"
t_is "$(findings '[f["id"] for f in d["findings"] if f["id"] in ("pes-missing","pes-not-applied","unsolvable")]')" "[]" \
	"nothing missing, nothing unsolvable"
# A verdict for every installed package (the rpmdb's own list), and what
# they are: the counts are printed for the record.
t_is "$(findings '"\n".join(sorted(p["name"] for p in d["packages"]))')" \
	"$(t_rpm "$root" -qa --qf '%{NAME}\n' | grep -vx gpg-pubkey | LC_ALL=C sort)" \
	"a verdict for every installed package"
findings '"\n".join("%d %s by %s" % (n, v, r) for (v, r), n in sorted(__import__("collections").Counter((p["verdict"], p["reason"]) for p in d["packages"]).items()))' |
	sed 's/^/# verdicts: /'
awk '$1 == "event" {print $3}' "$tmp/ref" | sort -n | uniq -c |
	awk 'BEGIN {split("present removed deprecated replaced split merged moved renamed reinstalled", n)}
	     {print "# events applied: " $1 " " n[$2 + 1]}'

# ------------------------------------------------- stage and upgrade
# Without the events first, on a copy: distro-sync keeps the old names.
cp -a "$root" "$tmp/plain"
t_run "$HOST_PREP" --root "$tmp/plain" stage --no-boot --repo "$repo" --force-unprotected
t_run "$UPGRADER" --root "$tmp/plain"
t_is "$T_RC" 0 "without --pes: stage and the upgrader succeed too"
t_is "$(t_rpm "$tmp/plain" -qa --qf '%{NAME}\n' | LC_ALL=C sort)" "$(cat "$tmp/installed.names")" \
	"and the old names stay, python-libs, yum-utils and nss-pem among them"
t_run "$HOST_PREP" --root "$root" stage --no-boot --repo "$repo" --pes "$pes" --force-unprotected
t_is "$T_RC" 0 "stage --repo --pes succeeds"
[[ $T_RC == 0 ]] || echo "$T_OUT" | grep -E 'BLOCKER|error' | head -20 | sed 's/^/# /'
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader applies it"
after=$(t_rpm "$root" -qa --qf '%{NAME}\n' | LC_ALL=C sort)
t_is "$after" "$(awk '$1 == "final" {for (i = 2; i <= NF; i++) print $i}' "$tmp/ref" | LC_ALL=C sort)" \
	"the installed names afterwards are the reference's, exactly"
bad=0
while read -r _ id _ _ rest; do
	ins=${rest%%->*} outs=${rest#*->}
	for n in $outs; do
		grep -qx "$n" <<<"$after" || { echo "# event $id: $n is not installed"; bad=1; }
	done
	for n in $ins; do
		[[ " $outs " == *" $n "* ]] && continue
		! grep -qx "$n" <<<"$after" || { echo "# event $id: $n is still installed"; bad=1; }
	done
done < <(grep '^event .* applied ' "$tmp/ref")
t_is "$bad" 0 "event by event: every out-package installed, every in-package not among them erased"
t_is "$(t_rpm "$root" -qa --qf '%{RELEASE}\n' | grep -vc '\.1$\|el8$')" 0 \
	"every package is the target's (installed names at RELEASE.1, new ones 8.0-1.el8)"
