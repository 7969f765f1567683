#!/usr/bin/env python3
"""Check Alibaba Cloud ROS templates (as JSON) against a resource spec.

    python3 scripts/check-ros.py --spec FILE.json TEMPLATE.json [TEMPLATE.json ...]

The spec is the one scripts/ros-spec.py extracts from the ros-cdk-* wheels.
Prints one problem per line, `TEMPLATE: PATH: message`, and exits 1 if there
is any; otherwise prints `ok: N templates, N resources, N properties checked`
and exits 0. Exit 2 on unreadable input.

Checked:
  - top level: ROSTemplateFormatVersion is '2015-09-01', only known sections,
    Parameters have a known Type and only known keys, Outputs have a Value
    and only known keys;
  - resources: known Type (in the spec), only known resource keys,
    DeletionPolicy, DependsOn and Condition point at what exists;
  - properties (nested structs and lists of structs too): unknown names
    (with a "did you mean"), missing required ones, literal values of the
    wrong shape (list/map/string/number/boolean), outside the allowed
    values, numeric range, length bounds or pattern;
  - everywhere (Resources, Outputs, Conditions, Rules): every Ref names a
    Parameter, a Resource or a pseudo parameter, every Fn::GetAtt (and
    ${Res.Attr} in Fn::Sub) names an existing resource and an attribute its
    type has, Fn::If names an existing Condition, Fn::FindInMap an existing
    mapping. A value that is an intrinsic function (Ref or Fn::*) is not
    range-checked, but the Refs inside it are; both branches of an Fn::If
    are checked against the property.
"""
import argparse
import difflib
import json
import math
import re
import sys

FORMAT_VERSION = "2015-09-01"
SECTIONS = {
    "ROSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
    "Conditions", "Resources", "Outputs", "Rules", "Workspace",
}
PARAMETER_TYPES = {
    "String", "Number", "CommaDelimitedList", "Json", "Boolean",
    "ALIYUN::OOS::Parameter::Value", "ALIYUN::OOS::SecretParameter::Value",
}
# ros-cdk-core RosParameter._toRosTemplate()
PARAMETER_KEYS = {
    "Type", "Default", "AllowedPattern", "AllowedValues", "ConstraintDescription",
    "Description", "MaxLength", "MaxValue", "MinLength", "MinValue", "NoEcho", "Label",
    "AssociationProperty", "AssociationPropertyMetadata", "Confirm", "TextArea",
    "Required", "Placeholder",
}
# ros-cdk-core RosResource._toRosTemplate()
RESOURCE_KEYS = {
    "Type", "Properties", "DependsOn", "DeletionPolicy", "Metadata", "Description",
    "Condition", "Count",
}
DELETION_POLICIES = {"Delete", "Retain"}
# ros-cdk-core RosOutput._toRosTemplate()
OUTPUT_KEYS = {"Description", "Value", "Export", "Condition", "Label", "NoEcho"}
PSEUDO_PARAMETERS = {
    "ALIYUN::Region", "ALIYUN::StackId", "ALIYUN::StackName", "ALIYUN::AccountId",
    "ALIYUN::NoValue", "ALIYUN::TenantId", "ALIYUN::Index",
}
NO_VALUE = {"Ref": "ALIYUN::NoValue"}
SUB_VAR_RE = re.compile(r"\$\{([^}]*)\}")


def is_intrinsic(value):
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        return key == "Ref" or key.startswith("Fn::")
    return False


def describe(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "null" if value is None else type(value).__name__


def short(value):
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def suggest(name, known):
    lower = {k.lower(): k for k in known}
    if name.lower() in lower:
        return f" (did you mean {lower[name.lower()]!r}?)"
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def join(path, key):
    return f"{path}.{key}" if path else str(key)


class TemplateChecker:
    def __init__(self, spec, template):
        self.spec = spec
        self.t = template
        self.problems = []
        self.resources_checked = 0
        self.properties_checked = 0
        self.params = {}
        self.resources = {}
        self.conditions = {}
        self.mappings = {}

    def err(self, path, message):
        self.problems.append(f"{path}: {message}")

    # -- top level -----------------------------------------------------------
    def check(self):
        t = self.t
        if not isinstance(t, dict):
            self.err("(template)", f"must be a map, got {describe(t)}")
            return
        version = t.get("ROSTemplateFormatVersion")
        if version is None:
            self.err("ROSTemplateFormatVersion", "missing")
        elif version != FORMAT_VERSION:
            self.err("ROSTemplateFormatVersion", f"must be '{FORMAT_VERSION}', got {short(version)}")
        for key in t:
            if key not in SECTIONS:
                self.err(key, f"unknown template section{suggest(key, SECTIONS)}")
        self.params = self.section("Parameters")
        self.mappings = self.section("Mappings")
        self.conditions = self.section("Conditions")
        self.resources = self.section("Resources")
        if "Resources" not in t:
            self.err("Resources", "missing")
        if "Description" in t and not isinstance(t["Description"], str):
            self.err("Description", f"must be a string, got {describe(t['Description'])}")
        for name, param in self.params.items():
            self.check_parameter(f"Parameters.{name}", param)
        for name, mapping in self.mappings.items():
            if not isinstance(mapping, dict):
                self.err(f"Mappings.{name}", f"must be a map, got {describe(mapping)}")
        for name, cond in self.conditions.items():
            self.walk(f"Conditions.{name}", cond)
        if "Rules" in t:
            self.walk("Rules", t["Rules"])
        for name, res in self.resources.items():
            self.check_resource(f"Resources.{name}", name, res)
        for name, out in self.section("Outputs").items():
            self.check_output(f"Outputs.{name}", out)

    def section(self, name):
        value = self.t.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(name, f"must be a map, got {describe(value)}")
            return {}
        return value

    def check_parameter(self, path, param):
        if not isinstance(param, dict):
            self.err(path, f"must be a map, got {describe(param)}")
            return
        ptype = param.get("Type")
        if ptype is None:
            self.err(f"{path}.Type", "missing")
        elif ptype not in PARAMETER_TYPES:
            self.err(f"{path}.Type", f"unknown parameter type {short(ptype)}{suggest(str(ptype), PARAMETER_TYPES)}")
        for key in param:
            if key not in PARAMETER_KEYS:
                self.err(f"{path}.{key}", f"unknown parameter key{suggest(key, PARAMETER_KEYS)}")
        allowed = param.get("AllowedValues")
        if "Default" in param and isinstance(allowed, list) and ptype in ("String", "Number"):
            if not any(literal_equal(param["Default"], a) for a in allowed):
                self.err(f"{path}.Default", f"{short(param['Default'])} is not one of AllowedValues")

    def check_output(self, path, out):
        if not isinstance(out, dict):
            self.err(path, f"must be a map, got {describe(out)}")
            return
        for key in out:
            if key not in OUTPUT_KEYS:
                self.err(f"{path}.{key}", f"unknown output key{suggest(key, OUTPUT_KEYS)}")
        if "Value" not in out:
            self.err(f"{path}.Value", "missing")
        if "Condition" in out:
            self.check_condition_name(f"{path}.Condition", out["Condition"])
        self.walk(f"{path}.Value", out.get("Value"))
        if "Export" in out:
            self.walk(f"{path}.Export", out["Export"])

    def check_condition_name(self, path, name):
        if not isinstance(name, str):
            self.err(path, f"must be a condition name, got {describe(name)}")
        elif name not in self.conditions:
            self.err(path, f"unknown condition {name!r}{suggest(name, self.conditions)}")

    # -- resources -----------------------------------------------------------
    def check_resource(self, path, name, res):
        self.resources_checked += 1
        if not isinstance(res, dict):
            self.err(path, f"must be a map, got {describe(res)}")
            return
        for key in res:
            if key not in RESOURCE_KEYS:
                self.err(f"{path}.{key}", f"unknown resource key{suggest(key, RESOURCE_KEYS)}")
        rtype = res.get("Type")
        if "DeletionPolicy" in res and res["DeletionPolicy"] not in DELETION_POLICIES:
            self.err(f"{path}.DeletionPolicy", f"must be one of {sorted(DELETION_POLICIES)}, got {short(res['DeletionPolicy'])}")
        if "Condition" in res:
            self.check_condition_name(f"{path}.Condition", res["Condition"])
        deps = res.get("DependsOn", [])
        for i, dep in enumerate([deps] if isinstance(deps, str) else deps if isinstance(deps, list) else [None]):
            where = f"{path}.DependsOn" if isinstance(deps, str) else f"{path}.DependsOn[{i}]"
            if not isinstance(dep, str):
                self.err(where, f"must be a resource name or a list of them, got {short(deps)}")
            elif dep == name:
                self.err(where, "a resource cannot depend on itself")
            elif dep not in self.resources:
                self.err(where, f"unknown resource {dep!r}{suggest(dep, self.resources)}")
        if "Count" in res:
            self.walk(f"{path}.Count", res["Count"])
            if not is_intrinsic(res["Count"]) and not (
                isinstance(res["Count"], int) and not isinstance(res["Count"], bool) and res["Count"] >= 0
            ):
                self.err(f"{path}.Count", f"must be a non-negative integer, got {short(res['Count'])}")
        props = res.get("Properties", {})
        if rtype is None:
            self.err(f"{path}.Type", "missing")
            self.walk(f"{path}.Properties", props)
            return
        rspec = self.spec.get(rtype) if isinstance(rtype, str) and not rtype.startswith("$") else None
        if rspec is None:
            known = [k for k in self.spec if not k.startswith("$")]
            self.err(f"{path}.Type", f"unknown resource type {short(rtype)}{suggest(str(rtype), known)}")
            self.walk(f"{path}.Properties", props)
            return
        if props is None:
            props = {}
        self.check_struct(f"{path}.Properties", props, rspec["properties"])

    # -- property values -------------------------------------------------------
    def check_struct(self, path, value, props_spec):
        if is_intrinsic(value):
            self.walk(path, value)
            return
        if not isinstance(value, dict):
            self.err(path, f"expected a map, got {describe(value)} {short(value)}")
            self.walk(path, value)
            return
        for key, sub in value.items():
            sub_path = join(path, key)
            if key not in props_spec:
                self.err(sub_path, f"unknown property{suggest(key, props_spec)}")
                self.walk(sub_path, sub)
                continue
            self.properties_checked += 1
            self.check_value(sub_path, sub, props_spec[key])
        for key, pspec in props_spec.items():
            if pspec.get("required") and key not in value:
                self.err(join(path, key), "missing required property")

    def check_value(self, path, value, pspec):
        if value is None:
            self.err(path, "null value")
            return
        if is_intrinsic(value):
            (fn,) = value
            args = value[fn]
            if fn == "Fn::If" and isinstance(args, list) and len(args) == 3:
                self.check_condition_name(f"{path}.Fn::If[0]", args[0])
                for i in (1, 2):
                    if args[i] != NO_VALUE:
                        self.check_value(f"{path}.Fn::If[{i}]", args[i], pspec)
                return
            self.walk(path, value)
            return
        kind = pspec.get("type", "any")
        if kind == "any":
            self.walk(path, value)
            return
        if kind == "map":
            if "properties" in pspec:
                self.check_struct(path, value, pspec["properties"])
            elif not isinstance(value, dict):
                self.err(path, f"expected a map, got {describe(value)} {short(value)}")
                self.walk(path, value)
            else:
                for key, sub in value.items():
                    if "values" in pspec:
                        self.check_value(join(path, key), sub, pspec["values"])
                    else:
                        self.walk(join(path, key), sub)
            return
        if kind == "list":
            if not isinstance(value, list):
                self.err(path, f"expected a list, got {describe(value)} {short(value)}")
                self.walk(path, value)
                return
            self.check_length(path, len(value), pspec, "items")
            for i, item in enumerate(value):
                if "items" in pspec:
                    self.check_value(f"{path}[{i}]", item, pspec["items"])
                else:
                    self.walk(f"{path}[{i}]", item)
            return
        scalar = coerce(value, kind)
        if scalar is None:
            self.err(path, f"expected a {kind}, got {describe(value)} {short(value)}")
            self.walk(path, value)
            return
        if "allowed" in pspec and not any(literal_equal(scalar, a) for a in pspec["allowed"]):
            self.err(path, f"{short(value)} is not one of the allowed values {json.dumps(pspec['allowed'])}")
        if kind == "number":
            if "min" in pspec and scalar < pspec["min"]:
                self.err(path, f"{short(value)} is less than the minimum {pspec['min']}")
            if "max" in pspec and scalar > pspec["max"]:
                self.err(path, f"{short(value)} is greater than the maximum {pspec['max']}")
        if kind == "string":
            self.check_length(path, len(scalar), pspec, "characters")
            if "pattern" in pspec:
                try:
                    if not re.search(pspec["pattern"], scalar):
                        self.err(path, f"{short(value)} does not match the pattern /{pspec['pattern']}/")
                except re.error:
                    pass  # a JavaScript-only regex: not checkable here

    def check_length(self, path, n, pspec, unit):
        if "minLength" in pspec and n < pspec["minLength"]:
            self.err(path, f"has {n} {unit}, fewer than the minimum {pspec['minLength']}")
        if "maxLength" in pspec and n > pspec["maxLength"]:
            self.err(path, f"has {n} {unit}, more than the maximum {pspec['maxLength']}")

    # -- references ----------------------------------------------------------
    def walk(self, path, node):
        """Check every Ref / Fn::GetAtt / Fn::Sub / Fn::If / Fn::FindInMap under node."""
        if isinstance(node, list):
            for i, item in enumerate(node):
                self.walk(f"{path}[{i}]", item)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            (key,) = node
            arg = node[key]
            if key == "Ref":
                self.check_ref(f"{path}.Ref", arg)
                return
            if key == "Fn::GetAtt":
                self.check_getatt(f"{path}.Fn::GetAtt", arg)
                return
            if key == "Fn::Sub":
                self.check_sub(f"{path}.Fn::Sub", arg)
                return
            if key == "Fn::If":
                if not isinstance(arg, list) or len(arg) != 3:
                    self.err(f"{path}.Fn::If", f"must be [condition, value_if_true, value_if_false], got {short(arg)}")
                else:
                    self.check_condition_name(f"{path}.Fn::If[0]", arg[0])
                    self.walk(f"{path}.Fn::If[1]", arg[1])
                    self.walk(f"{path}.Fn::If[2]", arg[2])
                return
            if key == "Fn::FindInMap":
                self.check_findinmap(f"{path}.Fn::FindInMap", arg)
                return
            if key == "Condition" and isinstance(arg, str) and path.startswith("Conditions."):
                self.check_condition_name(f"{path}.Condition", arg)
                return
        for key, sub in node.items():
            self.walk(join(path, key), sub)

    def check_ref(self, path, target):
        if is_intrinsic(target):
            self.walk(path, target)
        elif not isinstance(target, str):
            self.err(path, f"must name a parameter or resource, got {short(target)}")
        elif target not in self.params and target not in self.resources and target not in PSEUDO_PARAMETERS:
            known = list(self.params) + list(self.resources) + sorted(PSEUDO_PARAMETERS)
            self.err(path, f"Ref to unknown parameter or resource {target!r}{suggest(target, known)}")

    def check_getatt(self, path, arg):
        if isinstance(arg, str) and "." in arg:
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            self.err(path, f"must be [resource, attribute], got {short(arg)}")
            return
        res_name, attr = arg
        if not isinstance(res_name, str):
            self.walk(f"{path}[0]", res_name)
            return
        self.check_attribute(path, res_name, attr)

    def check_attribute(self, path, res_name, attr):
        res = self.resources.get(res_name)
        if res is None:
            self.err(path, f"GetAtt of unknown resource {res_name!r}{suggest(res_name, self.resources)}")
            return
        if not isinstance(attr, str):
            self.walk(f"{path}[1]", attr)
            return
        rtype = res.get("Type") if isinstance(res, dict) else None
        rspec = self.spec.get(rtype) if isinstance(rtype, str) else None
        if rspec is None:
            return  # the unknown type is reported on the resource itself
        if attr not in rspec["attributes"]:
            self.err(path, f"{rtype} {res_name!r} has no attribute {attr!r}{suggest(attr, rspec['attributes'])}"
                           f" (has: {', '.join(rspec['attributes']) or 'none'})")

    def check_sub(self, path, arg):
        local = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, local = arg
            self.walk(f"{path}[1]", local)
        else:
            text = arg
        if not isinstance(text, str):
            self.walk(path, text)
            return
        for m in SUB_VAR_RE.finditer(text):
            name = m.group(1).strip()
            if name.startswith("!") or name in local:
                continue
            if name in self.params or name in self.resources or name in PSEUDO_PARAMETERS:
                continue
            if "." in name:
                res_name, attr = name.split(".", 1)
                self.check_attribute(path, res_name, attr)
            else:
                self.check_ref(path, name)

    def check_findinmap(self, path, arg):
        if not isinstance(arg, list) or len(arg) != 3:
            self.err(path, f"must be [map, top_key, second_key], got {short(arg)}")
            return
        self.walk(path, arg)
        name, top = arg[0], arg[1]
        if isinstance(name, str):
            if name not in self.mappings:
                self.err(f"{path}[0]", f"unknown mapping {name!r}{suggest(name, self.mappings)}")
            elif isinstance(top, str) and isinstance(self.mappings[name], dict) and top not in self.mappings[name]:
                self.err(f"{path}[1]", f"mapping {name!r} has no key {top!r}")


def coerce(value, kind):
    """A literal as ROS would read it for a scalar property type, or None if it can't."""
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, (int, float)):
            return str(value)
        return None
    if kind == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return None
            if math.isnan(number) or math.isinf(number):
                return None
            return int(number) if number.is_integer() and "." not in value else number
        return None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None
    return value


def literal_equal(value, allowed):
    if isinstance(allowed, bool) or isinstance(value, bool):
        return value is allowed or (
            isinstance(value, str) and isinstance(allowed, bool) and value.lower() == str(allowed).lower()
        )
    if isinstance(allowed, (int, float)) and isinstance(value, (int, float)):
        return value == allowed
    if isinstance(allowed, (int, float)) and isinstance(value, str):
        try:
            return float(value) == allowed
        except ValueError:
            return False
    return value == allowed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True, help="spec JSON from scripts/ros-spec.py")
    ap.add_argument("templates", nargs="+", help="ROS templates as JSON")
    args = ap.parse_args()
    try:
        with open(args.spec) as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check-ros: cannot read spec {args.spec}: {e}", file=sys.stderr)
        return 2
    problems = []
    resources = properties = 0
    for name in args.templates:
        try:
            with open(name) as f:
                template = json.load(f)
        except (OSError, ValueError) as e:
            print(f"check-ros: cannot read {name}: {e}", file=sys.stderr)
            return 2
        checker = TemplateChecker(spec, template)
        checker.check()
        resources += checker.resources_checked
        properties += checker.properties_checked
        problems.extend(f"{name}: {p}" for p in checker.problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check-ros: {len(problems)} problem(s) in {len(args.templates)} template(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(args.templates)} templates, {resources} resources, {properties} properties checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
