#!/bin/bash
# A verdict on every installed package (check --json's "packages", the
# text report's section): moved by name, by Obsoletes, by a PES event, by
# a package map line; erased by --erase, by a PES event, by
# --allow-erasing; kept as the same version, beside a new one
# (install-only), or because nothing replaces it; and for each, who
# signed it. A root of release 7 (tests/packages repo-cases), two PES
# stand-ins (ntpd, replaced by chronyd in event 102; gone-tool, removed
# in event 103: tests/packages/pes-cases), and real signed packages in
# the rpmdb (shared fixtures: Red Hat's libsepol, the rpm.org test key's
# hello; foo, unsigned and in the target too). Each verdict is checked
# against what really happens: the plan stage writes and the rpmdb after
# the upgrader applied it; the signatures against Debian's rpm -q --qf on
# the same rpmdb.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/repo-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/repo-cases" >/dev/null
cases=$TESTS_DIR/packages/pes-cases
pes=$cases/pes-events.json
map=$TESTS_DIR/packages/repo-cases/package-map # line 2: oldname -> freshname
keys=$(t_fixture leapp-data/oamg-leapp-repository/gpg-signatures.rhel.json)
sepol=$(t_fixture el/rhel7/libsepol-2.5-10.el7.x86_64.rpm)
hello=$(t_fixture rpms/hello-2.0-1.x86_64-signed.rpm)
foo=$(t_fixture rpms/foo-1.0-1.noarch.rpm)
real=1
[[ -n $keys && -n $sepol && -n $hello && -n $foo ]] || real=0

mkdir -p "$tmp/home" "$tmp/s7" "$tmp/s8"
standin() { # OUTDIR NAME VERSION [EPOCH]
	HOME=$tmp/home SOURCE_DATE_EPOCH=1577836800 TZ=UTC LC_ALL=C \
		rpmbuild -bb --quiet --nodeps --load "$TESTS_DIR/packages/common.macros" \
		--define "_topdir $tmp/top-$2-$3" --define "_tmppath $tmp" --define "_dbpath $tmp/rpmdb" \
		--define "_rpmdir $1" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
		--define "pname $2" --define "pver $3" ${4:+--define "pepoch $4"} "$cases/standin.spec" >"$tmp/build-$2-$3.log" 2>&1
}
# zeroepoch: an explicit Epoch: 0, which rpm's NEVRA shows and libsolv's leaves out.
standin "$tmp/s7" ntpd 4.2 && standin "$tmp/s7" gone-tool 1.0 && standin "$tmp/s7" zeroepoch 1.0 0 &&
	standin "$tmp/s8" chronyd 4.1 && standin "$tmp/s8" gone-tool 8.0 && standin "$tmp/s8" zeroepoch 8.0 0
t_is "$(find "$tmp/s7" "$tmp/s8" -maxdepth 1 -name '*.rpm' | wc -l)" 6 "the PES stand-ins are built"

repo=$tmp/repo8
mkdir -p "$repo"
cp "$pkgs"/release8/*.rpm "$tmp"/s8/*.rpm "$repo/"
((real)) && cp "$foo" "$repo/"
createrepo_c -q "$repo"

# without_clash DIR: DIR's packages but the clashing pair (clash-*).
without_clash() {
	local f
	for f in "$1"/*.rpm; do
		[[ $f == */clash-* ]] || printf '%s\n' "$f"
	done
}

base=$tmp/base
mkdir -p "$base"
mapfile -t r7 < <(without_clash "$pkgs/release7")
t_rpm "$base" -i --quiet "${r7[@]}" "$tmp"/s7/*.rpm
if ((real)); then
	# Their dependencies (glibc, ...) are not in these roots: the rpmdb
	# alone has them, as a package the target does not ship.
	t_rpm "$base" -i --justdb --nodeps --nosignature "$sepol" "$hello" "$foo" 2>/dev/null
fi
copy_root() { rm -rf "$2" && cp -a "$1" "$2"; }
qa() { t_rpm "$1" -qa --qf '%{NEVRA}\n' | grep -v '^gpg-pubkey-' | LC_ALL=C sort; }

# VERDICTS-JSON PLAN BEFORE AFTER: one line per package whose verdict
# the transaction contradicts, and a count line: a move's package is gone
# and its target is staged and installed; an erasure's is gone and
# nothing staged in its place; a kept package is still there.
crosscheck() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
plan = [l.split() for l in open(sys.argv[2])]
staged = {w[4] for w in plan if w and w[0] in ("install", "upgrade", "install-only")}
erased_in_plan = {w[1] for w in plan if w and w[0] == "erase"}
before = set(open(sys.argv[3]).read().split())
after = set(open(sys.argv[4]).read().split())
bad = []
for p in d["packages"]:
    n, v, t = p["nevra"], p["verdict"], p["target"]
    if n not in before:
        bad.append("not installed before: " + n)
    if v == "move" and (n in after or t not in after or (t not in staged and t != n)):
        bad.append("move contradicted: %s -> %s" % (n, t))
    if v == "erase" and (n in after or t is not None):
        bad.append("erase contradicted: " + n)
    if v == "keep" and n not in after:
        bad.append("keep contradicted: " + n)
if {p["nevra"] for p in d["packages"]} != before:
    bad.append("verdicts are not exactly the installed packages")
for b in bad:
    print(b)
print("checked", len(d["packages"]))
PY
}
verdict_of() { # JSON NEVRA-PREFIX: "verdict reason target event map_line signature" of the package
	t_json "$1" "' '.join(str(p[k]) for p in d['packages'] if p['nevra'].startswith('$2') for k in ('verdict', 'reason', 'target', 'event', 'map_line', 'signature'))"
}

# ------------------------------------------------ --repo, --pes, --package-map
src_keys=()
((real)) && src_keys=(--source-keys "$keys")
copy_root "$base" "$tmp/a"
digest=$(t_tree_digest "$tmp/a")
"$HOST_PREP" --root "$tmp/a" --json check --repo "$repo" --erase legacy --package-map "$map" \
	--pes "$pes" --pes-release 7:8 "${src_keys[@]}" >"$tmp/a.json"
t_is "$?" 0 "check --repo --pes --package-map passes"
t_is "$(t_tree_digest "$tmp/a")" "$digest" "check changes nothing in the root"
j=$tmp/a.json
t_is "$(verdict_of "$j" webapp-)" "move name webapp-8.0-1.noarch None None $( ((real)) && echo unsigned || echo None)" \
	"webapp moves to its own name's version 8"
t_match "$(verdict_of "$j" oldtool-)" '^move obsoletes newtool-2\.0-1\.noarch None None' "oldtool moves to newtool, which obsoletes it"
t_match "$(verdict_of "$j" suite-7)" '^move obsoletes suite-(core|tools)-8\.0-1\.noarch ' "suite moves to its split parts by Obsoletes"
t_match "$(verdict_of "$j" oldname-)" '^move package-map freshname-8\.0-1\.noarch None 2 ' "oldname moves to freshname by the map's line 2"
t_match "$(verdict_of "$j" ntpd-)" '^move pes-event chronyd-4\.1-1\.noarch 102 None ' "ntpd moves to chronyd by PES event 102"
t_match "$(verdict_of "$j" gone-tool-)" '^erase pes-event None 103 None ' "gone-tool is erased by PES event 103"
t_match "$(verdict_of "$j" legacy-)" '^erase erase None None None ' "legacy is erased by --erase"
t_match "$(verdict_of "$j" kernel-core-7)" '^keep install-only None None None ' "the old kernel stays beside the new one"
t_match "$(verdict_of "$j" dropped-)" '^keep not-in-target None None None ' "dropped stays: nothing replaces it"
t_match "$(verdict_of "$j" zeroepoch-0:1.0-1.noarch)" '^move name zeroepoch-0:8\.0-1\.noarch ' \
	"a package of epoch 0 gets the solver's verdict, and its target, under rpm's NEVRAs"
t_is "$(t_json "$j" 'd["target_packages"] > 0 and isinstance(d["packages"], list)')" True \
	"the count of target packages is target_packages; packages is the verdicts"

# The text report: the counts, and the kept packages not the distribution's.
"$HOST_PREP" --root "$tmp/a" check --repo "$repo" --erase legacy --package-map "$map" \
	--pes "$pes" --pes-release 7:8 "${src_keys[@]}" >"$tmp/a.txt"
t_match "$(cat "$tmp/a.txt")" '^packages: [0-9]+ installed: [0-9]+ move \([0-9]+ by name, 2 by Obsoletes, 1 by PES event, 1 by package map\); 2 erase \(1 by PES event, 1 by --erase\); [0-9]+ keep \(' \
	"the text report counts the verdicts by reason"
t_is "$(grep -c '^  \(move\|erase\|keep\) ' "$tmp/a.txt")" 0 "without --verdicts no per-package list"
"$HOST_PREP" --root "$tmp/a" check --repo "$repo" --erase legacy --package-map "$map" \
	--pes "$pes" --pes-release 7:8 "${src_keys[@]}" --verdicts >"$tmp/a-all.txt"
t_is "$(grep -c '^  \(move\|erase\|keep\) ' "$tmp/a-all.txt")" "$(t_json "$j" 'len(d["packages"])')" \
	"--verdicts lists every installed package, one a line"
t_match "$(cat "$tmp/a-all.txt")" '^  move  ntpd-4\.2-1\.noarch -> chronyd-4\.1-1\.noarch \(by PES event 102\)$' "with its target and reason"

if ((real)); then
	t_match "$(verdict_of "$j" libsepol-)" '^keep not-in-target None None None source$' \
		"Red Hat's libsepol stays, signed by the source distribution (gpg-signatures.rhel.json)"
	t_match "$(verdict_of "$j" hello-)" '^keep not-in-target None None None other$' "hello stays, signed by another key: third-party"
	t_match "$(verdict_of "$j" foo-)" '^keep same-version None None None unsigned$' "foo stays: the target holds the same, unsigned"
	t_match "$(verdict_of "$j" dropped-)" ' unsigned$' "dropped is unsigned"
	t_match "$(cat "$tmp/a.txt")" '^kept, not in the target and not signed by the source distribution \(2\)' \
		"the text names the 2 kept foreign packages nothing replaces"
	t_is "$(sed -n '/^kept, not in the target/,/^[^ ]/p' "$tmp/a.txt" | grep '^  ')" "  dropped-7.0-1.noarch (unsigned)
  hello-2.0-1.x86_64 (key 4344591e1964c5fc, third-party)" \
		"dropped, and hello with its key; not libsepol, foo (the same in the target) or the old kernel"
	t_match "$(cat "$tmp/a.txt")" '^WARNING +third-party-package: hello-2\.0-1\.x86_64 \(key 4344591e1964c5fc\) is not from the distribution and stays as it is$' \
		"and the warning for it, among the warnings"
	t_match "$(cat "$tmp/a.txt")" '^info +third-party-package: oldtool-1\.0-1\.noarch \(unsigned\) is not from the distribution; the target replaces it with newtool-2\.0-1\.noarch$' \
		"a foreign package its verdict moves by Obsoletes: info, with its target"
	t_match "$(cat "$tmp/a.txt")" '^info +third-party-package: kernel-core-7\.0-1\.noarch \(unsigned\) is not from the distribution; a new one of its name is installed beside it$' \
		"the old kernel kept beside the new: info"
	t_is "$(grep -E '^WARNING +third-party-package' "$tmp/a.txt" | grep -oE '[^ ]+-[0-9][^ ]* \(' | LC_ALL=C sort | tr -d ' (' | tr '\n' ' ')" \
		"dropped-7.0-1.noarch hello-2.0-1.x86_64 " "third-party warnings for the kept ones nothing replaces, and no others"
	# Debian's rpm on the same rpmdb: the header signature's key id, or none.
	rpm --dbpath "$tmp/a/var/lib/rpm" -qa --qf '%{NEVRA} %|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|SIGPGP?{%{SIGPGP:pgpsig}}:{none}|}|\n' |
		grep -v '^gpg-pubkey-' | sed -E 's/ .*Key ID ([0-9a-f]+)$/ \1/' | LC_ALL=C sort >"$tmp/rpm-keys"
	t_json "$j" '"\n".join(sorted(p["nevra"] + " " + (p["key_id"] or "none") for p in d["packages"]))' >"$tmp/our-keys"
	t_is "$(cat "$tmp/our-keys")" "$(cat "$tmp/rpm-keys")" "every key id is the one Debian's rpm -q --qf shows"
	python3 - "$j" "$tmp/rpm-keys" "$keys" >"$tmp/sig-diff" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rpm = dict(l.split() for l in open(sys.argv[2]))
source = set(json.load(open(sys.argv[3]))["keys"])
for p in d["packages"]:
    k = rpm[p["nevra"]]
    want = "unsigned" if k == "none" else "source" if k in source else "other"
    if p["signature"] != want:
        print(p["nevra"], p["signature"], want)
PY
	t_is "$(cat "$tmp/sig-diff")" "" "every signature class follows from rpm's key id and Leapp's key list"
else
	for d in "Red Hat's libsepol stays, signed by the source distribution (gpg-signatures.rhel.json)" \
		"hello stays, signed by another key: third-party" "foo stays: the target holds the same, unsigned" \
		"dropped is unsigned" "the text names the 2 kept foreign packages nothing replaces" \
		"dropped, and hello with its key; not libsepol, foo (the same in the target) or the old kernel" \
		"and the warning for it, among the warnings" \
		"a foreign package its verdict moves by Obsoletes: info, with its target" \
		"the old kernel kept beside the new: info" "third-party warnings for the kept ones nothing replaces, and no others" \
		"every key id is the one Debian's rpm -q --qf shows" \
		"every signature class follows from rpm's key id and Leapp's key list"; do
		t_skip "$d" "no shared fixtures (signed packages, gpg-signatures.rhel.json)"
	done
fi

# What the transaction does: stage, apply, compare.
qa "$tmp/a" >"$tmp/a.before"
t_run "$HOST_PREP" --root "$tmp/a" stage --no-boot --repo "$repo" --erase legacy --package-map "$map" \
	--pes "$pes" --pes-release 7:8 "${src_keys[@]}"
t_is "$T_RC" 0 "stage succeeds"
cp "$tmp/a/var/lib/oslift/plan" "$tmp/a.plan"
t_run "$UPGRADER" --root "$tmp/a"
t_is "$T_RC" 0 "the upgrader applies it"
qa "$tmp/a" >"$tmp/a.after"
t_run crosscheck "$j" "$tmp/a.plan" "$tmp/a.before" "$tmp/a.after"
t_match "$T_OUT" "^checked $(wc -l <"$tmp/a.before")$" "a verdict for each installed package"
t_is "$(grep -v '^checked ' <<<"$T_OUT")" "" "each verdict is what the plan and the upgrade did"

# ------------------------------------------------------ --allow-erasing
copy_root "$base" "$tmp/e"
"$HOST_PREP" --root "$tmp/e" --json check --repo "$repo" --allow-erasing >"$tmp/e.json"
t_match "$(verdict_of "$tmp/e.json" legacy-)" '^erase allow-erasing None None None ' \
	"legacy, which the target breaks, is erased by --allow-erasing"
t_match "$(verdict_of "$tmp/e.json" oldname-)" '^keep not-in-target ' "without the map oldname stays"
t_match "$(verdict_of "$tmp/e.json" ntpd-)" '^keep not-in-target ' "without --pes ntpd stays"

# ------------------------------------------------------ --packages
p8=$tmp/p8 # release 8 without the clashing pair
mkdir -p "$p8"
mapfile -t r8 < <(without_clash "$pkgs/release8")
cp "${r8[@]}" "$p8/"
copy_root "$base" "$tmp/p"
"$HOST_PREP" --root "$tmp/p" --json check --packages "$p8" --erase legacy >"$tmp/p.json"
t_match "$(verdict_of "$tmp/p.json" webapp-)" '^move name webapp-8\.0-1\.noarch ' "--packages: webapp moves by name (rpm's transaction)"
t_match "$(verdict_of "$tmp/p.json" oldtool-)" '^move obsoletes newtool-2\.0-1\.noarch ' "--packages: oldtool by Obsoletes"
t_match "$(verdict_of "$tmp/p.json" legacy-)" '^erase erase None ' "--packages: legacy by --erase"
t_match "$(verdict_of "$tmp/p.json" kernel-core-7)" '^keep install-only ' "--packages: the old kernel beside the new"
t_match "$(verdict_of "$tmp/p.json" ntpd-)" '^keep not-in-target ' "--packages: ntpd stays"
qa "$tmp/p" >"$tmp/p.before"
t_run "$HOST_PREP" --root "$tmp/p" stage --no-boot --packages "$p8" --erase legacy
t_is "$T_RC" 0 "--packages: stage succeeds"
cp "$tmp/p/var/lib/oslift/plan" "$tmp/p.plan"
t_run "$UPGRADER" --root "$tmp/p"
qa "$tmp/p" >"$tmp/p.after"
t_run crosscheck "$tmp/p.json" "$tmp/p.plan" "$tmp/p.before" "$tmp/p.after"
t_match "$T_OUT" "^checked $(wc -l <"$tmp/p.before")$" "--packages: a verdict for each installed package"
t_is "$(grep -v '^checked ' <<<"$T_OUT")" "" "--packages: each verdict is what the upgrade did"

# ------------------------------------------------------ blocked, bad input
"$HOST_PREP" --root "$base" --json check --packages "$pkgs/release8" >"$tmp/b.json"
t_is "$(t_json "$tmp/b.json" '[d["blockers"] > 0, d["packages"]]')" "[True, []]" \
	"blocked before rpm's transaction: no verdicts rather than guessed ones"
t_match "$("$HOST_PREP" --root "$base" check --packages "$pkgs/release8")" \
	'^packages: [0-9]+ installed, no verdicts: what blocks stopped the check' "and the text says why"
printf '{"keys": ["199e2f91fd431d51"]}\n' >"$tmp/bad-keys.json"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --erase legacy --source-keys "$tmp/bad-keys.json"
t_is "$T_RC" 3 "a --source-keys JSON that is not Leapp's fails"
t_match "$T_OUT" "source-keys .*bad-keys\.json: a JSON file without a \"keys\" object" "naming the file and what is wrong"
printf '199e2f91fd431d51\n' >"$tmp/k1"
printf '4344591e1964c5fc\n' >"$tmp/k2"
"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --source-keys "$tmp/k1" --source-keys "$tmp/k2" >"$tmp/k.json"
if ((real)); then
	t_is "$(verdict_of "$tmp/k.json" hello- | awk '{print $NF}'):$(verdict_of "$tmp/k.json" libsepol- | awk '{print $NF}')" \
		"source:source" "--source-keys twice: the keys of both files are the source's"
else
	t_skip "--source-keys twice: the keys of both files are the source's" "no shared fixtures"
fi
# The target's --key counts as the distribution's, beside the source keys
# (the stand-ins are unsigned, so --key blocks; the solver's verdicts stand).
rpmorg=$(t_fixture keys/rpm.org-rsa-2048-test.pub)
if ((real)) && [[ -n $rpmorg ]]; then
	"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --source-keys "$keys" --key "$rpmorg" >"$tmp/key.json"
	t_is "$(verdict_of "$tmp/key.json" hello- | awk '{print $NF}'):$(verdict_of "$tmp/key.json" libsepol- | awk '{print $NF}'):$(verdict_of "$tmp/key.json" dropped- | awk '{print $NF}')" \
		"source:source:unsigned" "--key: what the target's key signed is the distribution's too"
	"$HOST_PREP" --root "$base" --json check --repo "$repo" --erase legacy --key "$rpmorg" >"$tmp/key-only.json"
	t_is "$(verdict_of "$tmp/key-only.json" hello- | awk '{print $NF}')" "None" \
		"--key alone, no source key known: not sorted (else every installed package would be third-party)"
else
	t_skip "--key: what the target's key signed is the distribution's too" "no shared fixtures"
	t_skip "--key alone, no source key known: not sorted (else every installed package would be third-party)" "no shared fixtures"
fi
