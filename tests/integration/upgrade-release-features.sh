#!/bin/bash
# What real EL 7 -> 8 transactions contain (tests/packages/release-cases),
# applied by host-prep stage + upgrader --root on one root and by
# `rpm -U` of the same packages on an identical copy: the installed set,
# every path (type, mode, owner, link count, symlink target, SHA-256,
# capabilities), the .rpmsave/.rpmnew files and the scriptlets' log (set
# and order) must be the same. The directory release 8 ships as a symlink
# is a blocker of check, found before anything is written (rpm -U refuses
# it only after running the %pretrans scriptlets); made again after
# staging, the upgrader refuses it before running anything. Prints the
# feature table (feature, agreed) from what it measured.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$OSLIFT_BUILD/test-packages/release-cases
"$TESTS_DIR/packages/build.sh" "$pkgs" --extra "$TESTS_DIR/packages/release-cases" >/dev/null

# The target: release 8 without the kernel, whose install-only handling
# plain `rpm -U` does not have (then `rpm -U target/*.rpm` is the plan
# exactly), and without rc-rpmlib-future (see the end).
# hlinktest (a real package with partial hard-link sets) is new in the
# target when the fixtures are there.
mkdir -p "$tmp/target"
for f in "$pkgs"/release8/*.rpm; do
	case $f in */kernel-core-* | */rc-rpmlib-future-*) ;; *) cp "$f" "$tmp/target/" ;; esac
done
hlinktest=$(t_fixture rpms/hlinktest-1.0-1.noarch.rpm) && cp "$hlinktest" "$tmp/target/"

nevras() { t_rpm "$1" -qa --qf '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\n' | LC_ALL=C sort; }
scriptlog() { cat "$1/var/lib/rc-log/scriptlets.log"; }

# Release 7 (legacy erased: release 8 breaks it), with the admin's edits
# of the %config files rc-config 8 replaces, drops, keeps and renames.
root=$tmp/root
t_make_release7_root "$root" "$pkgs"
t_rpm "$root" -e legacy
for f in changed kept dropped moved; do echo "# edited by the admin" >>"$root/etc/rc-config/$f.conf"; done
: >"$root/var/lib/rc-log/scriptlets.log" # only what the upgrade runs
t_ok "release 7 installs rc-caps with its capabilities (rpm as root)" \
	bash -c 'getcap "$1" | grep -q cap_net_raw=ep' _ "$root/usr/bin/rc-ping"

# --- the directory release 8 makes a symlink: a blocker of check ---
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/target"
t_is "$T_RC" 1 "check on release 7 with rc-layout's /var/rc-run a directory: blocked"
t_match "$T_OUT" '^BLOCKER +dir-symlink-conflict: /var/rc-run is a directory, but rc-layout installs it as a symlink' \
	"the blocker names the path and the package (dir-symlink-conflict)"
t_match "$T_OUT" 'move the directory.s contents where the target expects them and remove it' "and says what to do"
t_is "$(t_tree_digest "$root")" "$before" "check wrote nothing"
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target"
t_is "$T_RC" 1 "stage refuses it"
t_ok "a refused stage writes nothing" test ! -e "$root/var/lib/oslift"
# What rpm itself does with it: it refuses the whole transaction (a file
# conflict between rc-layout 7's directory and 8's symlink), but only
# after running the %pretrans scriptlets (rpm 4.18 runs them before it
# looks for file conflicts).
before_files=$(t_tree_digest "$root" './var/lib/rpm*' ./var/lib/rc-log/scriptlets.log)
cp -a "$root" "$tmp/refused"
t_rpm "$tmp/refused" -U "$tmp/target"/*.rpm >"$tmp/refused.out" 2>&1
t_ok "rpm -U of the same set refuses it too" test "$?" -ne 0
t_match "$(cat "$tmp/refused.out")" 'file /var/rc-run from install of rc-layout-8\.0-1\.noarch conflicts with file from package rc-layout-7\.0-1\.noarch' \
	"as a conflict of rc-layout 8's /var/rc-run with 7's"
t_is "$(cut -d' ' -f1,2 "$tmp/refused/var/lib/rc-log/scriptlets.log" | tr '\n' ' ')" \
	"pretrans-lua glibc pretrans-lua rc-pretrans-lua pretrans rc-pretrans " \
	"rpm -U ran the %pretrans scriptlets before it refused"
t_is "$(t_tree_digest "$tmp/refused" './var/lib/rpm*' ./var/lib/rc-log/scriptlets.log)" "$before_files" \
	"and wrote no file of any package"

# What check said to do: the contents where release 8 wants them, the
# directory made the symlink.
mkdir -p "$root/run/rc-run"
mv "$root/var/rc-run/README" "$root/run/rc-run/"
rmdir "$root/var/rc-run"
ln -s ../run/rc-run "$root/var/rc-run"
t_run "$HOST_PREP" --root "$root" check --packages "$tmp/target"
t_is "$T_RC" 0 "after the move check finds nothing blocking"
t_ok "check says nothing more of /var/rc-run" bash -c '! grep -q "/var/rc-run" <<<"$1"' _ "$T_OUT"
check_out=$T_OUT

# --- the same transaction, by oslift and by rpm -U ---
cp -a "$root" "$tmp/ref"
ref=$tmp/ref
t_run "$HOST_PREP" --root "$root" stage --packages "$tmp/target"
t_is "$T_RC" 0 "stage succeeds"
# The system changed after staging: /var/rc-run a directory again. The
# upgrader's checks before its first write find what rpm would refuse.
cp -a "$root" "$tmp/changed"
rm "$tmp/changed/var/rc-run"
mkdir "$tmp/changed/var/rc-run"
echo "site file" >"$tmp/changed/var/rc-run/keep"
before_changed=$(t_tree_digest "$tmp/changed" './var/lib/oslift*' './var/log/oslift*' './var/lib/rpm*')
t_run "$UPGRADER" --root "$tmp/changed"
t_is "$T_RC" 1 "the root changed after staging: the upgrader refuses (exit 1)"
t_match "$T_OUT" "rpm's test run of the staged transaction fails \\(nothing was changed\\)" "as rpm's test run fails"
t_match "$T_OUT" 'file /var/rc-run from install of rc-layout-8\.0-1\.noarch conflicts with file from package rc-layout-7\.0-1\.noarch' \
	"naming the path and both packages"
t_is "$(t_tree_digest "$tmp/changed" './var/lib/oslift*' './var/log/oslift*' './var/lib/rpm*')" "$before_changed" \
	"and runs nothing, not even a %pretrans (rpm -U runs those first)"
t_run "$UPGRADER" --root "$root"
echo "$T_OUT" >"$tmp/upgrader.out"
t_is "$T_RC" 0 "upgrader applies the plan"
# The undo set's hard links add one to the link count of every old file
# rpm left in place: the system compared with rpm -U's is the one kept.
t_run "$HOST_PREP" --root "$root" commit
t_is "$T_RC" 0 "commit drops the undo set"
t_rpm "$ref" -U "$tmp/target"/*.rpm >"$tmp/rpm.out" 2>&1
t_is "$?" 0 "rpm -U of the same set on the copy succeeds"

# --- the comparison ---
t_is "$(nevras "$root")" "$(nevras "$ref")" "the installed set is rpm -U's (name, epoch, version, release, arch)"
t_is "$(t_root_manifest "$root")" "$(t_root_manifest "$ref")" \
	"every path as rpm -U leaves it: type, mode, owner, links, symlink target, SHA-256, capabilities"
t_is "$(scriptlog "$root")" "$(scriptlog "$ref")" "the scriptlets ran as under rpm -U: the same lines in the same order"
t_is "$(t_rpm "$root" -Va 2>&1)" "$(t_rpm "$ref" -Va 2>&1)" "rpm -Va says the same of both"
t_is "$(cd "$root" && find . -name '*.rpmsave' -o -name '*.rpmnew' | LC_ALL=C sort)" \
	"$(cd "$ref" && find . -name '*.rpmsave' -o -name '*.rpmnew' | LC_ALL=C sort)" "the same .rpmsave and .rpmnew files"
t_is "$(t_rpm "$root" -qa --qf '[%{=NEVRA} %{FILENAMES} %{FILESTATES:fstate}\n]' | LC_ALL=C sort)" \
	"$(t_rpm "$ref" -qa --qf '[%{=NEVRA} %{FILENAMES} %{FILESTATES:fstate}\n]' | LC_ALL=C sort)" \
	"the rpmdb records every file in the same state (normal, replaced, wrong colour, ...)"

# --- each feature: what happened, and whether both agree on it ---
# feature NAME PATHS LOG-REGEX PACKAGE-REGEX: agreed when the paths below
# PATHS (manifest), the log lines matching LOG-REGEX (in order) and the
# installed packages matching PACKAGE-REGEX are the same in both roots.
table=()
feature() {
	local name=$1 paths=$2 logre=$3 pkgre=$4 agreed=yes
	# shellcheck disable=SC2086 # PATHS is a list
	[[ $(t_root_manifest "$root" $paths) == "$(t_root_manifest "$ref" $paths)" ]] || agreed=no
	[[ $(scriptlog "$root" | grep -E -- "$logre") == "$(scriptlog "$ref" | grep -E -- "$logre")" ]] || agreed=no
	[[ $(nevras "$root" | grep -E -- "$pkgre") == "$(nevras "$ref" | grep -E -- "$pkgre")" ]] || agreed=no
	table+=("$(printf '%-44s %s' "$name" "$agreed")")
	t_is "$agreed" yes "$name: oslift and rpm -U agree"
}
log=$(scriptlog "$root")
qa=$(nevras "$root")

t_match "$log" '^pretrans rc-pretrans 8 1 saw rc-pretrans-lua 7$' "%pretrans (sh) ran before anything was unpacked"
feature "%pretrans (sh)" ./usr/share/rc-pretrans '^pretrans rc-pretrans ' '^rc-pretrans-[0-9]'
t_match "$log" '^pretrans-lua rc-pretrans-lua 8 2 saw rc-pretrans-lua 7$' "%pretrans (Lua) ran before anything was unpacked"
t_ok "the Lua %pretrans of the C library ran first of all" test "$(head -n 1 <<<"$log")" = "pretrans-lua glibc 8 2"
feature "%pretrans (Lua)" ./usr/share/rc-pretrans '^pretrans-lua ' '^(rc-pretrans-lua|glibc)-'

t_match "$log" '^filetriggerun /usr/share/rc-plugins/plugin-7\.txt rc-filetrig 8 ' "%filetriggerun got the plugin file 8 drops"
t_match "$log" '^transfiletriggerin /usr/share/rc-plugins/plugin-8\.txt rc-filetrig 8 ' "%transfiletriggerin got the plugin file 8 adds"
t_ok "%transfiletriggerin ran at the end, after every %posttrans" \
	awk '/^posttrans /{p=NR} /^transfiletriggerin /{t=NR} END{exit !(p && t > p)}' <<<"$log"
feature "%transfiletriggerin / %filetriggerun" "./usr/share/rc-plugins ./usr/share/rc-filetrig" filetrigger '^rc-(filetrig|plugin)-'

t_match "$log" '^triggerun rc-target rc-trig 8 1 1$' "%triggerun of rc-trig 8 ran on the erasure of rc-target 7"
t_match "$log" '^triggerpostun rc-target rc-trig 8 1 1$' "%triggerpostun (rc-target < 8.0) too"
feature "%triggerun / %triggerpostun" "./usr/share/rc-trig ./usr/share/rc-target" '^trigger(un|postun) ' '^rc-(trig|target)-'

t_match "$qa" '^rc-epoch-1:2\.0-1\.noarch$' "the Epoch bump is an upgrade (1:2.0 over 0:7.0)"
feature "Epoch bump" ./usr/share/rc-epoch '^-$' '^rc-epoch-'

t_match "$qa" '^rc-rich-helper-0:8\.0-1\.noarch$' "the rich dependency's package is installed"
feature "rich dependency (a if b)" ./usr/share/rc-rich '^-$' '^rc-rich'
t_match "$qa" '^rc-weak-extra-0:8\.0-1\.noarch$' "the recommended package of the set is installed"
t_match "$(rpm --dbpath "$tmp/qdb" -qp --recommends "$tmp/target/rc-rich-8.0-1.noarch.rpm")" '^rc-not-shipped$' \
	"rc-rich 8 recommends rc-not-shipped, which is nowhere"
t_ok "and check did not mind it" bash -c '! grep -q rc-not-shipped <<<"$1"' _ "$check_out"
feature "weak dependency (Recommends)" ./usr/share/rc-rich/extra.txt '^-$' '^rc-weak-extra-'

t_is "$(cat "$root/var/log/rc-ghost/rc-ghost.log")" "log line from rc-ghost 7
log line from rc-ghost 8" "a %ghost file of both releases is kept"
t_ok "a %ghost file only release 7 owned is gone" test ! -e "$root/var/lib/rc-ghost/old.state"
t_is "$(cat "$root/etc/rc-ghost.conf")" "made by rc-ghost 7" "a %ghost %config file is kept"
feature "%ghost files" "./var/log/rc-ghost ./var/lib/rc-ghost ./etc/rc-ghost.conf" ' rc-ghost ' '^rc-ghost-'

for f in changed dropped moved; do
	t_match "$(cat "$root/etc/rc-config/$f.conf.rpmsave" 2>&1)" '^# edited by the admin$' "the edited $f.conf is saved as $f.conf.rpmsave"
done
t_ok "the dropped and renamed ones are gone" test ! -e "$root/etc/rc-config/dropped.conf" -a ! -e "$root/etc/rc-config/moved.conf"
t_is "$(cat "$root/etc/rc-config/changed.conf")" "changed default 8" "changed.conf is release 8's"
t_match "$(cat "$root/etc/rc-config/kept.conf")" '^# edited by the admin$' "an edited %config file 8 does not change stays as it is"
feature "%config removed or renamed (.rpmsave)" ./etc/rc-config '^-$' '^rc-config-'

t_is "$(cd "$root/usr/share/rc-hardlink" && stat -c '%n %h' a b c d | tr '\n' ' ')" "a 3 b 3 c 1 d 3 " \
	"release 8's hard links: a, b, d one inode, c its own"
t_is "$(stat -c %i "$root/usr/share/rc-hardlink/a")" "$(stat -c %i "$root/usr/share/rc-hardlink/d")" "a and d are the same file"
if [[ -n $hlinktest ]]; then
	t_is "$(cd "$root/foo" && stat -c '%n %h' aaaa copyllo hello hello-bar zzzz | tr '\n' ' ')" \
		"aaaa 2 copyllo 1 hello 4 hello-bar 4 zzzz 2 " "hlinktest's partial hard-link sets are installed as packaged"
	feature "hard links (rc-hardlink, hlinktest)" "./usr/share/rc-hardlink ./foo" '^-$' '^(rc-hardlink|hlinktest)-'
else
	t_skip "hlinktest's hard links" "fixture rpms/hlinktest-1.0-1.noarch.rpm absent"
	feature "hard links (rc-hardlink)" ./usr/share/rc-hardlink '^-$' '^rc-hardlink-'
fi

t_match "$(cat "$root/etc/passwd")" '^rcsvc:x:990:990:' "%pre added the user"
t_is "$(stat -c '%u:%g %a' "$root/var/lib/rcsvc" "$root/var/lib/rcsvc/state" | tr '\n' ' ')" "990:990 750 990:990 640 " \
	"the package's files belong to the user %pre made"
feature "%pre adds a user" "./etc/passwd ./etc/group ./var/lib/rcsvc" ' rc-user ' '^rc-user-'

t_match "$qa" '^rc-multilib-0:8\.0-1\.i686$' "the i686 half of the multilib pair is upgraded"
t_match "$qa" '^rc-multilib-0:8\.0-1\.x86_64$' "and the x86_64 half"
t_ok "the x86_64 half's /usr/bin/rc-multi wins (file colour)" grep -q 'rc-multi 8 x86_64' "$root/usr/bin/rc-multi"
t_match "$(cat "$tmp/upgrader.out")" '\] upgrading rc-multilib-8\.0-1\.i686 \(from rc-multilib-7\.0-1\.i686\)$' \
	"each half replaces its own arch (the packages are coloured): i686 from i686"
t_match "$(cat "$tmp/upgrader.out")" '\] upgrading rc-multilib-8\.0-1\.x86_64 \(from rc-multilib-7\.0-1\.x86_64\)$' \
	"and x86_64 from x86_64"
feature "multilib x86_64/i686 pair" \
	"./usr/lib64/librc-multi.so.1 ./usr/lib/librc-multi.so.1 ./usr/bin/rc-multi ./usr/share/rc-multilib ./etc/rc-multilib.conf" \
	'rc-multilib' '^rc-multilib-'

t_match "$log" '^post rc-late 8 2 sees libc 2\.28, RPM version 4\.14\.3$' "a later %post runs with the new rpm and C library"
t_match "$log" '^preun rc-late 7 1 sees libc 2\.28, RPM version 4\.14\.3$' "and release 7's %preun too"
feature "rpm replaced while scriptlets run" "./usr/bin/rpm ./usr/lib/rpm" '( rpm |rc-late)' '^(rpm|rc-late)-'
feature "C library replaced while scriptlets run" ./usr/lib/rc-libc '( glibc |rc-late)' '^(glibc|rc-late)-'

t_is "$(readlink "$root/var/rc-run")" ../run/rc-run "/var/rc-run is release 8's symlink"
feature "directory shipped as a symlink (after check's fix)" "./var/rc-run ./run/rc-run" '^-$' '^rc-layout-'

t_is "$(getcap "$root/usr/bin/rc-ping" | sed 's/.* //')" "cap_net_admin,cap_net_raw=ep" "rc-caps 8's file capabilities are set"
feature "file capabilities (%caps)" ./usr/bin/rc-ping '^-$' '^rc-caps-'

# A package needing an rpmlib() feature no librpm has: no package can
# provide it, and check says so rather than "add the package".
mkdir -p "$tmp/future"
cp "$pkgs/release8/rc-rpmlib-future-8.0-1.noarch.rpm" "$tmp/future/"
t_run "$HOST_PREP" --root "$ref" check --packages "$tmp/future"
t_is "$T_RC" 1 "a package needing rpmlib(OsliftTestFuture): blocked"
t_match "$T_OUT" '^BLOCKER +unresolved-dependency: rpmlib\(OsliftTestFuture\) <= 9\.0-1 is needed by rc-rpmlib-future-8\.0-1\.noarch' \
	"naming the feature and the package"
t_match "$T_OUT" "meaning: the package needs a feature of rpm itself that the upgrader's librpm does not have" \
	"saying it is a feature of rpm itself"
t_match "$T_OUT" 'to do: +leave the package out of the target set and install it after the upgrade' "and what to do"

printf '# %-44s %s\n' feature "agreed with rpm -U"
printf '# %s\n' "${table[@]}"
