#!/usr/bin/env python3
"""The nginx glue's layout rules (README "Layout"), checked on the sources.

1. No files depend on each other in a circle: a file depends on another
   when it names a function or module the other one defines (not static).
2. The drivers (module/drivers) include no HTTP header and use no file
   outside drivers/ but the core.
3. Every function one file uses from another is declared in a header.

Prints one line per rule broken, then "N passed, N failed".  The
argument, if any, is another module/ directory to check.
"""

import glob
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
os.chdir(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "module"))

sources = sorted(glob.glob("*.c") + glob.glob("drivers/*.c"))
headers = sorted(glob.glob("*.h") + glob.glob("drivers/*.h"))


def code(path):
    """The text without comments, string literals and #include lines."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^#include.*$", "", text, flags=re.M)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


defined = {}                    # exported name -> the file defining it
for path in sources:
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(ngx_http_dossier_\w+)\(", line)
        if m and not lines[i - 1].startswith("static"):
            defined[m.group(1)] = path
        m = re.match(r"^ngx_module_t\s+(\w+)", line)
        if m:
            defined[m.group(1)] = path

uses = {}                       # file -> {file: [names]}
for path in sources:
    text = code(path)
    uses[path] = {}
    for name, other in defined.items():
        if other != path and re.search(r"\b%s\b" % name, text):
            uses[path].setdefault(other, []).append(name)

declared = set()
for path in headers:
    declared.update(re.findall(r"\b(ngx_http_dossier_\w+)\(",
                               code(path)))
    declared.update(re.findall(r"extern\s+ngx_module_t\s+(\w+)",
                               code(path)))

broken = []                     # (rule, what)

# 1. circles, found by a depth-first walk
state = {}


def walk(path, stack):
    state[path] = "open"
    stack.append(path)
    for other in sorted(uses[path]):
        if state.get(other) == "open":
            circle = stack[stack.index(other):] + [other]
            broken.append((1, "circle: " + " -> ".join(circle)))
        elif other not in state:
            walk(other, stack)
    stack.pop()
    state[path] = "done"


for path in sources:
    if path not in state:
        walk(path, [])

# 2. drivers free of HTTP code
for path in sources + headers:
    if not path.startswith("drivers/"):
        continue
    if re.search(r"#include\s+<ngx_http", open(path).read()):
        broken.append((2, "%s includes an HTTP header" % path))
    for other in uses.get(path, {}):
        if not other.startswith("drivers/"):
            broken.append((2, "%s uses %s (%s)"
                           % (path, other, ", ".join(uses[path][other]))))

# 3. every function used across files declared in a header
for path in sources:
    for other, names in uses[path].items():
        for name in names:
            if name not in declared:
                broken.append((3, "%s uses %s of %s, declared in no header"
                               % (path, name, other)))

for rule, what in broken:
    print("layout rule %d: %s" % (rule, what))

failed = len({rule for rule, _ in broken})
print("%d files, %d names used across files" % (len(sources),
      sum(len(n) for u in uses.values() for n in u.values())))
print("%d passed, %d failed" % (3 - failed, failed))
sys.exit(1 if failed else 0)
