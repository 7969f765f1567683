#!/usr/bin/env python3
"""Side-by-side benchmark: futurestack against jrsonnet on the same stack, as
whole processes, interleaved, medians with min and max. It prints, for N = 10,
100, 1,000 and 10,000 apps (benches/peers/spec.py; stack.jsonnet renders the
same stack), the time and peak memory of

  - `futurestack generate --target compose --target monitoring --target nginx`
    against `jrsonnet -m` writing docker-compose.yml, prometheus.yml and
    nginx.conf;
  - `futurestack generate` with every target;

into an empty output folder each run, and the shipped project's `generate`
against `futurestack --version`, into an unchanged folder and an empty one.

    python3 benches/peers/run.py [--runs 7] [--sizes 10,100,1000,10000]

It installs jrsonnet (crates.io, 0.5.0-pre98) into .tools/jrsonnet and builds
futurestack with `cargo build --release`. Nothing here is timed in a test.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JRSONNET_VERSION = "0.5.0-pre98"
TIME = "/usr/bin/time"


def jrsonnet() -> Path:
    root = ROOT / ".tools" / "jrsonnet"
    binary = root / "bin" / "jrsonnet"
    if not binary.exists():
        subprocess.run(
            ["cargo", "install", "jrsonnet", "--version", JRSONNET_VERSION,
             "--locked", "--root", str(root)],
            check=True,
        )
    return binary


def futurestack() -> Path:
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"],
                   cwd=ROOT, check=True)
    return ROOT / "target" / "release" / "futurestack"


def run(argv, cwd, prepare=None):
    """Seconds and peak resident memory (MiB) of one process."""
    if prepare:
        prepare()
    # The peak memory from GNU time (`-f %M`, Debian's `time` package): the
    # rusage of a child of this interpreter starts at the interpreter's own.
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as peak:
        argv = [TIME, "-f", "%M", "-o", peak.name, *argv]
        actions = [
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ]
        here = os.getcwd()
        os.chdir(cwd)
        try:
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
            _, status, _ = os.wait4(pid, 0)
            elapsed = time.perf_counter() - start
        finally:
            os.chdir(here)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            sys.exit(f"{argv} failed ({code}):\n{err.read().decode(errors='replace')}")
        kib = int(Path(peak.name).read_text().split()[-1])
    return elapsed, kib / 1024


def compare(cases, runs):
    """Runs every case `runs` times, interleaved; returns name → [(s, MiB)]."""
    results = {name: [] for name, _, _, _ in cases}
    for _ in range(runs):
        for name, argv, cwd, prepare in cases:
            results[name].append(run(argv, cwd, prepare))
    return results


def summary(samples):
    times = [s for s, _ in samples]
    mem = max(m for _, m in samples)
    return statistics.median(times), min(times), max(times), mem


def report(results, base):
    b = summary(results[base])[0]
    for name, samples in results.items():
        med, lo, hi, mem = summary(samples)
        print(f"  {name:42} {med:8.4f} s (min {lo:.4f}, max {hi:.4f}) {mem:7.1f} MiB"
              f"  x{med / b:5.2f} of {base}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    args = parser.parse_args()
    if not Path(TIME).exists():
        sys.exit("GNU time is missing: apt-get install time")
    fs, jr = futurestack(), jrsonnet()
    jsonnet = ROOT / "benches" / "peers" / "stack.jsonnet"
    spec_py = ROOT / "benches" / "peers" / "spec.py"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in [int(s) for s in args.sizes.split(",")]:
            project = tmp / f"n{n}"
            (project / "environments").mkdir(parents=True)
            spec = subprocess.run([sys.executable, str(spec_py), str(n)],
                                  check=True, capture_output=True, text=True).stdout
            (project / "environments" / "bench.yaml").write_text(spec)
            jr_out = project / "jr"
            golden = project / "golden"

            def clean(*paths):
                return lambda: [shutil.rmtree(p, ignore_errors=True) for p in paths]

            def fresh_jr():
                shutil.rmtree(jr_out, ignore_errors=True)
                jr_out.mkdir()

            three = ["--target", "compose", "--target", "monitoring", "--target", "nginx"]
            cases = [
                ("jrsonnet (3 files)", [str(jr), "-m", str(jr_out), "--tla-code", f"n={n}",
                                        "-S", str(jsonnet)], project, fresh_jr),
                ("futurestack generate, 3 targets", [str(fs), "generate", *three],
                 project, clean(golden)),
                ("futurestack generate, all targets", [str(fs), "generate"],
                 project, clean(golden)),
            ]
            print(f"N = {n} apps (+ 4 databases), {args.runs} runs each, interleaved:")
            report(compare(cases, args.runs), "jrsonnet (3 files)")
        shipped = tmp / "shipped"
        for sub in ["environments", "golden", "schema", "prices"]:
            shutil.copytree(ROOT / sub, shipped / sub)
        cases = [
            ("futurestack --version", [str(fs), "--version"], shipped, None),
            ("generate, unchanged folder", [str(fs), "generate"], shipped, None),
            ("generate, empty folder", [str(fs), "generate", "--out", "fresh"], shipped,
             lambda: shutil.rmtree(shipped / "fresh", ignore_errors=True)),
        ]
        print(f"The shipped project, {args.runs} runs each, interleaved:")
        report(compare(cases, args.runs), "futurestack --version")


if __name__ == "__main__":
    main()
