#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential check of the JSON subset parser against Python's json.

usage: diff_json.py JSON_CLI DIR...

Every fuzz-json input in DIR (corpus files) is parsed by json_cli and by
a reference built on json.loads() plus the documented restrictions (no
floats, no duplicate keys, no NaN/Infinity, no \\u0000 or lone
surrogates, integers within -2^63..2^64-1, depth <= 8, <= 64 values,
<= 4096 bytes with the NUL, NUL only at the end).  Prints mismatches
and exits non-zero if there are any.
"""
import glob
import json
import re
import subprocess
import sys

MAX_LEN, MAX_DEPTH, MAX_TOKENS = 4096, 8, 64


class Reject(Exception):
    pass


def reject(*_):
    raise Reject()


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Reject()
    return dict(pairs)


def walk(v, depth=0):
    """Yield (kind, value, depth) for every value and key."""
    if isinstance(v, dict):
        yield 'container', v, depth
        for k, e in v.items():
            yield 'str', k, depth + 1
            yield from walk(e, depth + 1)
    elif isinstance(v, list):
        yield 'container', v, depth
        for e in v:
            yield from walk(e, depth + 1)
    elif isinstance(v, str):
        yield 'str', v, depth
    elif isinstance(v, bool) or v is None:
        yield 'lit', v, depth
    else:
        yield 'int', v, depth


def reference(text, nul_appended):
    if not nul_appended:
        if not text or text[-1:] != b'\0':
            return False
        text = text[:-1]
    if len(text) + 1 > MAX_LEN or b'\0' in text:
        return False
    try:
        v = json.loads(text.decode('utf-8', 'strict'),
                       object_pairs_hook=no_dups, parse_float=reject,
                       parse_constant=reject)
    except (ValueError, Reject, RecursionError):
        return False
    items = list(walk(v))
    if len(items) > MAX_TOKENS:
        return False
    for kind, val, depth in items:
        if kind == 'container' and depth >= MAX_DEPTH:
            return False
        if kind == 'str' and ('\0' in val or
                              re.search('[\ud800-\udfff]', val)):
            return False
        if kind == 'int' and not -2**63 <= val < 2**64:
            return False
    return True


def main():
    cli, dirs = sys.argv[1], sys.argv[2:]
    files = sorted(f for d in dirs for f in glob.glob(d + '/*'))
    out = subprocess.run([cli] + files, capture_output=True, check=True)
    n = bad = 0
    for line in out.stdout.decode().splitlines():
        if line.startswith('skip'):
            continue
        ok, name, msg = line.split(' ', 2)
        data = open(name, 'rb').read()
        want = reference(data[1:], data[0] & 1)
        n += 1
        if want != (ok == '1'):
            bad += 1
            print(f'MISMATCH {name}: parser {ok} ({msg}), reference '
                  f'{int(want)}: {data[1:81]!r}')
    print(f'{"PASS" if not bad else "FAIL"}: json-diff ({n} inputs, '
          f'{bad} mismatches)')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
