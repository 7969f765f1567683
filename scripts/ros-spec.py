#!/usr/bin/env python3
"""Extract Alibaba Cloud ROS resource specifications from ros-cdk-* wheels.

    python3 scripts/ros-spec.py --wheels DIR --out FILE.json

Reads every `ros_cdk_*.whl` in DIR (a wheel is a zip), opens the jsii assembly
tarball inside it (`ros_cdk_*/_jsii/*.jsii.tgz`) and reads, without running
any JavaScript:

  package/lib/**/*.generated.js   the generated L1 constructs. For each ROS
      resource type they hold
        - `RosX.ROS_RESOURCE_TYPE_NAME = "ALIYUN::..."` (the type name),
        - `this.attrY = this.getAtt('Y')` (the Fn::GetAtt attribute names),
        - `rosXPropsToRosTemplate()` / `rosX<Struct>PropertyToRosTemplate()`,
          which map camelCase props to the exact ROS property names and tell
          the value shape (string/number/boolean/any, listMapper, hashMapper,
          nested struct mapper),
        - `RosXPropsValidator()` / `RosX_<Struct>PropertyValidator()`, which
          hold `ros.requiredValidator`, `ros.validateAllowedValues`,
          `ros.validateRange`, `ros.validateLength`, `ros.validateAllowedPattern`.
  package/.jsii   the assembly; its `optional` flags and property types are
      cross-checked against the JS (disagreements go to stderr and make the
      script exit 2, so a new wheel version that breaks the parser is noticed).

Output (JSON, keys sorted):
  {
    "$source": {"ros-cdk-ecs": "1.15.0", ...},      # wheel versions read
    "ALIYUN::ECS::VPC": {
      "properties": {
        "CidrBlock": {"required": false, "type": "string"},
        "Tags": {"required": false, "type": "list", "maxLength": 20,
                 "items": {"type": "map",
                           "properties": {"Key": {"required": true, ...}, ...}}},
        ...
      },
      "attributes": ["RouteTableId", "VRouterId", "VpcId", "VpcName"]
    }, ...
  }
Property fields: "required", "type" (string|number|boolean|list|map|any),
optional "allowed" (list of literals), "min"/"max" (numeric range),
"minLength"/"maxLength" (string length or list length), "pattern" (regex
source, JavaScript syntax, matched with search semantics), "properties"
(a struct: type "map" with these sub-properties), "items" (element spec of
a list), "values" (element spec of a free-form map).
Keys starting with "$" are metadata, not resource types.
"""
import argparse
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

SCALAR_MAPPERS = {
    "ros.stringToRosTemplate": "string",
    "ros.numberToRosTemplate": "number",
    "ros.booleanToRosTemplate": "boolean",
    "ros.objectToRosTemplate": "any",
}
SCALAR_VALIDATORS = {
    "ros.validateString": "string",
    "ros.validateNumber": "number",
    "ros.validateBoolean": "boolean",
    "ros.validateAny": "any",
}
# ros-cdk-core's RosTag: rosTagToRosTemplate(x) = {Key: x.key, Value: x.value};
# validateRosTag() demands both key and value.
ROS_TAG = {
    "type": "map",
    "properties": {
        "Key": {"required": True, "type": "string"},
        "Value": {"required": True, "type": "string"},
    },
}

FUNC_RE = re.compile(r"^(function|class) (\w+)\b(.*?)^\}", re.M | re.S)
TYPE_NAME_RE = re.compile(r'^(\w+)\.ROS_RESOURCE_TYPE_NAME = "([^"]+)";', re.M)
CONSTRAINT_RE = re.compile(
    r"ros\.propertyValidator\('(\w+)', ros\.(validateRange|validateLength|"
    r"validateAllowedValues|validateAllowedPattern)\)\(\{(.*?)\}\)\);",
    re.S,
)
SIMPLE_VALIDATOR_RE = re.compile(
    r"ros\.propertyValidator\('(\w+)', ([\w.]+(?:\([\w.]+\))?)\)\(properties\.(\w+)\)\);"
)
MAPPING_RE = re.compile(r"^\s*'([^']+)': (.*)\(properties\.(\w+)\),\s*$", re.M)


class SpecError(Exception):
    pass


def js_number(text):
    text = text.strip()
    if text == "undefined":
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_constraint(kind, body):
    """Parse the object literal handed to one of the ros.validate* helpers."""
    out = {}
    if kind in ("validateRange", "validateLength"):
        mn = re.search(r"^\s*min: ([^,\n]+),\s*$", body, re.M)
        mx = re.search(r"^\s*max: ([^,\n]+),\s*$", body, re.M)
        if not mn or not mx:
            raise SpecError(f"cannot parse {kind}: {body!r}")
        lo, hi = js_number(mn.group(1)), js_number(mx.group(1))
        keys = ("min", "max") if kind == "validateRange" else ("minLength", "maxLength")
        if lo is not None:
            out[keys[0]] = lo
        if hi is not None:
            out[keys[1]] = hi
    elif kind == "validateAllowedValues":
        m = re.search(r"^\s*allowedValues: (\[.*\]),\s*$", body, re.M)
        if not m:
            raise SpecError(f"cannot parse allowedValues: {body!r}")
        out["allowed"] = json.loads(m.group(1))
    else:  # validateAllowedPattern
        m = re.search(r"^\s*reg: /(.*)/([a-z]*)\s*$", body, re.M)
        if not m:
            raise SpecError(f"cannot parse pattern: {body!r}")
        source = m.group(1).replace("\\/", "/")
        out["pattern"] = source if not m.group(2) else f"(?{m.group(2)}){source}"
    return out


def split_call(expr, prefix):
    """`prefix(INNER)` -> INNER, else None."""
    if expr.startswith(prefix + "(") and expr.endswith(")"):
        return expr[len(prefix) + 1 : -1]
    return None


class Module:
    """One *.generated.js file (function names are unique per file only)."""

    def __init__(self, package, path, text, jsii_types, fqn_prefix):
        self.package = package
        self.path = path
        self.jsii_types = jsii_types
        self.fqn_prefix = fqn_prefix  # e.g. "@alicloud/ros-cdk-ecs." or "...datasource."
        self.functions = {}
        self.classes = {}
        for m in FUNC_RE.finditer(text):
            kind, name, body = m.groups()
            (self.classes if kind == "class" else self.functions)[name] = body
        self.type_names = {cls: t for cls, t in TYPE_NAME_RE.findall(text)}
        self.struct_cache = {}
        self.problems = []

    # -- validators -----------------------------------------------------
    def parse_validator(self, name):
        body = self.functions.get(name)
        if body is None:
            raise SpecError(f"{self.path}: validator {name} not found")
        props = {}
        constraints = CONSTRAINT_RE.findall(body)
        simple = SIMPLE_VALIDATOR_RE.findall(body)
        total = body.count("ros.propertyValidator(")
        if total != len(constraints) + len(simple):
            raise SpecError(
                f"{self.path}:{name}: parsed {len(constraints) + len(simple)} of {total} property validators"
            )
        for camel, kind, inner in constraints:
            props.setdefault(camel, {}).update(parse_constraint(kind, inner))
        for camel, validator, camel2 in simple:
            if camel != camel2:
                raise SpecError(f"{self.path}:{name}: {camel} validated as {camel2}")
            entry = props.setdefault(camel, {})
            if validator == "ros.requiredValidator":
                entry["required"] = True
            else:
                entry.setdefault("validators", []).append(validator)
        return props

    # -- mappers --------------------------------------------------------
    def mapper_shape(self, expr, where):
        """Type description of one mapper expression (without its argument)."""
        if expr in SCALAR_MAPPERS:
            return {"type": SCALAR_MAPPERS[expr]}
        if expr == "ros.rosTagToRosTemplate":
            return json.loads(json.dumps(ROS_TAG))
        if expr == "ros.anyDictToRosTemplate":
            # ros-cdk-core: a dictionary of anything (ros-cdk-sls Dashboard.Charts).
            return {"type": "map", "values": {"type": "any"}}
        inner = split_call(expr, "ros.listMapper")
        if inner is not None:
            return {"type": "list", "items": self.mapper_shape(inner, where)}
        inner = split_call(expr, "ros.hashMapper")
        if inner is not None:
            return {"type": "map", "values": self.mapper_shape(inner, where)}
        if re.fullmatch(r"ros\w+PropertyToRosTemplate", expr):
            return {"type": "map", "properties": self.parse_struct(expr)}
        raise SpecError(f"{self.path}:{where}: unknown mapper {expr!r}")

    def validator_matches(self, shape, validator):
        """Does a validator expression agree with the mapper-derived shape?"""
        if validator in SCALAR_VALIDATORS:
            return shape["type"] == SCALAR_VALIDATORS[validator]
        inner = split_call(validator, "ros.listValidator")
        if inner is not None:
            return shape["type"] == "list" and self.validator_matches(shape["items"], inner)
        inner = split_call(validator, "ros.hashValidator")
        if inner is not None:
            return shape["type"] == "map" and "values" in shape and self.validator_matches(
                shape["values"], inner
            )
        if validator == "ros.validateAnyDict":
            return shape["type"] == "map" and shape.get("values") == {"type": "any"}
        if validator == "ros.validateRosTag":
            return shape.get("properties", {}).keys() == {"Key", "Value"}
        if re.fullmatch(r"Ros\w+PropertyValidator", validator):
            return shape["type"] == "map" and "properties" in shape
        return False

    def parse_struct(self, mapper_name):
        """Parse a *ToRosTemplate mapper (a resource's props or a nested struct)."""
        if mapper_name in self.struct_cache:
            return self.struct_cache[mapper_name]
        body = self.functions.get(mapper_name)
        if body is None:
            raise SpecError(f"{self.path}: mapper {mapper_name} not found")
        vm = re.search(r"(\w+Validator)\(properties\)\.assertSuccess\(\)", body)
        if not vm:
            raise SpecError(f"{self.path}:{mapper_name}: no validator call")
        validator_name = vm.group(1)
        constraints = self.parse_validator(validator_name)
        ret = body[body.index("return {") :]
        result = {}
        seen_camel = set()
        for ros_name, expr, camel in MAPPING_RE.findall(ret):
            shape = self.mapper_shape(expr, f"{mapper_name}.{ros_name}")
            con = dict(constraints.get(camel, {}))
            validators = con.pop("validators", [])
            if len(validators) != 1 or not self.validator_matches(shape, validators[0]):
                self.problems.append(
                    f"{self.path}:{mapper_name}.{ros_name}: mapper {expr} vs validators {validators}"
                )
            prop = {"required": bool(con.pop("required", False))}
            prop["type"] = shape["type"]
            prop.update(con)
            for k in ("properties", "items", "values"):
                if k in shape:
                    prop[k] = shape[k]
            result[ros_name] = prop
            seen_camel.add(camel)
        n_entries = len(re.findall(r"^\s*'[^']+': ", ret, re.M))
        if n_entries != len(result):
            raise SpecError(f"{self.path}:{mapper_name}: parsed {len(result)} of {n_entries} entries")
        extra = set(constraints) - seen_camel
        if extra:
            self.problems.append(f"{self.path}:{validator_name}: validated but not mapped: {sorted(extra)}")
        self.cross_check_jsii(validator_name, result, mapper_name)
        self.struct_cache[mapper_name] = result
        return result

    # -- jsii cross-check ------------------------------------------------
    def cross_check_jsii(self, validator_name, result, mapper_name):
        m = re.fullmatch(r"(Ros\w+?)_(\w+Property)Validator", validator_name)
        if m:
            fqn = f"{self.fqn_prefix}{m.group(1)}.{m.group(2)}"
        else:
            fqn = self.fqn_prefix + validator_name[: -len("Validator")]
        t = self.jsii_types.get(fqn)
        if t is None:
            self.problems.append(f"{self.path}:{mapper_name}: jsii type {fqn} not found")
            return
        jprops = {p["name"]: p for p in t.get("properties", [])}
        body = self.functions[mapper_name]
        camel_of = dict(
            (ros, camel) for ros, _, camel in MAPPING_RE.findall(body[body.index("return {") :])
        )
        if set(camel_of.values()) != set(jprops):
            self.problems.append(
                f"{fqn}: JS props {sorted(camel_of.values())} != jsii props {sorted(jprops)}"
            )
        for ros_name, prop in result.items():
            jp = jprops.get(camel_of[ros_name])
            if jp is None:
                continue
            if (not jp.get("optional", False)) != prop["required"]:
                self.problems.append(
                    f"{fqn}.{jp['name']} ({ros_name}): jsii optional={jp.get('optional', False)}"
                    f" but JS required={prop['required']}"
                )
            jtype = jsii_kind(jp["type"])
            if jtype != prop["type"] and not (jtype == "any" and prop["type"] in ("any", "map")):
                self.problems.append(
                    f"{fqn}.{jp['name']} ({ros_name}): jsii type {jtype} vs JS type {prop['type']}"
                )

    # -- resources --------------------------------------------------------
    def resources(self):
        out = {}
        for cls, type_name in self.type_names.items():
            body = self.classes.get(cls)
            if body is None:
                raise SpecError(f"{self.path}: class {cls} for {type_name} not found")
            rm = re.search(r"renderProperties\(props\) \{\s*return (\w+)\(props", body)
            if not rm:
                raise SpecError(f"{self.path}: {cls} has no renderProperties")
            attrs = re.findall(r"this\.attr\w+ = this\.getAtt\('([^']+)'\);", body)
            n_attr = len(re.findall(r"this\.attr\w+ = ", body))
            if n_attr != len(attrs):
                raise SpecError(f"{self.path}: {cls}: parsed {len(attrs)} of {n_attr} attributes")
            out[type_name] = {
                "properties": self.parse_struct(rm.group(1)),
                "attributes": sorted(set(attrs)),
            }
        return out


def jsii_kind(t):
    """Collapse a jsii type reference (minus IResolvable) to our type names."""
    if "union" in t:
        kinds = {
            jsii_kind(x)
            for x in t["union"]["types"]
            if x.get("fqn") != "@alicloud/ros-cdk-core.IResolvable"
        }
        return kinds.pop() if len(kinds) == 1 else "any"
    if "primitive" in t:
        return {"string": "string", "number": "number", "boolean": "boolean"}.get(
            t["primitive"], "any"
        )
    if "collection" in t:
        return "list" if t["collection"]["kind"] == "array" else "map"
    if "fqn" in t:
        return "map"  # a struct (or RosTag)
    return "any"


def read_wheel(path):
    """-> (package name, version, jsii assembly dict, {member path: text})."""
    with zipfile.ZipFile(path) as zf:
        tgz = [n for n in zf.namelist() if re.fullmatch(r"ros_cdk_\w+/_jsii/.+\.jsii\.tgz", n)]
        if len(tgz) != 1:
            raise SpecError(f"{path}: expected one jsii tarball, found {tgz}")
        data = zf.read(tgz[0])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        assembly = None
        sources = {}
        for member in tf.getmembers():
            if not member.isfile():
                continue
            if member.name == "package/.jsii":
                assembly = json.load(tf.extractfile(member))
            elif member.name.startswith("package/lib/") and member.name.endswith(".generated.js"):
                sources[member.name] = tf.extractfile(member).read().decode("utf-8")
    if assembly is None:
        raise SpecError(f"{path}: no package/.jsii in {tgz[0]}")
    return assembly["name"], assembly["version"], assembly, sources


def build(wheel_dir):
    wheels = sorted(Path(wheel_dir).glob("ros_cdk_*.whl"))
    if not wheels:
        raise SpecError(f"no ros_cdk_*.whl in {wheel_dir}")
    spec = {"$source": {}}
    problems = []
    for wheel in wheels:
        name, version, assembly, sources = read_wheel(wheel)
        short = name.split("/")[-1]
        if short == "ros-cdk-core":
            continue  # the runtime: no resource types
        if not sources:
            raise SpecError(f"{wheel}: no lib/*.generated.js in its jsii tarball")
        if short in spec["$source"]:
            raise SpecError(f"{wheel}: {short} {spec['$source'][short]} was read already; keep one version per package")
        spec["$source"][short] = version
        for member, text in sorted(sources.items()):
            sub = member[len("package/lib/") :].rsplit("/", 1)
            prefix = name + "." + (sub[0].replace("/", ".") + "." if len(sub) == 2 else "")
            mod = Module(short, f"{wheel.name}:{member}", text, assembly["types"], prefix)
            for type_name, res in mod.resources().items():
                if type_name in spec:
                    if spec[type_name] != res:
                        problems.append(f"{type_name} defined differently twice ({member})")
                    continue
                spec[type_name] = res
            problems.extend(mod.problems)
    return spec, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", required=True, help="directory holding ros_cdk_*.whl")
    ap.add_argument("--out", required=True, help="JSON file to write")
    args = ap.parse_args()
    try:
        spec, problems = build(args.wheels)
    except SpecError as e:
        print(f"ros-spec: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(f"ros-spec: warning: {p}", file=sys.stderr)
    Path(args.out).write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n")
    n_types = len(spec) - 1
    n_props = sum(len(v["properties"]) for k, v in spec.items() if not k.startswith("$"))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(spec["$source"].items()))
    print(f"ros-spec: {n_types} resource types, {n_props} top-level properties ({versions}) -> {args.out}")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
