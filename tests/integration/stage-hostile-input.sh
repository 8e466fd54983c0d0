#!/bin/bash
# What an adversarial pass gave check and stage: each gets a message naming
# the one file (or rule) at fault and what to do, check and stage agree,
# and a refusal leaves the root, and everything outside it, as it was.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"

fresh_root() { rm -rf "${tmp:?}/$1"; cp -a "$base" "$tmp/$1"; echo "$tmp/$1"; }

# A package set: release 8 with the given extra files added by the caller.
set_dir() { rm -rf "${tmp:?}/$1"; mkdir -p "$tmp/$1"; cp "$pkgs"/release8/*.rpm "$tmp/$1/"; echo "$tmp/$1"; }

# both_block DESC DIR REGEX [ARGS...]: check and stage both block with a
# finding matching REGEX, and the root is unchanged.
both_block() {
	local desc=$1 dir=$2 regex=$3 root before; shift 3
	root=$(fresh_root r-block)
	before=$(t_tree_digest "$root")
	t_run timeout 60 "$HOST_PREP" --root "$root" check --packages "$dir" --erase legacy "$@"
	t_is "$T_RC" 1 "$desc: check blocks"
	t_match "$T_OUT" "$regex" "$desc: check says what is wrong"
	t_run timeout 60 "$HOST_PREP" --root "$root" stage --packages "$dir" --erase legacy "$@"
	t_is "$T_RC" 1 "$desc: stage blocks alike"
	t_match "$T_OUT" "$regex" "$desc: stage says the same"
	t_is "$(t_tree_digest "$root")" "$before" "$desc: the root is unchanged"
	LAST_OUT=$T_OUT
}

# --- Protected packages (item 8) ---
dir=$(set_dir no-kernel); rm "$dir"/kernel-core-*.rpm
both_block "erasing the only kernel" "$dir" \
	'BLOCKER +protected: after the upgrade there would be no kernel: kernel-core-7\.0-1\.noarch is erased and nothing in the target provides one' \
	--erase kernel-core
t_match "$LAST_OUT" 'to do: .*--force-unprotected' "the finding names the override"
root=$(fresh_root r-forced); before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$dir" --erase legacy --erase kernel-core --force-unprotected
t_is "$T_RC" 0 "--force-unprotected lets it through"
t_match "$T_OUT" 'WARNING +protected-forced: after the upgrade there is no kernel' "with a warning"
t_is "$(t_tree_digest "$root")" "$before" "check --force-unprotected leaves the root unchanged"
# The kernel of release 8 installed beside 7 keeps the rule satisfied.
t_run "$HOST_PREP" --root "$root" check --packages "$pkgs/release8" --erase legacy --erase kernel-core
t_ok "erasing the old kernel with a new one in the target is fine" bash -c '! grep -q "protected" <<<"$1"' _ "$T_OUT"
# A root without a kernel gets no kernel rule.
root=$(fresh_root r-nokernel)
t_rpm "$root" -e --nodeps kernel-core
t_run "$HOST_PREP" --root "$root" check --packages "$dir" --erase legacy
t_is "$T_RC" 0 "a root that had no kernel is not asked for one"

# --- Package files (item 9) ---
# Symlinks, as mirrors and hard-link trees have them: followed.
mkdir -p "$tmp/links"; rm -f "$tmp"/links/*
for f in "$pkgs"/release8/*.rpm; do ln -s "$f" "$tmp/links/"; done
root=$(fresh_root r-links)
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/links" --erase legacy
t_is "$T_RC" 0 "symlinked packages: check passes"
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/links" --erase legacy
t_is "$T_RC" 0 "symlinked packages: stage succeeds"
t_ok "the staged copy is a regular file" test -f "$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm" -a \
	! -L "$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm"

# A FIFO named *.rpm: that file is refused, the others are still checked.
dir=$(set_dir fifo); mkfifo "$dir/pipe.rpm"
both_block "a FIFO named pipe.rpm" "$dir" "BLOCKER +package-not-a-file: $dir/pipe\.rpm is a FIFO \(named pipe\), not a package file"
t_ok "the FIFO does not stop the other packages' checks" bash -c '! grep -q "BLOCKER.*webapp" <<<"$1"' _ "$LAST_OUT"

# A valid package under a name the plan cannot hold: the same blocker in
# check and stage, saying what is wrong with the name.
dir=$(set_dir space); mv "$dir/webapp-8.0-1.noarch.rpm" "$dir/web app.rpm"
both_block "a package named 'web app.rpm'" "$dir" \
	"BLOCKER +package-file-name: $dir/web app\.rpm: the file name is not a plain file name \(contains a space\)"
t_match "$LAST_OUT" 'to do: +rename the file' "and to rename it"

# Control bytes in a name reach the terminal as '?', never raw.
dir=$(set_dir escape); cp "$pkgs/release8/webapp-8.0-1.noarch.rpm" "$dir/"$'\e[2Jx.rpm'
both_block "a file name with an escape sequence" "$dir" 'package-file-name: .*/\?\[2Jx\.rpm: the file name .*control character'
t_ok "no escape byte in the output" bash -c '! grep -q $'"'"'\e'"'"' <<<"$1"' _ "$LAST_OUT"
# ... and in errors and warnings (stderr, the upgrader's log) as \xNN.
bad=$tmp/no$'\e[2J\r'root
t_run "$HOST_PREP" --root "$bad" check --packages "$dir"
t_match "$T_OUT" 'error: --root .*/no\\x1b\[2J\\x0droot: not a directory' "host-prep's error spells the escape out"
t_ok "no escape byte or carriage return in host-prep's error" bash -c '! grep -q $'"'"'[\e\r]'"'"' <<<"$1"' _ "$T_OUT"
t_run "$UPGRADER" --root "$bad"
t_match "$T_OUT" 'error: --root .*/no\\x1b\[2J\\x0droot: ' "the upgrader's error too"
t_ok "no escape byte or carriage return in the upgrader's error" bash -c '! grep -q $'"'"'[\e\r]'"'"' <<<"$1"' _ "$T_OUT"

# The same package twice under two names.
dir=$(set_dir twice); cp "$dir/webapp-8.0-1.noarch.rpm" "$dir/webapp-copy.rpm"
both_block "one package in two files" "$dir" \
	'BLOCKER +package-duplicate: webapp-8\.0-1\.noarch is both webapp-8\.0-1\.noarch\.rpm and webapp-copy\.rpm'

# The staging directory as a symlink: refused by name, and neither the
# root nor where the link points is written.
root=$(fresh_root r-symlinked-state)
mkdir -p "$tmp/elsewhere"; echo keep >"$tmp/elsewhere/file"
ln -s "$tmp/elsewhere" "$root/var/lib/oslift"
before=$(t_tree_digest "$root"); outside=$(t_tree_digest "$tmp/elsewhere")
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 3 "a symlinked staging directory: stage fails"
t_match "$T_OUT" "error: $root/var/lib/oslift is a symbolic link; oslift stages only into a real directory owned by root: remove the link" \
	"and says so, with what to do"
t_is "$(t_tree_digest "$root")" "$before" "the root is unchanged"
t_is "$(t_tree_digest "$tmp/elsewhere")" "$outside" "where the link points is unchanged"

# --- The plan (item 10) ---
root=$(fresh_root r-plan)
"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy >/dev/null 2>&1
plan=$root/var/lib/oslift/plan
status=./var/lib/oslift/status.json

# A plan naming one NEVRA for two files is refused as it is read.
cp "$plan" "$tmp/plan.orig"
line=$(grep -m1 '^upgrade webapp-' "$plan")
cp "$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm" "$root/var/lib/oslift/packages/webapp-again.rpm"
sed "s|^upgrade webapp-8.0-1.noarch.rpm |upgrade webapp-again.rpm |" <<<"$line" >>"$plan"
t_reseal_plan "$plan"
before=$(t_tree_digest "$root" "$status")
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a plan naming one package twice: the upgrader refuses"
t_match "$T_OUT" 'package "webapp-8\.0-1\.noarch" named twice \(first on line [0-9]+\), from two files' "and says why"
t_is "$(t_tree_digest "$root" "$status")" "$before" "the root is unchanged"
rm "$root/var/lib/oslift/packages/webapp-again.rpm"

# A plan whose NEVRA is not the package's header: refused before any write.
sed 's|^\(upgrade webapp-8\.0-1\.noarch\.rpm [0-9]* [0-9a-f]*\) webapp-8\.0-1\.noarch$|\1 webapp-9.0-1.noarch|' \
	"$tmp/plan.orig" >"$plan"
t_reseal_plan "$plan"
before=$(t_tree_digest "$root" "$status")
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a plan whose NEVRA is not the header's: the upgrader refuses"
t_match "$T_OUT" 'webapp-8\.0-1\.noarch\.rpm is webapp-8\.0-1\.noarch, not webapp-9\.0-1\.noarch as the plan says' \
	"and names both"
t_is "$(t_tree_digest "$root" "$status")" "$before" "the root is unchanged"

# A staged file of the right digest but cut short: said as a size mismatch.
cp "$tmp/plan.orig" "$plan"
truncate -s -1 "$root/var/lib/oslift/packages/webapp-8.0-1.noarch.rpm"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a staged package cut short: the upgrader refuses"
t_match "$T_OUT" 'staged package webapp-8\.0-1\.noarch\.rpm was modified after staging \([0-9]+ bytes, plan says [0-9]+\)' \
	"as a size mismatch"

# A stage killed while checking leaves its spool behind; cancel removes it.
root=$(fresh_root r-stale-spool); before=$(t_tree_digest "$root")
mkdir -m 700 "$root/var/lib/.oslift-stage-AbC123"
cp "$pkgs/release8/webapp-8.0-1.noarch.rpm" "$root/var/lib/.oslift-stage-AbC123/"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "cancel after a stage that did not finish succeeds"
t_is "$(t_tree_digest "$root")" "$before" "and removes the spool it left"
