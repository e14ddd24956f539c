"""Helpers shared by the scenario generator: time, ids, YAML output, object builders."""
import base64
import copy
import datetime as dt
import hashlib
import json
import re
import uuid

import yaml

UTC = dt.timezone.utc
ANCHOR = dt.datetime(2026, 11, 24, 6, 0, 0, tzinfo=UTC)
ANCHOR_S = "2026-11-24T06:00:00Z"


def at(**kw):
    return ANCHOR + dt.timedelta(**kw)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _nanos(salt):
    return int(hashlib.sha256(salt.encode()).hexdigest()[:8], 16) % 1_000_000_000


def tsn(t, salt=""):
    """RFC3339Nano: the instant's microseconds when it has some, else deterministic pseudo-random ones."""
    if t.microsecond:
        us = t.microsecond
        if us % 1000 == 0:
            us += _nanos("us" + salt + ts(t)) % 1000
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{us:06d}{_nanos(salt + ts(t)) % 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{_nanos(salt + ts(t)) % 300_000_000:09d}Z"


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z ")


def monotonic(lines):
    """Make leading timestamps strictly increasing (keeping the written order), in the JSON too."""
    out, prev = [], None
    for ln in lines:
        m = _STAMP.match(ln)
        if not m:
            out.append(ln)
            continue
        t = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        ns = int(m.group(2))
        key = (t, ns)
        if prev and key <= prev:
            pt, pns = prev
            pns += 1_000_000 + _nanos(ln) % 40_000_000
            t = pt + dt.timedelta(seconds=pns // 1_000_000_000)
            ns = pns % 1_000_000_000
            old = m.group(1) + "." + m.group(2) + "Z"
            new = t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"
            ln = ln.replace(old, new)
            key = (t, ns)
        prev = key
        out.append(ln)
    return out


def hexs(seed, n=64):
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}#{i}".encode()).hexdigest()
        i += 1
    return out[:n]


def uid(key):
    return str(uuid.UUID(hex=hexs("uid:" + key, 32), version=4))


SAFE = "bcdfghjklmnpqrstvwxz2456789"


def safe(seed, n):
    """Kubernetes-style random suffix (rand.SafeEncodeString alphabet)."""
    d = hashlib.sha256(("safe:" + seed).encode()).digest()
    return "".join(SAFE[b % len(SAFE)] for b in d[:n])


def b64(s):
    return base64.b64encode(s.encode()).decode()


def fake_pem(kind, who):
    return b64(f"-----BEGIN {kind}-----\nFAKE-{kind.replace(' ', '-')}-FOR-SIMULATION-ONLY/{who}\n-----END {kind}-----\n")


def containerd(seed):
    return "containerd://" + hexs("cid:" + seed)


def image_id(image, seed=None):
    repo = image.split(":")[0]
    return f"{repo}@sha256:{hexs('img:' + (seed or image))}"


# ---------------------------------------------------------------------------
# YAML output


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


# Strings that YAML 1.2 (serde_yaml) would read as numbers, bools or null must be quoted even
# where PyYAML's YAML 1.1 resolver would not quote them.
_Y12 = [
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
    re.compile(r"^0o[0-7]+$"),
    re.compile(r"^0x[0-9a-fA-F]+$"),
    re.compile(r"^[-+]?\.(inf|Inf|INF)$"),
    re.compile(r"^\.(nan|NaN|NAN)$"),
    re.compile(r"^(true|True|TRUE|false|False|FALSE|null|Null|NULL|~|y|Y|n|N|yes|no|on|off|Yes|No|On|Off|YES|NO|ON|OFF)$"),
]


def _str_rep(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if any(r.match(data) for r in _Y12) or data == "":
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


Dumper.add_representer(str, _str_rep)


def ksort(o):
    """Sort keys recursively, as kubectl prints objects."""
    if isinstance(o, dict):
        return {k: ksort(o[k]) for k in sorted(o)}
    if isinstance(o, list):
        return [ksort(x) for x in o]
    return o


def dump_docs(docs, header=""):
    parts = []
    for d in docs:
        parts.append(yaml.dump(d, Dumper=Dumper, sort_keys=False, width=100000, allow_unicode=True,
                               default_flow_style=False, explicit_start=True))
    return header + "".join(parts)


# ---------------------------------------------------------------------------
# object builders


def group_of(api_version):
    return api_version.split("/")[0] if "/" in api_version else ""


def ident(o):
    m = o["metadata"]
    return (group_of(o["apiVersion"]), o["kind"], m.get("namespace", ""), m["name"])


def obj(api_version, kind, name, ns=None, *, created, labels=None, annotations=None, owner=None,
        generation=None, finalizers=None, uid_key=None, **body):
    md = {"name": name, "creationTimestamp": ts(created),
          "uid": uid(uid_key or f"{api_version}/{kind}/{ns or ''}/{name}")}
    if ns:
        md["namespace"] = ns
    if labels:
        md["labels"] = dict(labels)
    if annotations:
        md["annotations"] = dict(annotations)
    if owner:
        md["ownerReferences"] = owner if isinstance(owner, list) else [owner]
    if generation is not None:
        md["generation"] = generation
    if finalizers:
        md["finalizers"] = finalizers
    o = {"apiVersion": api_version, "kind": kind, "metadata": md}
    o.update(body)
    return o


def owner_ref(o, controller=True):
    r = {"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
         "uid": o["metadata"]["uid"]}
    if controller:
        r["controller"] = True
        r["blockOwnerDeletion"] = True
    return r


def ref(o):
    """A `remove` / patch reference to an object."""
    r = {"apiVersion": o["apiVersion"], "kind": o["kind"]}
    if o["metadata"].get("namespace"):
        r["namespace"] = o["metadata"]["namespace"]
    r["name"] = o["metadata"]["name"]
    return r


def cond(type_, status, reason, message, when, **extra):
    c = {"type": type_, "status": status, "reason": reason, "message": message,
         "lastTransitionTime": ts(when)}
    c.update(extra)
    return c


def flux_labels(ks):
    return {"kustomize.toolkit.fluxcd.io/name": ks, "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}


def jline(t, level, msg, salt="", **fields):
    """A controller-runtime/zap style JSON log line with a leading RFC3339 timestamp."""
    stamp = tsn(t, salt + msg)
    body = {"level": level, "ts": stamp, "msg": msg}
    body.update(fields)
    return stamp + " " + json.dumps(body, separators=(",", ":"))


def deep(o):
    return copy.deepcopy(o)
