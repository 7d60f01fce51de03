#!/usr/bin/env python3
"""make docs-check: the classes of stale documentation a program can catch.

Checks every Markdown file git tracks (or the files named on the command line):
  - a machine-local path (a home or workspace directory of one machine);
  - a relative link, or a link target's #anchor in a Markdown file, that does not exist;
  - a `make <target>` in code (inline or fenced) that the Makefile does not define;
  - a repository path in inline code (`dir/file.ext`) that does not exist.
Prints one line per finding (file:line: what) and exits 1 when there is any.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Directories that only exist on one machine. /tmp is left out: a scratch file in a
# command (`--env-vars /tmp/env.json`) is the same on every machine.
LOCAL_PATH = re.compile(r"(?<![\w.])/(?:work|home/[\w.-]+|root|Users/[\w.-]+)/[\w./-]*")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
MAKE_CALL = re.compile(r"(?:^\s*(?:\$\s+)?|[;&|(]\s*)make\s+((?:[A-Z_]+=\S+\s+)*)([a-z][a-z0-9-]*)")
# A path inside the repository as docs write it: a top-level folder we have, then more.
REPO_PATH = re.compile(r"^(?:\./)?((?:api|cmd|docs|events|functions|internal|localstack|scripts|statemachines|"
                       r"test|tools|web|\.ci)/(?:[\w./-]*/|[\w./-]*\.[a-z]{1,5}))$")
# Paths made by a build or a run, not tracked.
GENERATED = ("build/", ".local/", ".tools/", "web/dist/", "web/node_modules/", "web/test-results/")


def make_targets():
    """Every target the Makefile defines, and the prefixes of its pattern rules."""
    text = (ROOT / "Makefile").read_text()
    names, prefixes = set(), []
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_%.$()/ -]+?):(?!=)", line)
        if not m:
            continue
        for name in m.group(1).split():
            if name.startswith("$(addprefix"):
                continue
            if "%" in name:
                prefixes.append(name.split("%", 1)[0])
            else:
                names.add(name)
    for m in re.finditer(r"\$\(addprefix ([\w-]+),", text):
        prefixes.append(m.group(1))
    return names, prefixes


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    in_fence = False
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        m = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*$", line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def check_file(path, targets, prefixes, problems):
    rel = path.relative_to(ROOT)
    in_fence = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        where = f"{rel}:{number}"
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        for m in LOCAL_PATH.finditer(line):
            problems.append(f"{where}: machine-local path {m.group(0)}")
        code = [line] if in_fence else INLINE_CODE.findall(line)
        for snippet in code:
            for m in MAKE_CALL.finditer(snippet):
                target = m.group(2)
                if target not in targets and not any(target.startswith(p) for p in prefixes):
                    problems.append(f"{where}: `make {target}`: the Makefile has no such target")
        if in_fence:
            continue
        for snippet in INLINE_CODE.findall(line):
            m = REPO_PATH.match(snippet.strip())
            if m and not m.group(1).startswith(GENERATED) and "*" not in snippet and "<" not in snippet:
                if not (ROOT / m.group(1)).exists():
                    problems.append(f"{where}: `{snippet}` does not exist")
        for m in LINK.finditer(line):
            check_link(path, where, m.group(1), problems)


def check_link(path, where, target, problems):
    if re.match(r"^[a-z]+:", target):  # https:, mailto:
        return
    file_part, _, anchor = target.partition("#")
    dest = path if not file_part else (path.parent / file_part).resolve()
    if not dest.exists():
        problems.append(f"{where}: link to {target}: no such file")
        return
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        problems.append(f"{where}: link to {target}: no heading with that anchor")


def main(argv):
    if argv:
        files = [pathlib.Path(a).resolve() for a in argv]
    else:
        listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split()
        files = [ROOT / f for f in listed if not f.startswith("web/node_modules/")]
    targets, prefixes = make_targets()
    problems = []
    for path in files:
        check_file(path, targets, prefixes, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"docs-check: {len(problems)} problem(s) in {len(files)} Markdown files", file=sys.stderr)
        return 1
    print(f"docs-check: {len(files)} Markdown files, no machine-local path, dead link or unknown make target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
