#!/usr/bin/env python3
"""Derive "Available since" / deprecation / removal facts for the arguments of
the alicloud Terraform resources futurestack generates, from the provider's own
documentation, and write them as a byte-stable TSV table.

Usage:
    python3 scripts/provider-since.py --git-dir <mirror> --out data/alicloud-provider.tsv

<mirror> is a (bare) git directory of github.com/aliyun/terraform-provider-alicloud,
e.g. /work/.mirror/aliyun+terraform-provider-alicloud/repo. Everything is read
with `git show <rev>:<path>`, so no work tree is needed.

Options:
    --rev REV            revision to read (default HEAD)
    --resources a,b,...  resource names to process (default: the list below)
    --all                process every resource doc (robustness self-test;
                         combine with --out /dev/null and --warn)
    --no-schema          do not cross-check against the Go schema (implies
                         --no-verify-tags)
    --no-verify-tags     do not search the release tags (saves ~10 s)
    --warn               print parser warnings to stderr

The committed data/alicloud-provider.tsv is produced by exactly the usage line
above (defaults); the header records the mirror commit it was read from.

Sources, in order of authority for each column:
  1. website/docs/r/<name>.html.markdown (falls back to docs/resources/<name>.md):
       * resource row `since`: the "-> **NOTE:** Available since vX" (or
         "Available in vX+") note in the preamble before the first `##` heading;
       * argument rows: every bullet "* `arg` - (Optional, ForceNew, Available
         since v1.239.0) ..." of the "## Argument Reference" section, plus the
         bullets of nested-block sections ("### `block`"), which are written as
         `block.arg` (deeper nesting: `a.b.arg`; headings "a-b" mean a.b);
       * the parenthetical is split on commas: "Available since|in|from X" ->
         since, "Deprecated [since|from] X" -> deprecated, "Removed [since|from]
         X" -> removed, "Modifiable in X" -> note, Required/Optional/Computed/
         ForceNew/Sensitive -> note `flags=`; a bare version ("Optional 1.85.0")
         is read as since and flagged in the note;
       * the description text: "Field `x` has been deprecated from provider
         version X", "It has been deprecated from X", "The attribute has been
         deprecated from X" (x must be the argument or its enclosing block),
         likewise "... has been removed from ...", "From version X, `x` can be
         modified|set", and the replacement ("New field `w` instead", "using `w`
         instead", "New resource [alicloud_w](..) instead", "use the new
         resource `alicloud_w`"). The parenthetical wins over the text; a
         disagreement is recorded in the note.
  2. The Go schema (alicloud/provider.go maps the resource to its constructor;
     its `Schema: map[string]*schema.Schema{...}` is parsed, nested
     `Elem: &schema.Resource{...}` included). It fills deprecated/removed where
     the docs give none or give no version (note `deprecated-src=schema`), adds
     arguments the docs omit (note `undocumented`), marks documented arguments
     the schema lacks (note `not-in-schema`), and records ForceNew/Required
     disagreements (note `schema-flags=`). Computed-only schema fields are
     attributes and are skipped.
     Its `Timeouts: &schema.ResourceTimeout{...}` gives rows `timeouts.<op>`
     (the operations a `timeouts` block may set; note `timeout-default=`).
  3. CHANGELOG.md (and the older changelog it links to, read from the tag it
     names when the mirror has it): "New Resource" entries are listed in the
     resource row's note (`changelog-new-resource=`), which flags doc/changelog
     disagreements (e.g. resources that were re-introduced).
  4. The release tags vX.Y.Z of the mirror (up to the newest CHANGELOG
     release): a binary search per argument finds the first release whose Go
     schema has it as a settable argument (`release-first=`), marks it
     Deprecated (`release-deprecated=`) or Removed (`release-removed=`); the
     resource row gets the first release registering the resource. A value
     "<=X" means releases named in the CHANGELOG are missing as tags just
     before X. These notes check the docs (which are sometimes wrong, e.g. the
     elasticsearch *_node_* fields say "Deprecated since v1.261.0" but only
     became deprecated in 1.267.0); they replace a bare `yes` in the
     deprecated/removed columns (note `deprecated-src=release`) but never
     override a version the docs state.

Output (tab-separated, '-' = unknown / none):
    # comment lines naming the source (repository, commit, date, docs path,
    # newest release in the CHANGELOG)
    resource<TAB>argument<TAB>since<TAB>deprecated<TAB>removed<TAB>note
One row per resource (argument '-', since = version the resource appeared per
its doc) and one per argument. Versions are normalised to X.Y.Z without "v".
`deprecated`/`removed` hold `yes` when the source says so without a version.
`since` is only what the source states: an argument without a stated version
is '-' (it is as old as the resource, or its block, as far as the docs tell).
Rows are sorted, and no timestamps are written, so reruns are byte-identical.

Note keys ('; '-separated): resource rows: doc=, schema= (Go file),
changelog-new-resource=, release-first=. Argument rows: flags= (from the
docs), release-first= / release-deprecated= / release-removed=, since-src=
(bare-version-in-parenthetical), modifiable-since= / settable-since= ("From
version X, `arg` can be modified|set"), replaced-by=, deprecated-src= /
removed-src= (text|schema|release: where the column value came from when not
the parenthetical), text-deprecated= / schema-deprecated= / text-removed= /
schema-removed= (a disagreeing version from that source), schema-flags=
(+ForceNew/-ForceNew/+Required/-Required: the schema differs from the docs),
nested-src=indented-bullet, no-parenthetical, undocumented (schema only),
not-in-schema (docs only).

Standard library only.
"""
import argparse
import os
import re
import subprocess
import sys

REPO = "aliyun/terraform-provider-alicloud"

DEFAULT_RESOURCES = [
    "alicloud_vpc", "alicloud_vswitch", "alicloud_security_group",
    "alicloud_security_group_rule", "alicloud_instance", "alicloud_ecs_disk",
    "alicloud_ecs_disk_attachment", "alicloud_eip_address",
    "alicloud_eip_association", "alicloud_db_instance", "alicloud_db_database",
    "alicloud_rds_account", "alicloud_db_account_privilege",
    "alicloud_kvstore_instance", "alicloud_elasticsearch_instance",
    "alicloud_ecs_command", "alicloud_ecs_invocation",
    "alicloud_oos_secret_parameter", "alicloud_ram_role", "alicloud_ram_policy",
    "alicloud_ram_role_policy_attachment", "alicloud_ecs_ram_role_attachment",
    "alicloud_kms_key", "alicloud_ecs_auto_snapshot_policy",
    "alicloud_ecs_auto_snapshot_policy_attachment", "alicloud_oss_bucket",
    "alicloud_oss_bucket_acl", "alicloud_oss_bucket_public_access_block",
    "alicloud_log_project", "alicloud_log_store", "alicloud_log_store_index",
    "alicloud_log_machine_group", "alicloud_logtail_config",
    "alicloud_logtail_attachment", "alicloud_log_alert",
    "alicloud_cs_managed_kubernetes", "alicloud_cs_kubernetes_node_pool",
]

DOC_PATHS = ["website/docs/r/{n}.html.markdown", "docs/resources/{n}.md"]

WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)


# --------------------------------------------------------------------------
# git access

class Git:
    def __init__(self, git_dir, rev):
        self.git_dir = git_dir
        self.rev = rev
        self._cache = {}

    def run(self, *args, check=True):
        p = subprocess.run(["git", "--git-dir", self.git_dir] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and p.returncode != 0:
            raise RuntimeError("git %s failed: %s" % (" ".join(args),
                                                      p.stderr.decode(errors="replace")))
        return p.returncode, p.stdout.decode("utf-8", errors="replace")

    def show(self, path, rev=None):
        key = (rev or self.rev, path)
        if key not in self._cache:
            rc, out = self.run("show", "%s:%s" % key, check=False)
            self._cache[key] = out if rc == 0 else None
        return self._cache[key]

    def ls(self, path, rev=None):
        rc, out = self.run("ls-tree", "--name-only", "%s:%s" % (rev or self.rev, path),
                           check=False)
        return out.split() if rc == 0 else []


# --------------------------------------------------------------------------
# versions

VER = r"v?\.?(\d+\.\d+(?:\.\d+)?)"
VER_RE = re.compile(VER)


def norm_version(v):
    parts = v.split(".")
    while len(parts) < 3:
        parts.append("0")
    return ".".join(str(int(p)) for p in parts[:3])


def vkey(v):
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        return (10 ** 9,)


# --------------------------------------------------------------------------
# markdown docs

FENCE_RE = re.compile(r"^\s*(```|~~~)")
H2_RE = re.compile(r"^##\s+(.*?)\s*#*\s*$")
H34_RE = re.compile(r"^#{3,4}\s+(.*?)\s*#*\s*$")
ARG_SECTION_RE = re.compile(r"^arguments?\s+reference\b", re.I)
TOP_BULLET_RE = re.compile(r"^[*-]\s+`([^`]+)`\s*(.*)$")
IND_BULLET_RE = re.compile(
    r"^(\s+)[*-]\s+`([A-Za-z][A-Za-z0-9_]*)`\s*[-:\u2013]?\s*"
    r"(\((?:Required|Optional|Deprecated|Removed|ForceNew|Computed)\b.*)$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$")
SEE_RE = re.compile(r"See\s+\[`?([A-Za-z0-9_.-]+)`?\]\(#")
FLAG_WORDS = ["Required", "Optional", "Computed", "ForceNew", "Sensitive"]
TYPE_WORDS = {"bool", "int", "map", "list", "set", "string", "float",
              "mapstring", "map(string)", "list(string)", "set(string)",
              "int64", "float64", "json", "array", "typelist", "typeset", "typemap"}


def strip_code(lines):
    out, fenced = [], False
    for ln in lines:
        if FENCE_RE.match(ln):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else ln)
    return out


def split_paren(rest):
    """rest starts with '(' -> (inside, after) using balanced parentheses."""
    depth = 0
    for i, ch in enumerate(rest):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return rest[1:i], rest[i + 1:]
    return rest[1:], ""


def split_tokens(s):
    toks, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            toks.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        toks.append(cur.strip())
    return toks


class Arg:
    def __init__(self, path):
        self.path = path
        self.since = None
        self.deprecated = None
        self.removed = None
        self.flags = set()
        self.notes = {}
        self.text = ""
        self.sources = set()

    def note(self, k, v):
        if k in self.notes and self.notes[k] != v:
            vals = set(self.notes[k].split("|")) | {v}
            self.notes[k] = "|".join(sorted(vals))
        else:
            self.notes[k] = v


def parse_paren(inside, arg, where):
    for tok in split_tokens(inside):
        low = tok.lower()
        ver = VER_RE.search(tok)
        v = norm_version(ver.group(1)) if ver else None
        words = re.findall(r"[A-Za-z]+", tok)
        for w in words:
            if w in FLAG_WORDS:
                arg.flags.add(w)
        if re.match(r"^forces?\s*new(\s+resource)?$", low):
            arg.flags.add("ForceNew")
            continue
        if "deprecat" in low or "depreac" in low:
            arg.deprecated = v or arg.deprecated or "yes"
        elif "removed" in low:
            arg.removed = v or arg.removed or "yes"
        elif "modifiable" in low or "updatable" in low:
            if v:
                arg.note("modifiable-since", v)
        elif "available" in low or "since" in low or "added" in low:
            if v:
                arg.since = v
            else:
                warn("%s: 'available' without version in (%s)" % (where, inside))
        elif v:
            # bare version, e.g. "(Optional 1.85.0)"
            arg.since = v
            arg.note("since-src", "bare-version-in-parenthetical")
        else:
            rest = [w for w in words if w not in FLAG_WORDS]
            t = tok.strip().lower().replace("type:", "").strip()
            if rest and t not in TYPE_WORDS and not all(w.lower() in TYPE_WORDS for w in rest):
                warn("%s: unrecognised parenthetical token %r" % (where, tok))


def tick(name):
    return r"[`'\"]?" + re.escape(name) + r"[`'\"]?"


SELF_SUBJ = (r"(?<![\w`'\"])(?:it|this\s+(?:field|parameter|attribute|argument)|"
             r"the\s+(?:field|parameter|attribute|argument))")


def text_version(text, names, verb):
    """Version stated in free text for `verb` (deprecated|removed) about one of
    `names` (the argument and its enclosing blocks) or a self-reference."""
    t = re.sub(r"\s+", " ", text)
    subj = "(?:" + "|".join([SELF_SUBJ] + [r"(?<![\w`'\"])(?:field\s+|attribute\s+|argument\s+|parameter\s+)?"
                                           + tick(n) + r"(?![\w`'\"])" for n in names]) + ")"
    pat = re.compile(subj + r"\s+(?:has\s+been|have\s+been|is|was|will\s+be|are)\s+"
                     + verb + r"(?:\s+(?:from|since|in|as\s+of)\s+(?:the\s+)?(?:provider\s+)?"
                     r"(?:version\s+)?" + VER + r")?", re.I)
    found = None
    for m in pat.finditer(t):
        if m.group(0).lower().find("will be") >= 0 and not m.group(1):
            continue  # "will be removed in a future version"
        if m.group(1):
            return norm_version(m.group(1))
        found = "yes"
    if verb == "deprecated" and found is None:
        if re.search(r"\bthis\s+(?:parameter|field|attribute|argument)\s+is\s+deprecated\b", t, re.I):
            found = "yes"
    return found


def replacement(text):
    t = re.sub(r"\s+", " ", text)
    pats = [
        r"(?:[`'\"]([\w.]+)[`'\"]|\[([\w.]+)\]\([^)]*\))\s+(?:instead|to\s+replace)",
        r"use\s+(?:the\s+)?new\s+(?:field|resource|attribute|argument)\s+[`'\"\[]?([\w.]+)",
        r"(?:use|using)\s+(?:field\s+)?[`'\"]([\w.]+)[`'\"]\s+instead",
        r"use\s+field\s+[`'\"]([\w.]+)[`'\"]\s+to\s+replace",
    ]
    for p in pats:
        m = re.search(p, t, re.I)
        if m:
            return next(g for g in m.groups() if g)
    return None


def modifiable_since(text, name):
    t = re.sub(r"\s+", " ", text)
    out = {}
    for m in re.finditer(r"(?:from|since)\s+(?:provider\s+)?(?:version\s+)?" + VER +
                         r",?\s+(?:" + tick(name) + r"|it)\s+(?:can|could)\s+be\s+"
                         r"(modified|updated|changed|set|removed)(?![ \t]+(?:to|as|with|from|only)\b)", t, re.I):
        kind = m.group(2).lower()
        key = "settable-since" if kind == "set" else (
            "removable-since" if kind == "removed" else "modifiable-since")
        out.setdefault(key, norm_version(m.group(1)))
    return out


def parse_block_heading(text):
    m = re.search(r"`([^`]+)`", text)
    name = m.group(1) if m else re.sub(r"^(?:block|nested\s+block)\s+", "", text.strip(), flags=re.I)
    name = name.strip().strip(":")
    if not re.match(r"^[A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z][A-Za-z0-9_]*)*$", name):
        return None
    return name.replace("-", ".")


def parse_doc(text, resource):
    lines = strip_code(text.splitlines())
    res_since, res_note = None, None
    # preamble: up to first "## "
    pre = []
    for ln in lines:
        if H2_RE.match(ln):
            break
        pre.append(ln)
    m = re.search(r"Available\s+(?:since|in|from)\s+" + VER, "\n".join(pre), re.I)
    if m:
        res_since = norm_version(m.group(1))
    else:
        # fall back: any NOTE before the Argument Reference section
        head = []
        for ln in lines:
            hm = H2_RE.match(ln)
            if hm and ARG_SECTION_RE.match(hm.group(1)):
                break
            head.append(ln)
        m = re.search(r"NOTE:?\**:?\s*Available\s+(?:since|in|from)\s+" + VER, "\n".join(head), re.I)
        if m:
            res_since = norm_version(m.group(1))
            res_note = "since-src=note-outside-preamble"
        else:
            warn("%s: no resource 'Available since' note" % resource)

    args = {}          # path -> Arg
    order = []
    see_block = {}     # block heading name -> full path of that block
    in_args = False    # inside the Argument Reference h2 section
    seen_arg_section = False
    block = None       # current nested block path, or None for top level
    block_ok = True    # whether bullets of the current h3 are arguments
    cur = None         # current Arg for continuation lines
    cur_indent_parent = None

    def get(path):
        if path not in args:
            args[path] = Arg(path)
            order.append(path)
        return args[path]

    def finish(a):
        if a is None:
            return
        # free-text facts
        names = [a.path.split(".")[-1]] + a.path.split(".")[:-1][::-1]
        txt = a.text
        d = text_version(txt, names, "deprecated")
        if d:
            if a.deprecated in (None, "yes") and d != "yes":
                if a.deprecated is None:
                    a.note("deprecated-src", "text")
                a.deprecated = d
            elif a.deprecated is None:
                a.deprecated = d
                a.note("deprecated-src", "text")
            elif d != "yes" and d != a.deprecated:
                a.note("text-deprecated", d)
        r = text_version(txt, names[:1] + [], "removed")
        if r and r != "yes" or (r == "yes" and re.search(r"has\s+been\s+removed", txt, re.I)):
            if a.removed in (None, "yes") and r != "yes":
                if a.removed is None:
                    a.note("removed-src", "text")
                a.removed = r
            elif a.removed is None:
                a.removed = r
                a.note("removed-src", "text")
            elif r != "yes" and r != a.removed:
                a.note("text-removed", r)
        if a.deprecated or a.removed:
            rep = replacement(txt)
            if rep and rep != names[0]:
                a.note("replaced-by", rep)
        for k, v in modifiable_since(txt, names[0]).items():
            if k == "removable-since":
                continue
            a.note(k, v)
        # "* `x` - ... See [`x`](#x) below." -> the "### `x`" section holds the
        # fields of the block at a.path (which may itself be nested)
        # (also "See [`block-config`](#block-config)" under a differently named
        # argument: the heading text is then mapped to that argument)
        for sm in SEE_RE.finditer(txt):
            target = sm.group(1)
            last = re.split(r"[-.]", target)[-1]
            if last == names[0] or (target not in see_block and target not in args):
                see_block.setdefault(target, a.path)

    for i, ln in enumerate(lines):
        h2 = H2_RE.match(ln)
        if h2:
            finish(cur)
            cur, cur_indent_parent = None, None
            in_args = bool(ARG_SECTION_RE.match(h2.group(1)))
            seen_arg_section = seen_arg_section or in_args
            block, block_ok = None, in_args
            continue
        h3 = H34_RE.match(ln)
        if h3:
            finish(cur)
            cur, cur_indent_parent = None, None
            if not seen_arg_section:
                block, block_ok = None, False
                continue
            name = parse_block_heading(h3.group(1))
            if name is None:
                block, block_ok = None, False
                continue
            raw = name.replace(".", "-")
            path = see_block.get(raw) or see_block.get(name) or name
            if not in_args:
                # nested blocks placed after the Argument Reference: keep only
                # blocks that are documented (or referenced) arguments
                block_ok = path in args or raw in see_block or name in see_block
            else:
                block_ok = True
            block = path
            continue
        if not seen_arg_section or not block_ok:
            continue
        m = TOP_BULLET_RE.match(ln)
        if m:
            name, rest = m.group(1).strip(), m.group(2)
            sep = re.match(r"^\s*[-:\u2013]\s*", rest)
            body = rest[sep.end():] if sep else rest
            if not NAME_RE.match(name) or not (body.startswith("(") or (
                    sep and ":" not in sep.group(0))):
                continue
            finish(cur)
            path = (block + "." + name) if block else name
            a = get(path)
            a.sources.add("doc")
            where = "%s.%s" % (resource, path)
            if body.startswith("("):
                inside, after = split_paren(body)
                parse_paren(inside, a, where)
                a.text += " " + after
            else:
                a.text += " " + body
                if not any(w in body for w in ("Available", "Deprecated", "Removed")):
                    a.note("no-parenthetical", "true")
            cur = a
            cur_indent_parent = path
            continue
        m = IND_BULLET_RE.match(ln)
        if m and cur_indent_parent is not None:
            # indented argument bullet: a nested argument of the last argument
            finish(cur)
            name, body = m.group(2), m.group(3)
            path = cur_indent_parent + "." + name
            a = get(path)
            a.sources.add("doc")
            inside, after = split_paren(body)
            parse_paren(inside, a, "%s.%s" % (resource, path))
            a.text += " " + after
            a.note("nested-src", "indented-bullet")
            cur = a
            continue
        if cur is not None:
            s = ln.strip()
            if not s:
                continue
            if ln[0] in " \t" or not (s.startswith("->") or s.startswith("~>") or s.startswith("**NOTE")):
                if ln[0] not in " \t" and (s.startswith("* ") or s.startswith("- ")):
                    finish(cur)
                    cur = None
                    continue
                cur.text += " " + s
            else:
                finish(cur)
                cur = None
    finish(cur)
    if not seen_arg_section:
        warn("%s: no Argument Reference section" % resource)
    return res_since, res_note, args


# --------------------------------------------------------------------------
# Go schema

GO_LEX_RE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'',
                       re.S)


def mask_go(src):
    """Blank out string/rune contents and comments (same length, quotes kept,
    newlines kept) so that braces inside them do not disturb brace matching."""
    def blank(m):
        t = m.group(0)
        if t[0] == "/":
            return re.sub(r"[^\n]", " ", t)
        return t[0] + re.sub(r"[^\n]", " ", t[1:-1]) + t[-1]
    return GO_LEX_RE.sub(blank, src)


def match_brace(masked, open_idx):
    depth = 0
    for i in range(open_idx, len(masked)):
        ch = masked[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(masked) - 1


def go_string_at(src, idx):
    """Read a Go string expression ("a" + "b", `raw`) starting at idx."""
    parts, i = [], idx
    while True:
        while i < len(src) and src[i] in " \t\n":
            i += 1
        if i >= len(src):
            break
        if src[i] == '"':
            j, buf = i + 1, []
            while j < len(src) and src[j] != '"':
                if src[j] == "\\" and j + 1 < len(src):
                    buf.append(src[j + 1])
                    j += 2
                    continue
                buf.append(src[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        elif src[i] == "`":
            j = src.find("`", i + 1)
            parts.append(src[i + 1:j])
            i = j + 1
        else:
            break
        k = i
        while k < len(src) and src[k] in " \t\n":
            k += 1
        if k < len(src) and src[k] == "+":
            i = k + 1
            continue
        break
    return "".join(parts) if parts else None


def top_level_text(masked, start, end):
    """masked[start:end] with nested {...} contents blanked."""
    out, depth = [], 0
    for ch in masked[start:end]:
        if ch == "{":
            depth += 1
            out.append(ch if depth == 1 else " ")
        elif ch == "}":
            out.append(ch if depth == 1 else " ")
            depth -= 1
        else:
            out.append(ch if depth == 0 else (" " if ch != "\n" else "\n"))
    return "".join(out)


# on masked text the key's contents are blanks; the key is read back from src
ENTRY_RE = re.compile(r'"( +)"\s*:\s*(?:(?:&schema\.Schema\s*)?(\{)|([A-Za-z_][A-Za-z0-9_.]*)\s*\()')


def parse_schema_map(src, masked, open_idx, prefix, out):
    close = match_brace(masked, open_idx)
    lvl = top_level_text(masked, open_idx + 1, close)
    # entries: key positions at depth 0 of the map body (quotes are kept in the mask)
    for m in ENTRY_RE.finditer(lvl):
        key_start = open_idx + 1 + m.start()
        key = src[key_start + 1: src.index('"', key_start + 1)]
        if m.group(3):
            # value built by a helper, e.g. "tags": tagsSchema()
            out[prefix + key] = {"flags": {"?"}, "deprecated": None, "removed": None,
                                 "helper": m.group(3)}
            continue
        body_open = open_idx + 1 + m.end() - 1
        body_close = match_brace(masked, body_open)
        btop = top_level_text(masked, body_open + 1, body_close)
        path = prefix + key
        info = {"flags": set(), "deprecated": None, "removed": None}
        for f in ("Required", "Optional", "Computed", "ForceNew", "Sensitive"):
            if re.search(r"\b" + f + r"\s*:\s*true\b", btop):
                info["flags"].add(f)
        for f in ("Deprecated", "Removed"):
            fm = re.search(r"\b" + f + r"\s*:\s*", btop)
            if fm:
                s = go_string_at(src, body_open + 1 + fm.end())
                info[f.lower()] = s if s is not None else "?"
        out[path] = info
        em = re.search(r"\bElem\s*:\s*&schema\.Resource\s*\{", btop)
        if em:
            e_open = body_open + 1 + em.end() - 1
            e_close = match_brace(masked, e_open)
            etop = top_level_text(masked, e_open + 1, e_close)
            sm = re.search(r"\bSchema\s*:\s*map\[string\]\*schema\.Schema\s*\{", etop)
            if sm:
                parse_schema_map(src, masked, e_open + 1 + sm.end() - 1, path + ".", out)
            else:
                warn("schema %s: Elem resource without inline Schema map" % path)
        elif re.search(r"\bElem\s*:\s*[A-Za-z_][A-Za-z0-9_.]*\(", btop):
            warn("schema %s: Elem built by a function call, nested fields not read" % path)
    return out


class GoSchema:
    """Resource schemas of the provider at one revision."""

    def __init__(self, git, rev=None, quiet=False):
        self.git = git
        self.rev = rev or git.rev
        self.quiet = quiet
        self.provider = git.show("alicloud/provider.go", rev=self.rev) or ""
        # only the ResourcesMap (the DataSourcesMap reuses many names)
        rm = re.search(r"\bResourcesMap\s*:\s*map\[string\]\*schema\.Resource\s*\{", self.provider)
        self.region = self.provider
        if rm:
            pm = mask_go(self.provider)
            self.region = self.provider[rm.end() - 1: match_brace(pm, rm.end() - 1) + 1]
        elif not quiet:
            warn("schema: ResourcesMap not found in provider.go")

    def _warn(self, msg):
        if not self.quiet:
            warn(msg)

    def constructor(self, resource):
        m = re.search(r'"%s"\s*:\s*([A-Za-z0-9_]+)\(\)' % re.escape(resource), self.region)
        return m.group(1) if m else None

    def func_file(self, func, hint=None):
        if hint:
            src = self.git.show(hint, rev=self.rev)
            if src and re.search(r"^func %s\(\)" % re.escape(func), src, re.M):
                return hint
        rc, out = self.git.run("grep", "-l", "-E", r"^func %s\(\)" % re.escape(func),
                               self.rev, "--", "alicloud/", check=False)
        for line in out.splitlines():
            return line.split(":", 1)[1] if ":" in line else line
        return None

    def schema(self, resource, hint=None):
        func = self.constructor(resource)
        if not func:
            self._warn("schema: %s not registered in provider.go" % resource)
            return None
        path = self.func_file(func, hint)
        if not path:
            self._warn("schema: constructor %s of %s not found" % (func, resource))
            return None
        src = self.git.show(path, rev=self.rev)
        masked = mask_go(src)
        fm = re.search(r"^func %s\(\)[^{]*\{" % re.escape(func), masked, re.M)
        f_open = fm.end() - 1
        f_close = match_brace(masked, f_open)
        sm = re.search(r"\bSchema\s*:\s*map\[string\]\*schema\.Schema\s*\{",
                       masked[f_open:f_close])
        if not sm:
            self._warn("schema: %s (%s) has no inline Schema map" % (resource, path))
            return None
        out = parse_schema_map(src, masked, f_open + sm.end() - 1, "", {})
        return path, out, self.timeouts(masked[f_open:f_close])

    @staticmethod
    def timeouts(body):
        """`Timeouts: &schema.ResourceTimeout{Create: schema.DefaultTimeout(5 * time.Minute), ...}`
        -> {"create": "5m"}: the operations a `timeouts` block may set, with their defaults."""
        tm = re.search(r"\bTimeouts\s*:\s*&schema\.ResourceTimeout\s*\{([^{}]*)\}", body)
        if not tm:
            return {}
        out = {}
        for op, num, unit in re.findall(
                r"\b(Create|Read|Update|Delete|Default)\s*:\s*schema\.DefaultTimeout\(\s*(\d+)\s*\*\s*time\.(Second|Minute|Hour)\s*\)",
                tm.group(1)):
            out[op.lower()] = num + unit[0].lower()
        return out


class ReleaseHistory:
    """Binary searches over the release tags vX.Y.Z (up to the newest release
    named in the CHANGELOG) for the first release whose schema has an argument,
    marks it Deprecated, or marks it Removed. Assumes these facts, once true,
    stay true up to the newest release (checked at both ends)."""

    def __init__(self, git, newest, released=()):
        _, out = git.run("tag", "--list", "v*")
        tags = []
        for t in out.split():
            m = re.match(r"^v(\d+)\.(\d+)\.(\d+)$", t)
            if m:
                v = tuple(int(x) for x in m.groups())
                if newest is None or v <= vkey(newest):
                    tags.append((v, t))
        self.tags = [t for _, t in sorted(tags)]
        self.released = sorted(set(vkey(v) for v in released))
        self.git = git
        self._schemas = {}
        self.hint = {}

    def schema(self, tag, resource):
        key = (tag, resource)
        if key not in self._schemas:
            gs = self._gs(tag)
            r = None
            try:
                r = gs.schema(resource, self.hint.get(resource))
            except Exception as e:  # a historical layout we do not understand
                warn("history: %s at %s: %s" % (resource, tag, e))
            if r:
                self.hint[resource] = r[0]
            self._schemas[key] = r[1] if r else None
        return self._schemas[key]

    def _gs(self, tag):
        if not hasattr(self, "_gcache"):
            self._gcache = {}
        if tag not in self._gcache:
            gs = GoSchema(self.git, tag, quiet=True)
            gs.provider = None  # keep only the ResourcesMap text
            self._gcache[tag] = gs
        return self._gcache[tag]

    def annotate(self, resource, args, rnotes):
        """Add release-* notes to the resource row notes and to each Arg."""
        first = self.first(lambda t: self._gs(t).constructor(resource) is not None)
        if first:
            rnotes.append("release-first=" + first)

        def settable(info):
            return bool(info["flags"] & {"Required", "Optional", "?"}) or bool(
                info["deprecated"]) or bool(info["removed"])

        def has(path, key=None, need_settable=False):
            def pred(t):
                sch = self.schema(t, resource)
                if not sch or path not in sch:
                    return False
                if need_settable and not settable(sch[path]):
                    return False  # still a computed-only attribute then
                return True if key is None else bool(sch[path][key])
            return pred

        head = self.schema(self.tags[-1], resource) if self.tags else None
        for path, a in args.items():
            need = bool(head and path in head and settable(head[path]))
            v = self.first(has(path, None, need))
            if v:
                a.note("release-first", v)
            for key, note in (("deprecated", "release-deprecated"), ("removed", "release-removed")):
                v = self.first(has(path, key))
                if v:
                    a.note(note, v)
                    col = getattr(a, key)
                    if col == "yes" and not v.startswith("<="):
                        setattr(a, key, v)
                        a.note(key + "-src", "release")

    def first(self, pred):
        """Smallest tag index with pred true, given pred(last) is true."""
        if not self.tags or not pred(self.tags[-1]):
            return None
        lo, hi = 0, len(self.tags) - 1
        if pred(self.tags[0]):
            return self.tags[0][1:]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pred(self.tags[mid]):
                hi = mid
            else:
                lo = mid
        v = self.tags[hi][1:]
        # releases named in the CHANGELOG but missing as tags between the last
        # "false" tag and this one make the answer an upper bound
        a, b = vkey(self.tags[lo][1:]), vkey(v)
        if any(a < r < b for r in self.released):
            return "<=" + v
        return v


def schema_version(msg, verb):
    if msg is None:
        return None
    m = re.search(verb + r"\w*\s+(?:from|since|in|as\s+of)?\s*(?:the\s+)?(?:provider\s+)?"
                  r"(?:version\s+)?" + VER, msg, re.I)
    if m:
        return norm_version(m.group(1))
    m = VER_RE.search(msg)
    if m and re.search(verb, msg, re.I):
        return norm_version(m.group(1))
    return "yes"


# --------------------------------------------------------------------------
# CHANGELOG

NEW_RES_RE = re.compile(r"^\s*[-*]\s*[*_]{1,2}New\s+Resources?:?[*_]{1,2}:?\s*(.*)$", re.I)
H_VER_RE = re.compile(r"^##\s+v?(\d+\.\d+\.\d+)\s*\(([^)]*)\)")


def changelog_entries(text):
    """-> list of (version, date, [resource names]) and the 'see vX' link."""
    out, ver, date = [], None, None
    for ln in text.splitlines():
        h = H_VER_RE.match(ln)
        if h:
            ver, date = h.group(1), h.group(2)
            continue
        m = NEW_RES_RE.match(ln)
        if m and ver:
            names = re.findall(r"alicloud_[a-z0-9_]*[a-z0-9]", m.group(1))
            out.append((ver, date, names))
    link = re.search(r"\[(v\d+\.\d+\.\d+) changelog\]", text)
    return out, (link.group(1) if link else None)


def released_versions(text):
    return [h.group(1) for h in (H_VER_RE.match(ln) for ln in text.splitlines())
            if h and "unreleased" not in h.group(2).lower()]


def newest_release(text):
    for ln in text.splitlines():
        h = H_VER_RE.match(ln)
        if h and "unreleased" not in h.group(2).lower():
            return h.group(1), h.group(2)
    return None, None


def unreleased(text):
    for ln in text.splitlines():
        h = H_VER_RE.match(ln)
        if h:
            return h.group(1) if "unreleased" in h.group(2).lower() else None
    return None


# --------------------------------------------------------------------------

def cell(v):
    if v is None or v == "":
        return "-"
    return re.sub(r"[\t\r\n]+", " ", str(v)).strip() or "-"


NOTE_ORDER = ["flags", "release-first", "release-deprecated", "release-removed", "since-src", "modifiable-since", "settable-since",
              "replaced-by", "deprecated-src", "text-deprecated", "schema-deprecated",
              "removed-src", "text-removed", "schema-removed", "schema-flags",
              "nested-src", "timeout-default", "no-parenthetical", "undocumented", "not-in-schema"]


def note_str(a):
    items = []
    if a.flags:
        items.append("flags=" + ",".join(f for f in FLAG_WORDS if f in a.flags))
    keys = sorted(a.notes, key=lambda k: (NOTE_ORDER.index(k) if k in NOTE_ORDER else 99, k))
    for k in keys:
        items.append(k if a.notes[k] == "true" else "%s=%s" % (k, a.notes[k]))
    return "; ".join(items) if items else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--git-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--resources")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--no-schema", action="store_true")
    ap.add_argument("--warn", action="store_true")
    ap.add_argument("--no-verify-tags", action="store_true",
                    help="skip the release-tag search (notes release-*)")
    opts = ap.parse_args()

    git = Git(opts.git_dir, opts.rev)
    _, sha = git.run("rev-parse", opts.rev + "^{commit}")
    sha = sha.strip()
    _, cdate = git.run("log", "-1", "--format=%cI", sha)
    _, describe = git.run("describe", "--tags", sha, check=False)

    if opts.all:
        resources = sorted("alicloud_" + f.split(".")[0] for f in git.ls("website/docs/r/")
                           if f.endswith(".html.markdown"))
    elif opts.resources:
        resources = [r.strip() for r in opts.resources.split(",") if r.strip()]
    else:
        resources = list(DEFAULT_RESOURCES)

    changelog = git.show("CHANGELOG.md") or ""
    rel_ver, rel_date = newest_release(changelog)
    unrel = unreleased(changelog)
    entries, older = changelog_entries(changelog)
    all_releases = released_versions(changelog)
    older_note = None
    if older:
        old_text = git.show("CHANGELOG.md", rev=older)
        if old_text:
            all_releases += released_versions(old_text)
            e2, _ = changelog_entries(old_text)
            entries += e2
            older_note = "CHANGELOG.md at tag %s" % older
        else:
            warn("older changelog %s not in mirror" % older)
    new_res = {}
    for ver, _, names in entries:
        for n in names:
            new_res.setdefault(n, set()).add(ver)

    schema = None if opts.no_schema else GoSchema(git)
    history = ReleaseHistory(git, rel_ver, [v for v, _, _ in entries] + all_releases) if (
        not opts.no_verify_tags and schema is not None) else None
    rows = []
    doc_paths_used = set()
    for res in resources:
        short = res[len("alicloud_"):] if res.startswith("alicloud_") else res
        text, used = None, None
        for p in DOC_PATHS:
            text = git.show(p.format(n=short))
            if text is not None:
                used = p
                break
        if text is None:
            warn("%s: no doc found" % res)
            rows.append((res, "-", "-", "-", "-", "no-doc"))
            continue
        doc_paths_used.add(used)
        res_since, res_note, args = parse_doc(text, res)
        rnotes = ["doc=" + used.format(n=short)]
        if res_note:
            rnotes.append(res_note)
        if res in new_res:
            vs = sorted(new_res[res], key=vkey)
            rnotes.append("changelog-new-resource=" + ",".join(vs))
        if schema is not None:
            sres = schema.schema(res)
            if sres:
                spath, smap, stimeouts = sres
                rnotes.append("schema=" + spath)
                for op, default in sorted(stimeouts.items()):
                    t = Arg("timeouts." + op)
                    t.flags.add("Optional")
                    t.note("timeout-default", default)
                    t.sources.add("schema")
                    rows.append((res, t.path, "-", "-", "-", note_str(t)))
                for path, info in smap.items():
                    is_arg = (info["flags"] & {"Required", "Optional", "?"}) or info["deprecated"] or info["removed"]
                    a = args.get(path)
                    if a is None:
                        if not is_arg:
                            continue
                        parent = path.rsplit(".", 1)[0] if "." in path else None
                        if parent and parent not in args and parent in smap and not (
                                smap[parent]["flags"] & {"Required", "Optional"}):
                            continue  # field of a computed-only block
                        a = Arg(path)
                        args[path] = a
                        a.note("undocumented", "true")
                        a.flags |= info["flags"] & set(FLAG_WORDS)
                    a.sources.add("schema")
                    for kind in ("deprecated", "removed"):
                        sv = schema_version(info[kind], kind[:-1] if kind == "removed" else "deprecat")
                        if not sv:
                            continue
                        dv = getattr(a, kind)
                        if dv is None or (dv == "yes" and sv != "yes"):
                            setattr(a, kind, sv)
                            a.note(kind + "-src", "schema")
                        elif sv != "yes" and sv != dv:
                            a.note("schema-" + kind, sv)
                    if "doc" in a.sources and is_arg and "?" not in info["flags"]:
                        diff = []
                        for f in ("Required", "ForceNew"):
                            if (f in info["flags"]) != (f in a.flags):
                                diff.append(("+" if f in info["flags"] else "-") + f)
                        if diff:
                            a.note("schema-flags", ",".join(diff))
                for path, a in args.items():
                    if "schema" not in a.sources:
                        a.note("not-in-schema", "true")
                if history is not None:
                    history.hint[res] = spath
                    history.annotate(res, args, rnotes)
        rows.append((res, "-", cell(res_since), "-", "-", "; ".join(rnotes)))
        for path, a in args.items():
            rows.append((res, path, cell(a.since), cell(a.deprecated), cell(a.removed), note_str(a)))

    rows = sorted(set(tuple(cell(c) for c in r) for r in rows),
                  key=lambda r: (r[0], r[1] != "-", r[1]))
    header = [
        "# alicloud provider: argument availability / deprecation, derived from the provider's documentation",
        "# generated-by: scripts/provider-since.py (see its docstring for the rules and the note keys)",
        "# source-repository: %s" % REPO,
        "# source-commit: %s" % sha,
        "# source-commit-date: %s" % cdate.strip(),
        "# source-describe: %s" % (describe.strip() or "-"),
        "# docs-path: %s" % ", ".join(sorted(p.replace("{n}", "<name>") for p in doc_paths_used)),
        "# schema: %s" % ("not consulted" if opts.no_schema else
                          "alicloud/provider.go -> alicloud/resource_*.go Schema maps (fills gaps; see note keys)"),
        "# release-check: %s" % (
            "notes release-first/-deprecated/-removed = first release tag (%s..%s) whose Go schema "
            "has/deprecates/removes the argument (binary search; assumes the fact then persists)"
            % (history.tags[0], history.tags[-1]) if history is not None and history.tags
            else "not run"),
        "# newest-release-in-changelog: %s (%s)" % (rel_ver, rel_date),
        "# unreleased-in-changelog: %s" % (unrel or "-"),
        "# changelog-sources: CHANGELOG.md%s" % ((", " + older_note) if older_note else ""),
        "# values: versions are X.Y.Z; '-' = not stated / none; 'yes' = stated without a version",
    ]
    out = "\n".join(header) + "\n" + "\t".join(
        ["resource", "argument", "since", "deprecated", "removed", "note"]) + "\n"
    out += "".join("\t".join(r) + "\n" for r in rows)
    d = os.path.dirname(opts.out)
    if d and not os.path.isdir(d):
        os.makedirs(d)
    with open(opts.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(out)
    if opts.warn:
        for w in sorted(set(WARNINGS)):
            print("warning: " + w, file=sys.stderr)
    print("%d rows for %d resources -> %s" % (len(rows), len(resources), opts.out), file=sys.stderr)


if __name__ == "__main__":
    main()
