#!/usr/bin/env python3
"""Writes the files of one group of the benchmark set (see bench.spec).

gen-tree.py BUILDROOT GROUP REL N SIZE

Deterministic: the same arguments give the same bytes.  Package i gets
/usr/share/bench/NNNN/... and, when i % 10 == 5, /etc/bench/NNNN.conf.
Most packages are small (many small, compressible files); every
LARGE_EVERY-th package is large (a few big files, part random and so
incompressible, part compressible).  Release 2 changes about 80 % of the
files, keeps the rest byte-identical, and adds one file per package.
"""
import os
import random
import sys

PRESETS = {
    # files per small package (mean), bytes per small file (mean),
    # large package every Nth, bytes per large package
    "small": dict(files=45, file_bytes=2500, large_every=10, large_bytes=8 << 20),
    "default": dict(files=200, file_bytes=3500, large_every=20, large_bytes=28 << 20),
}
GROUPS = "zxg"


def text(rng, size):
    """About 2:1 compressible: readable lines mixed with hex of random bytes."""
    out = []
    n = 0
    while n < size:
        line = "%s = %s\n" % (rng.choice(WORDS), rng.randbytes(rng.randint(8, 40)).hex())
        out.append(line)
        n += len(line)
    return "".join(out)[:size].encode()


WORDS = ["option", "value", "path", "enable", "timeout", "buffer", "module",
         "library", "config", "service", "channel", "socket", "thread", "cache"]


def main():
    root, grp, rel, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    p = PRESETS[size]
    for i in range(1, n + 1):
        if GROUPS[i % 3] != grp:
            continue
        d = os.path.join(root, "usr/share/bench/%04d" % i)
        os.makedirs(d, exist_ok=True)
        shape = random.Random("shape-%d" % i)
        if i % p["large_every"] == 0:
            total = int(p["large_bytes"] * shape.uniform(0.5, 1.5))
            nfiles = shape.randint(2, 6)
            for f in range(nfiles):
                r = random.Random("large-%d-%d-%d" % (i, f, rel))
                part = total // nfiles
                blob = r.randbytes(part // 2) + (b"\0" * 64 + r.randbytes(64)) * (part // 2 // 128)
                with open(os.path.join(d, "blob%d.bin" % f), "wb") as fh:
                    fh.write(blob)
        nfiles = max(3, int(shape.expovariate(1.0 / p["files"])))
        for f in range(nfiles):
            sub = os.path.join(d, "sub%d" % (f // 20))
            os.makedirs(sub, exist_ok=True)
            changed = shape.random() < 0.8
            r = random.Random("file-%d-%d-%d" % (i, f, rel if changed else 1))
            fsize = max(64, int(r.expovariate(1.0 / p["file_bytes"])))
            with open(os.path.join(sub, "f%d.txt" % f), "wb") as fh:
                fh.write(text(r, fsize))
        if rel >= 2:
            with open(os.path.join(d, "NEWS-%d" % rel), "w") as fh:
                fh.write("package %04d release %d\n" % (i, rel))
        if i % 10 == 5:
            os.makedirs(os.path.join(root, "etc/bench"), exist_ok=True)
            with open(os.path.join(root, "etc/bench/%04d.conf" % i), "w") as fh:
                fh.write("# bench %04d, release %d\nsetting = %d\n" % (i, rel, rel))
    if grp == "g":
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        with open(os.path.join(root, "etc/os-release"), "w") as fh:
            fh.write('NAME="oslift bench system"\nID="oslift-bench"\nID_LIKE="rhel fedora"\n'
                     'VERSION="%d"\nVERSION_ID="%d"\nPRETTY_NAME="oslift bench system %d"\n' % (rel, rel, rel))


if __name__ == "__main__":
    main()
