#!/usr/bin/env python3
"""Writes src/sim/scenarios/*.yaml. Run: python3 gen.py [OUTDIR]"""
import os, sys
from common import ksort, dump_docs, ident
import healthy as H

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "sim", "scenarios")

HEADER = "# Generated for backstop's simulator. Clock anchor 2026-11-24T06:00:00Z: every timestamp is\n" \
         "# shifted at load so that ages stay as written. All secret values are fake.\n"


BASE = {}


def check_logs(name, scenario, objs):
    """Every log line must be newer than the start of the container that wrote it."""
    import datetime as dt
    pods = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objs.values() if o["kind"] == "Pod"}
    pods.update({k: v for k, v in BASE.items() if k not in pods})
    for e in scenario["spec"]["logs"]:
        ns, pn = e["pod"].split("/")
        pod = pods[(ns, pn)]
        sts = pod["status"].get("containerStatuses", []) + pod["status"].get("initContainerStatuses", [])
        st = next(s for s in sts if s["name"] == e["container"])
        for key, lines in (("lines", e["lines"]), ("previous", e.get("previous", []))):
            if not lines:
                continue
            if key == "lines":
                start = st["state"].get("running", {}).get("startedAt") or st["lastState"]["terminated"]["startedAt"]
            else:
                start = "0000"
            first = lines[0][:19]
            assert first >= start[:19], f"{name}: {e['pod']}/{e['container']} {key} starts {first} before container start {start}"
            for a, b in zip(lines, lines[1:]):
                assert a[:30] <= b[:30], f"{name}: disorder in {e['pod']}"


def write(name, objects, scenario):
    seen = {}
    for o in objects:
        k = ident(o)
        assert k not in seen, f"duplicate {k} in {name}"
        seen[k] = o
    check_logs(name, scenario, seen)
    docs = [scenario] + [ksort(o) for o in objects]
    with open(os.path.join(OUT, name + ".yaml"), "w") as f:
        f.write(HEADER + dump_docs(docs))
    return seen


def main():
    objs, extra = H.build_objects()
    for o in objs:
        if o["kind"] == "Pod":
            BASE[(o["metadata"]["namespace"], o["metadata"]["name"])] = o
    logs = H.healthy_logs(extra)
    sc = H.scenario_doc("healthy", H.HEALTHY_DESCRIPTION, [], logs, H.healthy_timeline())
    write("healthy", objs, sc)
    import incidents
    incidents.write_all(write, objs, extra)


if __name__ == "__main__":
    main()
