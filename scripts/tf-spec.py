#!/usr/bin/env python3
"""Build a JSON spec of alicloud Terraform resource arguments from the rules
shipped in the PyPI wheel `alibabacloud-ros-tran` (rostran/rules/terraform/alicloud/*.yml).

Usage:
    python3 scripts/tf-spec.py --wheel-dir DIR --out FILE.json

DIR holds an alibabacloud_ros_tran-*.whl (e.g. from
`pip download --no-deps alibabacloud-ros-tran==0.28.1 -d DIR`), or an already
unpacked tree containing rostran/rules/terraform/alicloud/.

Output:
    {"alicloud_vpc": {"arguments": ["cidr_block", ...],
                      "blocks": {"nested": ["arg", ...], "nested.inner": [...]}}, ...}
Nested blocks deeper than one level are keyed by their dotted path.

Standard library only: the rule files use a small, regular subset of YAML
(block mappings, `- scalar` sequences, plain or single/double-quoted scalars),
which the tiny parser below handles; anything outside that subset is an error.

How a rule entry maps to Terraform:
  * every key under `Properties:` is an argument the provider accepts
    (entries marked `Ignore: true` are arguments rostran does not translate,
    but they are still valid Terraform arguments);
  * an entry with a `Schema:` whose keys are Terraform-style (snake_case) is a
    nested block; if its Schema keys are ROS-style (CamelCase), the Schema
    describes the ROS side and the entry is treated as a plain argument;
  * `Attributes:` are exported (computed) attributes, not arguments.
"""
import argparse
import glob
import json
import os
import re
import sys
import zipfile

RULES_PREFIX = "rostran/rules/terraform/alicloud/"
TF_NAME = re.compile(r"^[a-z0-9_]+$")


class YamlSubsetError(ValueError):
    pass


def _scalar(text, where):
    text = text.strip()
    if not text:
        return None
    if text[0] == "'":
        if len(text) < 2 or text[-1] != "'":
            raise YamlSubsetError(f"{where}: unterminated quoted scalar {text!r}")
        return text[1:-1].replace("''", "'")
    if text[0] == '"':
        try:
            return json.loads(text)
        except ValueError as e:
            raise YamlSubsetError(f"{where}: bad double-quoted scalar {text!r}") from e
    if text[0] in "[{&*!|>%@`":
        raise YamlSubsetError(f"{where}: unsupported YAML construct {text!r}")
    if text == "true":
        return True
    if text == "false":
        return False
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _split_key(rest, where):
    """Split 'key: value' (key possibly quoted) into (key, value-text)."""
    if rest[0] in "'\"":
        q = rest[0]
        end = rest.find(q, 1)
        if end < 0 or rest[end + 1:end + 2] != ":":
            raise YamlSubsetError(f"{where}: bad quoted key in {rest!r}")
        return rest[1:end], rest[end + 2:]
    m = re.match(r"([^:#]+?):(?:\s(.*)|$)", rest)
    if not m:
        raise YamlSubsetError(f"{where}: expected 'key: value', got {rest!r}")
    return m.group(1), m.group(2) or ""


def parse_yaml_subset(text, name="<yaml>"):
    lines = []
    for no, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlSubsetError(f"{name}:{no}: tab indentation")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        lines.append((no, len(raw) - len(raw.lstrip(" ")), stripped))
    pos = 0

    def parse_node(indent):
        nonlocal pos
        no, ind, content = lines[pos]
        if content.startswith("- ") or content == "-":
            seq = []
            while pos < len(lines) and lines[pos][1] == indent and (
                    lines[pos][2].startswith("- ") or lines[pos][2] == "-"):
                no, _, content = lines[pos]
                item = content[1:].strip()
                if re.match(r"[^'\"].*?:(\s|$)", item):
                    raise YamlSubsetError(f"{name}:{no}: mappings inside sequences unsupported")
                seq.append(_scalar(item, f"{name}:{no}"))
                pos += 1
            return seq
        mapping = {}
        while pos < len(lines) and lines[pos][1] == indent:
            no, _, content = lines[pos]
            if content.startswith("- "):
                raise YamlSubsetError(f"{name}:{no}: sequence item where a key was expected")
            key, value = _split_key(content, f"{name}:{no}")
            if key in mapping:
                raise YamlSubsetError(f"{name}:{no}: duplicate key {key!r}")
            pos += 1
            if value.strip():
                mapping[key] = _scalar(value, f"{name}:{no}")
            elif pos < len(lines) and (lines[pos][1] > indent or (
                    lines[pos][1] == indent and lines[pos][2].startswith("- "))):
                mapping[key] = parse_node(lines[pos][1])
            else:
                mapping[key] = None
        return mapping

    if not lines:
        return None
    result = parse_node(lines[0][1])
    if pos != len(lines):
        no, _, content = lines[pos]
        raise YamlSubsetError(f"{name}:{no}: unexpected indentation at {content!r}")
    return result


def clean_name(key):
    # A few rule files carry stray backticks/spaces in keys ('image_cache_size` ').
    return key.replace("`", "").strip()


def is_block(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("Schema"), dict):
        return False
    keys = [clean_name(k) for k in entry["Schema"]]
    return bool(keys) and all(TF_NAME.match(k) for k in keys)


def collect(props, path, out):
    """Return the argument list of `props`, recording nested blocks into out."""
    args = []
    for raw_key, entry in (props or {}).items():
        key = clean_name(raw_key)
        if not TF_NAME.match(key):
            continue
        if is_block(entry):
            sub = f"{path}.{key}" if path else key
            out[sub] = collect(entry["Schema"], sub, out)
        else:
            args.append(key)
    return sorted(set(args))


def read_rule_files(wheel_dir):
    """Yield (name, text) for every rule file, from wheels or an unpacked tree."""
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "alibabacloud_ros_tran-*.whl")))
    if wheels:
        if len(wheels) > 1:
            print(f"note: several wheels found, using {wheels[-1]}", file=sys.stderr)
        with zipfile.ZipFile(wheels[-1]) as zf:
            for n in sorted(zf.namelist()):
                if n.startswith(RULES_PREFIX) and n.endswith(".yml"):
                    yield n, zf.read(n).decode("utf-8")
        return
    tree = os.path.join(wheel_dir, *RULES_PREFIX.split("/"))
    files = sorted(glob.glob(os.path.join(tree, "*.yml")))
    if not files:
        raise SystemExit(f"error: no alibabacloud_ros_tran-*.whl and no {RULES_PREFIX}*.yml under {wheel_dir}")
    for f in files:
        with open(f, encoding="utf-8") as fh:
            yield f, fh.read()


def build_spec(wheel_dir):
    spec = {}
    for name, text in read_rule_files(wheel_dir):
        doc = parse_yaml_subset(text, name)
        if not isinstance(doc, dict) or doc.get("Type") != "Resource":
            continue
        tf_type = (doc.get("ResourceType") or {}).get("From")
        if not tf_type:
            raise SystemExit(f"error: {name}: no ResourceType.From")
        blocks = {}
        args = collect(doc.get("Properties"), "", blocks)
        entry = spec.setdefault(tf_type, {"arguments": [], "blocks": {}})
        entry["arguments"] = sorted(set(entry["arguments"]) | set(args))
        for b, bargs in blocks.items():
            entry["blocks"][b] = sorted(set(entry["blocks"].get(b, [])) | set(bargs))
    return dict(sorted(spec.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel-dir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    try:
        spec = build_spec(a.wheel_dir)
    except YamlSubsetError as e:
        raise SystemExit(f"error: {e}")
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(spec, fh, indent=1, sort_keys=True)
        fh.write("\n")
    n_blocks = sum(len(v["blocks"]) for v in spec.values())
    print(f"wrote {a.out}: {len(spec)} resource types, {n_blocks} nested blocks")


if __name__ == "__main__":
    main()
