# shellcheck shell=bash
# Shared helpers for oslift's shell tests. Each test prints TAP (read by
# tests/run.sh, or prove); source this file, call the t_* functions, the
# plan comes at exit.
#
# A test cannot pass by accident: an abort anywhere (set -e, set -u, an
# explicit non-zero exit, a signal) becomes a failed test point naming the
# last command that failed, a file that reaches its end without a single
# test point fails, and a whole-file skip must say why (t_skip_all).
#
# Environment (set by 'make check'):
#   OSLIFT_BUILD      directory holding the built upgrader, host-prep, rpm/
#   SHARED_FIXTURES   real-world fixtures (../shared/fixtures/real); optional
#   OSLIFT_KEEP_TMP=1 keep the scratch directory (T_TMP) for a look
set -u
set -o errtrace

: "${OSLIFT_BUILD:?run through make check (OSLIFT_BUILD is not set)}"
# shellcheck disable=SC2034 # UPGRADER, HOST_PREP, T_OUT, T_RC: for the files that source this one
UPGRADER=$OSLIFT_BUILD/upgrader
# shellcheck disable=SC2034
HOST_PREP=$OSLIFT_BUILD/host-prep
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_t_count=0
_t_failed=0
_t_skip_all=
_t_last_error=
# The scratch directory, made here rather than in t_tmpdir: that one runs
# in a command substitution, whose assignments never reach this shell.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/oslift-test.XXXXXX")
# Remembers where the last command failed, for the abort report. It runs
# for every failing command (also the ones a test expects to fail), and
# costs nothing else.
trap '_t_last_error="line $LINENO: $BASH_COMMAND (exit status $?)"' ERR
trap '_t_finish' EXIT
trap '_t_signal HUP 129' HUP
trap '_t_signal INT 130' INT
trap '_t_signal TERM 143' TERM

_t_signal() {
	_t_last_error="killed by SIG$1${_t_last_error:+ (last failing command: $_t_last_error)}"
	exit "$2"
}

# _t_finish [STATUS]: the EXIT trap; a trap of its own that runs first
# passes the status the shell was exiting with.
_t_finish() {
	local rc=${1:-$?}
	trap - ERR
	set +e
	if ((rc != 0)); then
		_t_count=$((_t_count + 1)); _t_failed=$((_t_failed + 1))
		echo "not ok $_t_count - aborted with exit status $rc after $((_t_count - 1)) test points"
		printf '#   %s\n' "${_t_last_error:-no failing command recorded: an explicit exit, or set -u (see stderr)}"
	elif [[ -n $_t_skip_all ]]; then
		_t_count=$((_t_count + 1))
		echo "ok $_t_count - $(basename "$0") # SKIP $_t_skip_all"
	elif ((_t_count == 0)); then
		_t_count=1; _t_failed=1
		echo "not ok 1 - $(basename "$0") made no assertion (no test point, no t_skip_all)"
	fi
	echo "1..$_t_count"
	if [[ -n ${T_TMP:-} && -d $T_TMP ]]; then
		if [[ ${OSLIFT_KEEP_TMP:-0} == 1 ]]; then echo "# kept $T_TMP" >&2; else rm -rf "$T_TMP"; fi
	fi
	exit $((_t_failed > 0))
}

# The scratch directory, removed at exit (kept with OSLIFT_KEEP_TMP=1).
t_tmpdir() { echo "$T_TMP"; }

t_pass() { _t_count=$((_t_count + 1)); echo "ok $_t_count - $1"; }

t_fail() {
	_t_count=$((_t_count + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_count - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# t_skip DESCRIPTION REASON: one test point, counted as skipped.
t_skip() { _t_count=$((_t_count + 1)); echo "ok $_t_count - $1 # SKIP ${2:?t_skip needs a reason}"; }

# t_c_defines PREFIX FILE...: the #defines in FILEs whose names start with
# PREFIX and whose values are string literals and such names, one
# "NAME value" line each, the concatenation resolved: a C header's
# constants as a test compares them with scripts, units and manual pages.
t_c_defines() {
	python3 - "$@" <<'PY'
import re, sys
prefix, files = sys.argv[1], sys.argv[2:]
defs = {}
for f in files:
    for line in open(f):
        m = re.match(r'#define (' + re.escape(prefix) + r'\w*) ((?:"[^"]*"|[A-Z_][A-Z0-9_]*|\s)+?)\s*(/\*.*)?$', line)
        if m:
            defs[m.group(1)] = re.findall(r'"[^"]*"|[A-Z_][A-Z0-9_]*', m.group(2))
def value(name):
    return ''.join(t[1:-1] if t.startswith('"') else value(t) for t in defs[name])
for name in defs:
    print(name, value(name))
PY
}

# t_skip_all REASON: the whole file is skipped (one skipped point), exit now.
t_skip_all() {
	_t_skip_all=${1:?t_skip_all needs a reason}
	exit 0
}

# t_ok DESCRIPTION COMMAND...: passes when the command succeeds.
t_ok() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then t_pass "$desc"; else t_fail "$desc" "command: $*" "output: $out"; fi
}

# t_is GOT WANT DESCRIPTION
t_is() {
	if [[ $1 == "$2" ]]; then t_pass "$3"; else t_fail "$3" "got:  $1" "want: $2"; fi
}

# t_match TEXT REGEX DESCRIPTION (extended regex, searched line by line)
t_match() {
	if grep -Eq -- "$2" <<<"$1"; then t_pass "$3"; else t_fail "$3" "no line matches /$2/ in:" "$1"; fi
}

# t_run CMD...: runs a command, leaving its exit status in T_RC and its
# combined output in T_OUT.
t_run() {
	# shellcheck disable=SC2034
	T_OUT=$("$@" 2>&1) && T_RC=0 || T_RC=$?
}

# Path of a real-world fixture, or empty when ../shared is not there.
t_fixture() {
	local p=${SHARED_FIXTURES:-}/$1
	[[ -n ${SHARED_FIXTURES:-} && -e $p ]] && echo "$p"
}

# A digest of every file, link and directory (content, mode, owner) under
# a tree: equal digests mean nothing was changed, added or removed.
# rpmdb.sqlite-shm is left out: it is SQLite's shared-memory index of the
# write-ahead log, rewritten by every reader that opens the database (any
# rpm -q does it too) and holding no data of its own.
# t_tree_digest DIR [PATH...]: also leaving out the given paths (relative
# to DIR, "./var/lib/oslift/status.json").
t_tree_digest() {
	local dir=$1 p; shift
	local skip=(! -name '*.sqlite-shm')
	for p in "$@"; do skip+=(! -path "$p"); done
	(cd "$dir" && find . "${skip[@]}" -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort && \
		find . -type f "${skip[@]}" -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) |
		sha256sum | cut -d' ' -f1
}

# Debian's rpm on a root directory (its own default dbpath is ~/.rpmdb),
# without its "use Alien" nag.
t_rpm() {
	local root=$1 rc; shift
	# A pipeline, not a process substitution: the filter of stderr has
	# finished when t_rpm returns, so a caller that sends both streams to a
	# file and reads it at once reads all of it.
	{ rpm --root "$root" --dbpath /var/lib/rpm "$@" 2>&1 1>&3 3>&- |
		{ grep -v 'Alien\|assuming you know' >&2 || true; }; rc=${PIPESTATUS[0]}; } 3>&1
	return "$rc"
}

# A root's installed packages as "NAME NEVRA" lines, sorted, without rpm's
# gpg-pubkey entries: t_rpm_qa ROOT.
t_rpm_qa() { t_rpm "$1" -qa --qf '%{NAME} %{NEVRA}\n' | grep -v '^gpg-pubkey ' | LC_ALL=C sort; }

# What happened between two t_rpm_qa lists, one line per package:
# "install N" (a new name, or beside an install-only one that stays),
# "upgrade N" (replaces its own name), "erase N" (its name is gone).
# t_rpm_qa_changes BEFORE AFTER.
t_rpm_qa_changes() {
	awk 'NR == FNR { before[$2] = 1; bname[$1] = 1; next }
	     { after[$2] = 1; aname[$1] = 1; if (!($2 in before)) new[$2] = $1 }
	     END {
		for (n in before) if (!(n in after)) gone[n] = 1
		for (n in new) {
			replaced = 0
			for (o in gone) if (o ~ "^" new[n] "-[0-9]") replaced = 1
			print (replaced ? "upgrade " : "install ") n
		}
		for (o in gone) { name = o; sub(/-[^-]+-[^-]+$/, "", name)
			if (!(name in aname)) print "erase " o }
	     }' "$1" "$2" | LC_ALL=C sort
}

# The test package sets (tests/packages), built once per build directory.
# Prints the directory holding release7/ and release8/.
t_packages() {
	local out=$OSLIFT_BUILD/test-packages/${1:-plain}
	"$TESTS_DIR/packages/build.sh" "$out" ${2:+--fillers "$2"} >/dev/null
	echo "$out"
}

# A root with release 7 installed by Debian's rpm, an admin's edit to a
# %config(noreplace) file, and site data owned by no package.
t_make_release7_root() {
	local root=$1 pkgs=$2
	mkdir -p "$root"
	t_rpm "$root" -i --quiet "$pkgs"/release7/*.rpm
	echo "# edited by the admin" >>"$root/etc/webapp/webapp.conf"
	mkdir -p "$root/var/lib/site"
	head -c 1048576 /dev/urandom >"$root/var/lib/site/data.bin"
	echo "site notes" >"$root/var/lib/site/notes.txt"
}

# Rewrites the end line of a plan after a test edited it, so that the edit
# itself (not the checksum) is what the upgrader meets.
t_reseal_plan() {
	python3 - "$1" <<'PY'
import hashlib, sys
path = sys.argv[1]
lines = open(path, 'rb').read().split(b'\n')
body = [l for l in lines if l and not l.startswith(b'end ')]
text = b''.join(l + b'\n' for l in body)
count = sum(1 for l in body if not l.startswith(b'#'))
open(path, 'wb').write(text + b'end %d %s\n' % (count, hashlib.sha256(text).hexdigest().encode()))
PY
}

# A value from a JSON file: t_json FILE PYTHON-EXPRESSION-ON-d
t_json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# What rpm leaves on disk below a root, to compare two roots path by path:
# t_root_manifest ROOT [PREFIX...] prints one line per path (below the
# PREFIXes, relative to ROOT like ./etc, or everything): its type, mode,
# owner, group, link count, symlink target, the SHA-256 of a regular
# file and its file capabilities (security.capability, hex); then one
# "hardlinks" line per set of paths sharing an inode. Left out: the
# rpmdb (./var/lib/rpm), oslift's own state and logs (./var/lib/oslift,
# ./var/log/oslift) and the SQLite shared-memory index.
t_root_manifest() {
	python3 - "$@" <<'PY'
import hashlib, os, stat, sys
root, prefixes = sys.argv[1], sys.argv[2:] or ['.']
skip = {'./var/lib/rpm', './var/lib/oslift', './var/log/oslift'}
lines, inodes = [], {}
def entry(rel):
    p = os.path.join(root, rel)
    st = os.lstat(p)
    kind, target, digest, caps = stat.filemode(st.st_mode)[0], '-', '-', '-'
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(p)
    elif stat.S_ISREG(st.st_mode):
        with open(p, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if st.st_nlink > 1:
            inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
    try:
        caps = os.getxattr(p, 'security.capability', follow_symlinks=False).hex()
    except OSError:
        pass
    lines.append('%s %s %04o %d %d %d %s %s %s' % (rel, kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                                                st.st_nlink if not stat.S_ISDIR(st.st_mode) else 0,
                                                target, digest, caps))
def walk(rel):
    if rel in skip or rel.endswith('.sqlite-shm'):
        return
    if not os.path.lexists(os.path.join(root, rel)):
        return
    entry(rel)
    p = os.path.join(root, rel)
    if os.path.isdir(p) and not os.path.islink(p):
        for name in sorted(os.listdir(p)):
            walk(rel + '/' + name)
for prefix in prefixes:
    walk(prefix.rstrip('/') or '.')
for line in sorted(lines):
    print(line)
for group in sorted(sorted(g) for g in inodes.values()):
    print('hardlinks ' + ' '.join(group))
PY
}
