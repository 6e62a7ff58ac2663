#!/usr/bin/env bash
# The layering check: reads every `#include "..."` line under src/ and fails when a directory
# includes one it must not (docs/architecture.md states the rules):
#   lib      includes only lib
#   store    includes only lib
#   render   includes only lib
#   drivers  includes only lib (no store, no api)
#   cli      includes only lib and cli
#   api      includes no drivers and no ops
#   nothing includes api but api itself and src/berthd_main.c
#   no cycle between directories
# and on SQL text in a string literal under api/, svc/ or ops/ (the store's business).
# Each offending include is reported as FILE:LINE. The exit status is 1 when any is found.
#
# Usage: scripts/check-layers.sh [--src DIR] [--strict]
#   --src DIR   the tree to check (default: src/ of this checkout)
#   --strict    ignore ALLOWED_VIOLATIONS below
set -u
BERTH_SRC="$(cd "$(dirname "$0")/.." && pwd)/src" exec /usr/bin/env python3 - "$@" <<'PY'
import os
import re
import sys

# Exceptions, each "FILE HEADER" (FILE relative to the tree checked). There are none, and
# none may be added: fix the include instead.
ALLOWED_VIOLATIONS = """
"""

# What a directory may include besides itself (directories not named: what the other rules
# allow).
ONLY = {
    "lib": {"lib"},
    "store": {"lib"},
    "render": {"lib"},
    "drivers": {"lib"},
    "cli": {"lib"},
}
# What a directory must not include.
NEVER = {
    "api": {"drivers", "ops"},
}
# Who may include api: api itself and this file at the top of the tree.
API_USERS = {"api", "berthd_main.c"}
# The intended order from top to bottom. It only decides which edge of a cycle is reported
# (the one going up), not what is allowed.
ORDER = ["main", "api", "svc", "ops", "core", "jobs", "drivers", "render", "store", "cli", "lib"]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
# SQL text in a string literal: the store's business (store/, and jobs/ and core/ for the
# tables they own), never that of these directories, each with what to do instead.
SQL = re.compile(r'"[^"\n]*\b(SELECT\s+\S|INSERT\s+INTO|UPDATE\s+[a-z_]+\s+SET|DELETE\s+FROM|'
                 r'BEGIN\s+IMMEDIATE)')
SQL_FREE = {
    "api": "SQL in the API layer: move it to store/ behind a service (svc/)",
    "svc": "SQL in the service layer: move it to a typed store/ module",
    "ops": "SQL in the ops layer: move it to a typed store/ module",
    "core": "SQL in core: move it to a typed store/ module",
}


def sql_in_layers(src):
    """(file, line, message) of each SQL string literal under the directories of SQL_FREE."""
    out = []
    prefix = os.path.basename(os.path.normpath(src))
    for layer in sorted(SQL_FREE):
        top = os.path.join(src, layer)
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, src).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    for n, text in enumerate(f, 1):
                        if SQL.search(text):
                            out.append(("%s/%s" % (prefix, rel), n, SQL_FREE[layer]))
    return out


def layer_of(rel):
    """The directory ("layer") of a path relative to the src root: src/x.c is "main"."""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else "main"


def scan(src):
    out = []  # (file, line, from_layer, to_layer, header)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, text in enumerate(f, 1):
                    m = INCLUDE.match(text)
                    if not m:
                        continue
                    header = m.group(1)
                    # as the compiler looks: next to the file first, then -Isrc
                    here = os.path.normpath(os.path.join(os.path.dirname(rel), header))
                    if not here.startswith("..") and os.path.exists(os.path.join(src, here)):
                        target = here.replace(os.sep, "/")
                    else:
                        target = os.path.normpath(header).replace(os.sep, "/")
                    out.append((rel, n, layer_of(rel), layer_of(target), header))
    return out


def rank(layer):
    return ORDER.index(layer) if layer in ORDER else len(ORDER)


def main(argv):
    src = os.environ["BERTH_SRC"]
    strict = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--src" and args:
            src = args.pop(0)
        elif a == "--strict":
            strict = True
        else:
            print("usage: scripts/check-layers.sh [--src DIR] [--strict]", file=sys.stderr)
            return 2
    if not os.path.isdir(src):
        print("check-layers: no directory %s" % src, file=sys.stderr)
        return 2
    prefix = os.path.basename(os.path.normpath(src))
    allowed = set()
    if not strict:
        for entry in ALLOWED_VIOLATIONS.split("\n"):
            if entry.strip():
                f, h = entry.split()
                allowed.add((f, h))
    includes = scan(src)
    problems = analyze(includes, prefix, allowed)
    full = analyze(includes, prefix, set())
    used = allowed & {(f, h) for f, _, h, _ in full}

    for f, n, header, why in sorted(problems):
        print("%s:%d: includes \"%s\": %s" % (f, n, header, why))
    for f, n, why in sql_in_layers(src):
        print("%s:%d: %s" % (f, n, why))
        problems.append((f, n, "", "sql"))
    for f, h in sorted(allowed - used):
        print("check-layers: note: ALLOWED_VIOLATIONS holds \"%s %s\", which is no longer a "
              "violation: delete it" % (f, h))
    if problems:
        print("check-layers: %d include%s break%s the layering (docs/architecture.md)"
              % (len(problems), "" if len(problems) == 1 else "s", "s" if len(problems) == 1 else ""))
        return 1
    print("check-layers: ok (%d allowed violation%s left to remove)"
          % (len(used), "" if len(used) == 1 else "s"))
    return 0


def analyze(includes, prefix, allowed):
    """The offending includes as (file, line, header, why), leaving out the allowed ones."""
    problems = []
    edges = {}  # (from, to) -> [(file, line, header)] for the includes no rule forbids

    for rel, n, a, b, header in includes:
        f = prefix + "/" + rel
        if a == b or (f, header) in allowed:
            continue
        if b == "api" and a not in API_USERS and rel not in API_USERS:
            problems.append((f, n, header, "nothing includes api but api and src/berthd_main.c"))
        elif a in ONLY and b not in ONLY[a]:
            problems.append((f, n, header, "%s includes only %s" % (a, " and ".join(sorted(ONLY[a] | {a})))))
        elif b in NEVER.get(a, ()):
            problems.append((f, n, header, "%s must not include %s" % (a, b)))
        else:
            edges.setdefault((a, b), []).append((f, n, header))

    # Cycles: every cycle holds at least one edge going up ORDER; such an edge between two
    # directories of one cycle is reported (between two directories ORDER does not know, both).
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    for (a, b), sites in sorted(edges.items()):
        if rank(a) < rank(b) or not reaches(graph, b, a):
            continue
        cycle = [a] + path(graph, b, a)
        for f, n, header in sites:
            problems.append((f, n, header, "closes a cycle between directories: " + " -> ".join(cycle)))
    return problems


def path(graph, start, goal):
    """A shortest path start .. goal, both included."""
    prev, todo = {start: None}, [start]
    while todo:
        x = todo.pop(0)
        if x == goal:
            out = []
            while x is not None:
                out.append(x)
                x = prev[x]
            return out[::-1]
        for y in sorted(graph.get(x, ())):
            if y not in prev:
                prev[y] = x
                todo.append(y)
    return []


def reaches(graph, start, goal):
    return bool(path(graph, start, goal))


sys.exit(main(sys.argv[1:]))
PY
