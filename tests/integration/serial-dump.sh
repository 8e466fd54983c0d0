#!/bin/bash
# host-prep log --from-serial: the static binary reads the log back from
# console captures as an operator saves them, and names the problem (exit
# status 3) when it cannot; bad command lines exit 2.
#
# The dumps here come from an encoder written from docs/serial-dump.md,
# checked against the document's own reference decoder; the upgrader's
# writer itself is tested against the same decoder in
# tests/unit/test-serial-dump.c.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
doc=$TESTS_DIR/../docs/serial-dump.md

# The reference decoder, as the document has it.
sed -n '/^```python$/,/^```$/p' "$doc" | sed '1d;$d' >"$tmp/reference.py"

# make-captures.py DIR: a log and captures of its dump, clean and noisy.
cat >"$tmp/make-captures.py" <<'PY'
import base64, os, random, sys, zlib

out = sys.argv[1]
rnd = random.Random(7)

def encode(text: bytes, version: int = 1) -> list:
    """The dump's lines, as docs/serial-dump.md describes them."""
    z = zlib.compress(text, 9)
    chunks = [z[i:i + 42] for i in range(0, len(z), 42)]
    lines = [f'-----BEGIN OSLIFT LOG v{version} bytes={len(text)} lines={len(chunks)} crc32={zlib.crc32(text):08x}-----']
    for i, c in enumerate(chunks, 1):
        line = f'OSL{i:05d} {base64.b64encode(c).decode()}'
        lines.append(f'{line} {zlib.crc32(line.encode()):08x}')
    lines.append(f'-----END OSLIFT LOG v{version}-----')
    return lines

def log_text(n: int, seed: int) -> bytes:
    r = random.Random(seed)
    return ''.join(f'[{i // 10:6d}.{i * 37 % 1000:03d}] info: upgrading paquet-é-{i} ({i + 1} of {n})'
                   f' {r.getrandbits(64):016x}\n' for i in range(n)).encode()

def write(name: str, data: str):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data.encode('utf-8', 'surrogateescape'))

text = log_text(400, 1)
open(os.path.join(out, 'log.txt'), 'wb').write(text)
dump = encode(text)
announce = ('[   41.207] error: cannot write this log to /var/log/oslift/boot.log (Read-only file system); '
            "here it is, compressed: 'host-prep log --from-serial FILE' reads it from a capture of this console")
before = '[    0.000000] Linux version 6.1.0-18-amd64\n[    1.2] EXT4-fs (vda1): mounted filesystem\n'
after = '[   42.5] reboot: Restarting system\n'

write('clean.txt', before + announce + '\n' + ''.join(l + '\n' for l in dump) + after)

# As a BMC or QEMU keeps it: CRLF, colours and cursor codes, kernel and
# systemd lines between ours, one data line split by a kernel message.
noise = ['[   41.3] random: crng init done', '\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mJournal\x1b[0m.',
         '[  *** ] A start job is running for /sysroot (3s / 1min 30s)\r\x1b[K', '\x00\x00']
lines = []
for i, l in enumerate(dump):
    if i % 4 == 2:
        lines.append(noise[i % len(noise)])
    if i == 5:
        l = l[:33] + '[   41.4] ata1: link up\r\n' + l[33:]
    lines.append(('\x1b[0m' if i % 5 == 0 else '') + l)
write('noisy.txt', '\xff\xfeboot garbage' + '\r\n'.join([before.replace('\n', '\r\n') + announce] + lines) +
      '\r\n' + after.replace('\n', '\r\n'))

write('no-end.txt', before + ''.join(l + '\n' for l in dump[:-1]))

damaged = list(dump)
damaged[3] = damaged[3][:20] + ('A' if damaged[3][20] != 'A' else 'B') + damaged[3][21:]
write('damaged.txt', before + ''.join(l + '\n' for l in damaged) + after)

text2 = log_text(50, 2)
open(os.path.join(out, 'log2.txt'), 'wb').write(text2)
write('two.txt', ''.join(l + '\n' for l in dump) + after + before + ''.join(l + '\n' for l in encode(text2)) + after)

write('v2.txt', before + ''.join(l + '\n' for l in encode(text, 2)) + after)
write('no-dump.txt', before + after)
write('empty.txt', '')
PY

if ! python3 "$tmp/make-captures.py" "$tmp"; then
	t_fail "the test's captures are made"
	exit
fi

# The encoder is the document's: its reference decoder reads the captures.
ref=$(python3 -c 'import sys; exec(open(sys.argv[1]).read()); sys.stdout.buffer.write(decode(open(sys.argv[2], errors="surrogateescape").read()))' \
	"$tmp/reference.py" "$tmp/clean.txt" | cmp - "$tmp/log.txt" 2>&1) &&
	t_pass "the reference decoder of docs/serial-dump.md reads the test's dump" ||
	t_fail "the reference decoder of docs/serial-dump.md reads the test's dump" "$ref"

# decodes DESCRIPTION CAPTURE LOG [ARGS...]: exit 0 and exactly the log on stdout.
decodes() {
	local desc=$1 capture=$2 log=$3 rc=0; shift 3
	"$HOST_PREP" "$@" log --from-serial "$capture" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if ((rc == 0)) && cmp -s "$tmp/out" "$log"; then
		t_pass "$desc"
	else
		t_fail "$desc" "exit status $rc" "stderr: $(cat "$tmp/err")" "$(cmp "$tmp/out" "$log" 2>&1)"
	fi
}

decodes "a clean capture gives back the log byte for byte" "$tmp/clean.txt" "$tmp/log.txt"
decodes "a noisy capture (CRLF, escape codes, kernel lines, a split line) too" "$tmp/noisy.txt" "$tmp/log.txt"
decodes "--root does not change where FILE is" "$tmp/clean.txt" "$tmp/log.txt" --root "$tmp"
t_is "$(cat "$tmp/err")" "" "nothing on stderr when all went well"

rc=0
"$HOST_PREP" log --from-serial - <"$tmp/noisy.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
t_ok "'-' reads standard input" test "$rc" = 0
t_ok "... and gives back the log" cmp "$tmp/out" "$tmp/log.txt"

# Several dumps: the last, and a word about the others.
decodes "of two dumps, the last one" "$tmp/two.txt" "$tmp/log2.txt"
t_match "$(cat "$tmp/err")" "two.txt holds 2 dumps: this is the last one, from line [0-9]+; the dump before it ends at line [0-9]+: 'head -n [0-9]+ .*two.txt \| host-prep log --from-serial -'" \
	"and says there is another, and how to read it"
end1=$(grep -n -- '-----END OSLIFT' "$tmp/two.txt" | head -n1 | cut -d: -f1)
head -n "$end1" "$tmp/two.txt" >"$tmp/first.txt"
decodes "the hint's head -n gives the first one" "$tmp/first.txt" "$tmp/log.txt"

# failing DESCRIPTION REGEX ARGS...: exit status 3, the message matches.
failing() {
	local desc=$1 regex=$2; shift 2
	t_run "$HOST_PREP" log "$@"
	t_is "$T_RC" 3 "$desc: exit status 3"
	t_match "$T_OUT" "$regex" "$desc: the message says so"
}

failing "a file that does not exist" "cannot read $tmp/nonexistent: No such file or directory" \
	--from-serial "$tmp/nonexistent"
failing "a directory" "cannot read $tmp: Is a directory" --from-serial "$tmp"
failing "a capture without a dump" "error: no oslift log dump in $tmp/no-dump.txt$" --from-serial "$tmp/no-dump.txt"
failing "an empty capture" "no oslift log dump in $tmp/empty.txt \(it is empty\)" --from-serial "$tmp/empty.txt"
failing "a capture cut off before END" \
	"the dump in $tmp/no-end.txt is incomplete \(the END line is missing\): the capture was cut off.*--partial shows the log" \
	--from-serial "$tmp/no-end.txt"
failing "a garbled data line" \
	"does not match its checksums: 1 of its [0-9]+ data lines were lost or garbled in the capture \(OSL00003 at line 6 does not match its checksum\).*--partial shows the [0-9]+ bytes" \
	--from-serial "$tmp/damaged.txt"
failing "a dump format from the future" "is version 2; this host-prep reads version 1" --from-serial "$tmp/v2.txt"

# --partial: what the good lines carry, and exit status 3 all the same.
rc=0
"$HOST_PREP" log --from-serial "$tmp/damaged.txt" --partial >"$tmp/out" 2>"$tmp/err" || rc=$?
t_is "$rc" 3 "--partial on a damaged dump still exits 3"
size=$(stat -c %s "$tmp/out")
if ((size > 0)) && cmp -s -n "$size" "$tmp/out" "$tmp/log.txt"; then
	t_pass "--partial prints the start of the log ($size bytes), exactly"
else
	t_fail "--partial prints the start of the log, exactly" "$size bytes" "$(cat "$tmp/err")"
fi
t_match "$(cat "$tmp/err")" "above: the $size bytes of the log before that" "and says how much that is"
rc=0
"$HOST_PREP" log --from-serial "$tmp/no-end.txt" --partial >"$tmp/out" 2>/dev/null || rc=$?
t_ok "--partial on a dump without END prints the whole log" cmp "$tmp/out" "$tmp/log.txt"

# Larger than the decoder takes: the end of the file is read.
truncate -s 65M "$tmp/big.txt"
cat "$tmp/clean.txt" >>"$tmp/big.txt"
decodes "a 65 MiB capture: the dump at its end is read" "$tmp/big.txt" "$tmp/log.txt"
t_match "$(cat "$tmp/err")" "is larger than 64 MiB: reading its last 64 MiB only" "with a warning"
rm -f "$tmp/big.txt"
rc=0
{ head -c 70M /dev/zero; cat "$tmp/clean.txt"; } | "$HOST_PREP" log --from-serial - >"$tmp/out" 2>"$tmp/err" || rc=$?
t_ok "a 70 MiB pipe: the dump at its end is read" cmp "$tmp/out" "$tmp/log.txt"
t_match "$(cat "$tmp/err")" "standard input is larger than 64 MiB" "with a warning"

# Bad command lines.
t_run "$HOST_PREP" log --from-serial
t_is "$T_RC" 2 "--from-serial without FILE exits 2"
t_match "$T_OUT" "from-serial.*requires an argument|requires an argument.*from-serial" "and names the option"
t_run "$HOST_PREP" log --from-serial ""
t_is "$T_RC" 2 "an empty FILE exits 2"
t_run "$HOST_PREP" log --partial
t_is "$T_RC" 2 "--partial without --from-serial exits 2"
t_match "$T_OUT" "--partial goes with --from-serial" "and says so"
t_run "$HOST_PREP" --json log --from-serial "$tmp/clean.txt"
t_is "$T_RC" 2 "--json with --from-serial exits 2"
t_run "$HOST_PREP" log --from-serial "$tmp/clean.txt" extra
t_is "$T_RC" 2 "an extra argument exits 2"
t_run "$HOST_PREP" log --help
t_is "$T_RC" 0 "log --help exits 0"
t_match "$T_OUT" "--from-serial FILE" "log --help shows --from-serial"
