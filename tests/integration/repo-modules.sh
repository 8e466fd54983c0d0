#!/bin/bash
# EL 8 module streams in host-prep --repo: a repository (createrepo_c,
# then modules.yaml added with modifyrepo_c) with module tool in streams 1
# (the default) and 2, tool:2 requiring libmod:b where libmod's default is
# a, and outside any module a tool newer than both and a tool-ng that
# obsoletes tool and provides its name, both of which an enabled stream
# hides.
# host-prep must pick the default stream's packages, --module-stream's,
# or the system's enabled stream's, and Debian's dnf 4.14 (which reads the
# modular repodata with libmodulemd) run on an identical copy of the root
# with the same repository must pick the same.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
cases=$TESTS_DIR/packages/module-cases
pkgs=$OSLIFT_BUILD/test-packages/module-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$cases" >/dev/null

repo=$tmp/repo
cp -a "$pkgs/release8" "$repo"
createrepo_c -q "$repo"
modifyrepo_c --mdtype=modules "$cases/modules.yaml" "$repo/repodata" >/dev/null
t_ok "modifyrepo_c added the module metadata to repomd.xml" grep -q 'type="modules"' "$repo/repodata/repomd.xml"

# The source system: release 7, with tool outside any module.
base=$tmp/base
mkdir -p "$base"
t_rpm "$base" -i --quiet "$pkgs"/release7/{base-files,kernel-core,oslift-test-sh,tool}-[0-9]*.rpm
copy_root() { rm -rf "$2" && cp -a "$1" "$2"; }

mkdir -p "$tmp/home"
printf '%%_dbpath /var/lib/rpm\n' >"$tmp/home/.rpmmacros"
have_dnf=1
command -v dnf >/dev/null || have_dnf=0
# dnf on ROOT with only the test repository; platform:el8 is what the
# modules' "platform: [el8]" requires (an EL 8 system's PLATFORM_ID).
dnf_in() { # ROOT DNF-ARGS...
	local root=$1
	shift
	HOME=$tmp/home dnf -y --installroot "$root" --setopt=reposdir="$tmp/no-repos" \
		--setopt=cachedir="$tmp/dnf-cache" --setopt=keepcache=0 --setopt=module_platform_id=platform:el8 \
		--repofrompath=target,"file://${dnf_repo:-$repo}" --repo target --releasever 8 --nogpgcheck "$@"
}

# The NEVRAs a root gained: what was installed or upgraded to.
gained() { comm -13 <(awk '{print $2}' "$1.before") <(awk '{print $2}' "$1.after"); }

host_prep_apply() { # ROOT HOST-PREP-ARGS...
	local root=$1
	shift
	t_rpm_qa "$root" >"$root.before"
	"$HOST_PREP" --root "$root" stage "$@" >"$root.stage" 2>&1 || { cat "$root.stage"; return 1; }
	"$UPGRADER" --root "$root" >"$root.upgrade" 2>&1 || { cat "$root.upgrade"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	gained "$root"
}

dnf_apply() { # ROOT DNF-ARGS...
	local root=$1
	shift
	t_rpm_qa "$root" >"$root.before"
	dnf_in "$root" "$@" >"$root.dnf" 2>&1 || { cat "$root.dnf"; return 1; }
	t_rpm_qa "$root" >"$root.after"
	gained "$root"
}

plan_nevras() { awk '$1 ~ /^(upgrade|install|install-only)$/ {print $5}' "$1/var/lib/oslift/plan" | LC_ALL=C sort; }

skip_dnf() { for d in "$@"; do t_skip "$d" "dnf is not installed"; done; }

# ------------------------------------------------------- the default stream
copy_root "$base" "$tmp/d"
before=$(t_tree_digest "$tmp/d")
t_run "$HOST_PREP" --root "$tmp/d" check --repo "$repo"
t_is "$T_RC" 0 "check --repo with module metadata passes"
t_match "$T_OUT" '^info +module-stream: module tool:1 enabled \(the repositories'"'"' default stream\)$' \
	"tool's default stream 1 is enabled, and says why"
t_match "$T_OUT" '^info +module-stream: module libmod:a enabled \(the repositories'"'"' default stream\)$' \
	"so is libmod's default a"
t_match "$T_OUT" '^info +modules: 4 module streams \(5 builds\) in the repositories, 2 enabled; 5 packages of other streams or shadowed by an enabled one left out$' \
	"the other streams' packages, the non-modular tool and tool-ng, which provides tool, are left out"
t_is "$(t_tree_digest "$tmp/d")" "$before" "check writes nothing into the root"
t_run host_prep_apply "$tmp/d" --repo "$repo"
t_is "$T_RC" 0 "stage and the upgrader succeed"
ours=$T_OUT
t_match "$ours" '^tool-1\.5-1\.module_el8\+1\.noarch$' "tool comes from the default stream 1"
t_match "$ours" '^libthing-1\.0-1\.module_el8\+3\.noarch$' "its libthing from libmod's default stream a"
t_is "$(grep -c '^module=' "$tmp/d/var/lib/oslift/restore.conf")" 0 "default streams are left to dnf's defaults, not recorded"
t_ok "not the newer non-modular tool-3.0, nor tool-ng that obsoletes tool" \
	test "$(grep -c '^tool-\(3\|ng\)' <<<"$ours")" = 0
if ((have_dnf)); then
	copy_root "$base" "$tmp/d-dnf"
	t_run dnf_apply "$tmp/d-dnf" distro-sync
	t_is "$T_RC" 0 "dnf distro-sync succeeds on a copy"
	t_is "$ours" "$T_OUT" "host-prep installs the packages dnf does"
	t_is "$(cat "$tmp/d.after")" "$(cat "$tmp/d-dnf.after")" "the same packages are installed afterwards"
	t_is "$(plan_nevras "$tmp/d")" "$(gained "$tmp/d-dnf")" "the plan stages exactly the packages dnf installed"
else
	skip_dnf "dnf distro-sync succeeds on a copy" "host-prep installs the packages dnf does" \
		"the same packages are installed afterwards" "the plan stages exactly the packages dnf installed"
fi

# ----------------------------------------------------- --module-stream tool:2
copy_root "$base" "$tmp/s"
"$HOST_PREP" --root "$tmp/s" --json check --repo "$repo" --module-stream tool:2 >"$tmp/s.json"
t_is "$(t_json "$tmp/s.json" '" ".join(f["subject"] + ":" + f["details"][0] for f in d["findings"] if f["id"] == "module-stream")')" \
	"tool:reason: asked libmod:reason: required" "--json: tool:2 asked for, libmod:b required by it"
t_is "$(t_json "$tmp/s.json" '" ".join("%s:%s:%s:%s" % (m["name"], m["stream"], m["reason"], m["required_by"]) for m in d["module_streams"])')" \
	"tool:2:asked:None libmod:b:required:tool:2" "--json module_streams: each enabled stream, why, and what required it"
t_run python3 -c '
import json, sys
schema = json.load(open(sys.argv[1]))["properties"]["module_streams"]["items"]
for m in json.load(open(sys.argv[2]))["module_streams"]:
    assert sorted(m) == sorted(schema["required"]), m
    assert m["reason"] in schema["properties"]["reason"]["enum"], m
print("ok")' "$TESTS_DIR/../docs/check-json.schema.json" "$tmp/s.json"
t_is "$T_OUT" ok "module_streams holds exactly the keys and reasons docs/check-json.schema.json names"
t_match "$(t_json "$tmp/s.json" '"\n".join(f["title"] for f in d["findings"] if f["id"] == "module-stream")')" \
	'module libmod:b enabled \(required by tool:2\)' "libmod:b is enabled because tool:2 requires it"
t_run host_prep_apply "$tmp/s" --repo "$repo" --module-stream tool:2
t_is "$T_RC" 0 "stage --module-stream tool:2 and the upgrader succeed"
ours=$T_OUT
t_match "$ours" '^tool-2\.5-1\.module_el8\+2\.noarch$' "tool comes from stream 2"
t_match "$ours" '^libthing-2\.0-1\.module_el8\+4\.noarch$' "libthing from libmod:b, which tool:2 requires"
t_is "$(grep '^module=' "$tmp/s/var/lib/oslift/restore.conf")" "module=tool:2
module=libmod:b" "the restore record holds the streams the system must have enabled"
t_run "$HOST_PREP" --root "$tmp/s" restore
t_is "$T_RC" 0 "restore on the upgraded root succeeds"
t_is "$(cat "$tmp/s/etc/dnf/modules.d/tool.module" 2>&1)" "[tool]
name=tool
stream=2
profiles=
state=enabled" "restore enables tool:2 in /etc/dnf/modules.d as dnf module enable does"
t_match "$(cat "$tmp/s/etc/dnf/modules.d/libmod.module" 2>&1)" '^stream=b$' "and libmod:b, which it requires"
t_match "$(t_json "$tmp/s/var/log/oslift/report.json" '"\n".join(d["restore_actions"])')" \
	'module stream tool:2 enabled \(/etc/dnf/modules\.d/tool\.module\)' "report.json says so"
if ((have_dnf)); then
	copy_root "$base" "$tmp/s-dnf"
	t_run dnf_in "$tmp/s-dnf" module enable tool:2
	t_is "$T_RC" 0 "dnf module enable tool:2 on a copy"
	t_is "$(sed -n 's/^stream=//p' "$tmp/s-dnf/etc/dnf/modules.d/libmod.module" 2>/dev/null)" "b" \
		"dnf enables libmod:b with it"
	t_run dnf_apply "$tmp/s-dnf" distro-sync
	t_is "$T_RC" 0 "then dnf distro-sync succeeds"
	t_is "$ours" "$T_OUT" "host-prep --module-stream tool:2 installs the packages dnf does"
	t_is "$(plan_nevras "$tmp/s")" "$(gained "$tmp/s-dnf")" "the plan stages exactly the packages dnf installed"
	t_is "$(cat "$tmp/s/etc/dnf/modules.d/"*)" "$(cat "$tmp/s-dnf/etc/dnf/modules.d/"*)" \
		"the modules.d files restore wrote are those dnf module enable wrote"
	t_run dnf_in "$tmp/s" module list --enabled
	t_match "$T_OUT" '^tool +2 \[e\]' "dnf on the restored root sees tool:2 enabled"
else
	skip_dnf "dnf module enable tool:2 on a copy" "dnf enables libmod:b with it" "then dnf distro-sync succeeds" \
		"host-prep --module-stream tool:2 installs the packages dnf does" \
		"the plan stages exactly the packages dnf installed" \
		"the modules.d files restore wrote are those dnf module enable wrote" \
		"dnf on the restored root sees tool:2 enabled"
fi

# ------------------------------------------- the system's enabled stream, kept
copy_root "$base" "$tmp/k"
mkdir -p "$tmp/k/etc/dnf/modules.d"
printf '[tool]\nname=tool\nstream=2\nprofiles=\nstate=enabled\n' >"$tmp/k/etc/dnf/modules.d/tool.module"
t_run "$HOST_PREP" --root "$tmp/k" check --repo "$repo"
t_match "$T_OUT" '^info +module-stream: module tool:2 enabled \(enabled on this system\)$' \
	"an EL 8 system's enabled stream (/etc/dnf/modules.d) is kept"
t_run host_prep_apply "$tmp/k" --repo "$repo"
t_is "$T_RC" 0 "stage and the upgrader succeed with it"
t_is "$T_OUT" "$ours" "and install what --module-stream tool:2 did"
if ((have_dnf)); then
	copy_root "$base" "$tmp/k-dnf"
	mkdir -p "$tmp/k-dnf/etc/dnf/modules.d"
	cp "$tmp/k/etc/dnf/modules.d/tool.module" "$tmp/k-dnf/etc/dnf/modules.d/"
	t_run dnf_apply "$tmp/k-dnf" distro-sync
	t_is "$T_OUT" "$ours" "dnf distro-sync with the same modules.d file agrees"
else
	skip_dnf "dnf distro-sync with the same modules.d file agrees"
fi
# A module disabled on the system: none of its streams, so what is outside
# any module is no longer hidden: tool-ng obsoletes tool.
copy_root "$base" "$tmp/x"
mkdir -p "$tmp/x/etc/dnf/modules.d"
printf '[tool]\nname=tool\nstream=\nprofiles=\nstate=disabled\n' >"$tmp/x/etc/dnf/modules.d/tool.module"
t_run "$HOST_PREP" --root "$tmp/x" check --repo "$repo"
t_match "$T_OUT" '^info +module-disabled: module tool is disabled on this system' "a disabled module says so"
t_run host_prep_apply "$tmp/x" --repo "$repo"
t_is "$T_RC" 0 "stage and the upgrader succeed with tool disabled"
ours=$T_OUT
t_match "$ours" '^tool-ng-1\.0-1\.noarch$' "tool-ng, outside any module, replaces tool when the module is disabled"
if ((have_dnf)); then
	copy_root "$base" "$tmp/x-dnf"
	mkdir -p "$tmp/x-dnf/etc/dnf/modules.d"
	cp "$tmp/x/etc/dnf/modules.d/tool.module" "$tmp/x-dnf/etc/dnf/modules.d/"
	t_run dnf_apply "$tmp/x-dnf" distro-sync
	t_is "$T_OUT" "$ours" "dnf distro-sync with tool disabled agrees"
else
	skip_dnf "dnf distro-sync with tool disabled agrees"
fi

# A stream the target lacks: a warning, then the default.
copy_root "$base" "$tmp/g"
mkdir -p "$tmp/g/etc/dnf/modules.d"
printf '[tool]\nname=tool\nstream=0.9\nprofiles=\nstate=enabled\n' >"$tmp/g/etc/dnf/modules.d/tool.module"
t_run "$HOST_PREP" --root "$tmp/g" check --repo "$repo"
t_is "$T_RC" 0 "a kept stream the target lacks does not block"
t_match "$T_OUT" '^WARNING +module-stream-dropped: module tool: stream 0\.9 is enabled here, the target has 1, 2; default 1$' \
	"but warns, naming the streams the target has"
t_match "$T_OUT" '^info +module-stream: module tool:1 enabled \(the repositories'"'"' default stream\)$' "and the default is used"

# ------------------------------------------------ Leapp's events and modules
# Event 201 splits tool into tool and tool-extras, both in module stream
# tool:2, which only --module-stream enables here.
pes=$cases/pes-events.json
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --pes "$pes" --pes-release 7.9:8.0
t_match "$T_OUT" '^WARNING +pes-missing: tool-extras \(event 201\) is in no --repo repository$' \
	"a package an event brings that only a stream not enabled has is missing"
t_match "$T_OUT" '^ +- the repositories have tool-extras only in module streams that are not enabled' "which the details say"
t_match "$T_OUT" '^ +- Leapp puts it in module stream tool:2: enable it with --module-stream tool:2$' \
	"with the stream the event names and the option that enables it"
copy_root "$base" "$tmp/p"
t_run host_prep_apply "$tmp/p" --repo "$repo" --pes "$pes" --pes-release 7.9:8.0 --module-stream tool:2
t_is "$T_RC" 0 "with --module-stream tool:2, stage and the upgrader succeed"
t_match "$T_OUT" '^tool-extras-2\.5-1\.module_el8\+2\.noarch$' "and the event's tool-extras is installed from the stream"
t_match "$T_OUT" '^tool-2\.5-1\.module_el8\+2\.noarch$' "with tool from the same stream"

# ------------------------------------------------------------- bad input
before=$(t_tree_digest "$base")
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --module-stream tool:9
t_is "$T_RC" 1 "an unknown stream blocks"
t_match "$T_OUT" '^BLOCKER +module-stream-unknown: --module-stream tool:9: module tool has no stream 9; its streams: 1, 2$' \
	"naming the streams there are"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --module-stream nodejs:18
t_match "$T_OUT" '^BLOCKER +module-stream-unknown: --module-stream nodejs:18: no module nodejs; the modules: tool, libmod$' \
	"an unknown module names the modules there are"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --module-stream tool
t_is "$T_RC" 2 "--module-stream without a stream is a usage error"
t_match "$T_OUT" 'give NAME:STREAM' "that says the form"
t_run "$HOST_PREP" --root "$base" check --repo "$repo" --module-stream tool:1 --module-stream tool:2
t_is "$T_RC" 2 "two streams of one module are a usage error"
t_run "$HOST_PREP" --root "$base" check --packages "$pkgs/release8" --module-stream tool:2
t_is "$T_RC" 2 "--module-stream without --repo is a usage error"

# A repository without module metadata: --module-stream has nothing to pick.
cp -a "$pkgs/release8" "$tmp/plain"
createrepo_c -q "$tmp/plain"
t_run "$HOST_PREP" --root "$base" check --repo "$tmp/plain" --module-stream tool:2
t_match "$T_OUT" 'no module tool; the modules: \(none: the repositories have no modules.yaml\)' \
	"--module-stream on a repository without modules says there are none"

# Broken module metadata: a clear blocker naming the file and the line.
cp -a "$repo" "$tmp/broken"
mkdir -p "$tmp/bad"
printf -- '---\ndocument: modulemd\nversion: 2\ndata:\n  name: tool\n  stream: [1\n' >"$tmp/bad/modules.yaml"
modifyrepo_c --remove modules "$tmp/broken/repodata" >/dev/null
modifyrepo_c --mdtype=modules "$tmp/bad/modules.yaml" "$tmp/broken/repodata" >/dev/null
t_run "$HOST_PREP" --root "$base" check --repo "$tmp/broken"
t_is "$T_RC" 1 "broken module metadata blocks"
t_match "$T_OUT" '^BLOCKER +repodata-damaged: .*-modules\.yaml\.gz: line 7: not YAML: ' "naming the file, the line and libyaml's complaint"
t_is "$(t_tree_digest "$base")" "$before" "none of the refusals changed the root"
