"""Fuzz every live interop adapter with mutated frames (issue 16): N per adapter, 0 crashes,
every bad frame counted with a reason.

Each adapter gets valid frames of its protocol (from the test encoders: ADS-B DF17 position /
identity / velocity, Remote ID messages and packs, SAPIENT messages, ASTERIX CAT048/CAT062)
mutated at random (bit flips, byte substitutions, truncation, extension, splices of two
frames, pure random bytes), fed one at a time. A frame "raises" if the adapter lets any
exception out; at the end the adapter's counters must account for every frame that was not
accepted (malformed + rejected + accepted >= frames fed, per its counting unit).

    .venv/bin/python bench/fuzz_adapters.py --n 100000          # ~minutes on 2 cores
    .venv/bin/python bench/fuzz_adapters.py --n 2000 --only sapient
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "adapters"))


def mutate(rng: np.random.Generator, b: bytes, pool: list[bytes]) -> bytes:
    k = int(rng.integers(0, 7))
    a = bytearray(b)
    if k == 0 and a:            # bit flips
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(0, len(a)))
            a[i] ^= 1 << int(rng.integers(0, 8))
    elif k == 1 and a:          # byte substitutions
        for _ in range(int(rng.integers(1, 6))):
            a[int(rng.integers(0, len(a)))] = int(rng.integers(0, 256))
    elif k == 2:                # truncation
        a = a[:int(rng.integers(0, max(len(a), 1)))]
    elif k == 3:                # extension
        a += rng.integers(0, 256, int(rng.integers(1, 40))).astype(np.uint8).tobytes()
    elif k == 4:                # splice of two frames
        o = pool[int(rng.integers(0, len(pool)))]
        a = a[:int(rng.integers(0, len(a) + 1))] + o[int(rng.integers(0, len(o) + 1)):]
    elif k == 5:                # pure random
        a = bytearray(rng.integers(0, 256, int(rng.integers(0, 120))).astype(np.uint8)
                      .tobytes())
    return bytes(a)           # k == 6: the valid frame itself


def adsb_cases() -> tuple[list[bytes], Callable[[], tuple[Callable[[bytes], object], object]]]:
    import modes_encode as enc

    from dronewall.adapters.adsb_feed import AdsbFeed

    frames = [bytes.fromhex(h) for _, h, _ in enc.flight(0x48AE01, "LOT1", 50.0, 21.0, 30000,
                                                          200.0, 10.0, 20)]

    def make() -> tuple[Callable[[bytes], object], object]:
        feeds = {f: AdsbFeed(f, receiver_at=(50.0, 21.0)) for f in ("beast", "avr", "sbs")}

        def feed(b: bytes) -> object:
            feeds["beast"].feed(b"\x1a3" + b[:6] + b"\x80" + b[6:], 0.0)
            feeds["avr"].feed(b"*" + b.hex().upper().encode() + b";\n", 0.0)
            feeds["sbs"].feed(b"MSG,3,1,1," + b.hex()[:6].encode() + b",1,,,,,," +
                              b.hex()[6:40].encode() + b"\n", 0.0)
            return None
        return feed, feeds
    return frames, make


def rid_cases() -> tuple[list[bytes], Callable[[], tuple[Callable[[bytes], object], object]]]:
    import rid_encode as rid

    from dronewall.adapters.remote_id import RemoteIdDecoder

    frames = [rid.basic_id("1581F5FKD229C00A0BY1"), rid.location(50.1, 22.0, 120.0),
              rid.system(50.09, 22.01, 200.0), rid.operator_id("OP1"),
              rid.pack(rid.basic_id("X1"), rid.location(50.0, 22.0, 100.0))]

    def make() -> tuple[Callable[[bytes], object], object]:
        d = RemoteIdDecoder()
        return (lambda b: d.line(b.hex(), 0.0)), d
    return frames, make


def sapient_cases() -> tuple[list[bytes], Callable[[], tuple[Callable[[bytes], object], object]]]:
    from dronewall.adapters.sapient.dmm import Binding, FusionNode, registration_message
    from dronewall.adapters.sapient.wire import new_ulid, pb, stamp
    from dronewall.detections import SensorKind

    node = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    P = pb()
    reg = registration_message(node, "n", "NODE_TYPE_RADAR")
    det = P.SapientMessage(node_id=node, detection_report=P.DetectionReport(
        report_id=new_ulid(), object_id=new_ulid(), range_bearing=P.RangeBearing(
            azimuth=10.0, range=5000.0, elevation=1.0, coordinate_system=1, datum=1)))
    det.detection_report.classification.add(type="UAV Rotary Wing", confidence=0.8)
    stamp(det)
    st = P.SapientMessage(node_id=node, status_report=P.StatusReport(
        report_id=new_ulid(), system=1, info=1, mode="m"))
    stamp(st)
    frames = [m.SerializeToString() for m in (reg, det, st)]

    def make() -> tuple[Callable[[bytes], object], object]:
        # bound (so reports are converted and their classifications mapped), as in serve
        fn = FusionNode({node: Binding(0, 51.5, 23.5, 30.0, kind=int(SensorKind.RADAR),
                                       classes={"Drone": "rotor"})})
        fn.handle(frames[0], 0.0)
        return (lambda b: fn.handle(b, 0.0)), fn
    return frames, make


def asterix_cases() -> tuple[list[bytes], Callable[[], tuple[Callable[[bytes], object], object]]]:
    import test_asterix as ta

    from dronewall.adapters.asterix import AsterixDecoder, RadarSite

    frames = [ta.HAND_048, ta._cat048([(10.0, 30.0, 50.0), (3.0, 200.0, None)]),
              ta._cat062(50.1, 22.0, 3000.0, 40.0)]

    def make() -> tuple[Callable[[bytes], object], object]:
        d = AsterixDecoder({(7, 9): RadarSite(0, 0.0, 50.0, 0.01)}, accept_unknown=True)
        return (lambda b: d.datagram(b, 0.0)), d
    return frames, make


CASES = {"adsb": adsb_cases, "remote_id": rid_cases, "sapient": sapient_cases,
         "asterix": asterix_cases}


def counters_of(obj: object) -> list[dict]:
    if isinstance(obj, dict):
        return [f.counters.to_dict() for f in obj.values()]   # type: ignore[attr-defined]
    return [obj.counters.to_dict()]   # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--only", choices=sorted(CASES), default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz-adapters.json")
    args = ap.parse_args()
    res = {}
    failed = False
    for name, cases in CASES.items():
        if args.only and name != args.only:
            continue
        rng = np.random.default_rng(args.seed)
        pool, make = cases()
        feed, holder = make()
        crashes = []
        t0 = time.time()
        for _ in range(args.n):
            b = mutate(rng, pool[int(rng.integers(0, len(pool)))], pool)
            try:
                feed(b)
            except Exception:  # noqa: BLE001 - what the fuzzer looks for
                crashes.append(b.hex())
                if len(crashes) <= 3:
                    traceback.print_exc()
        cs = counters_of(holder)
        total = sum(c["accepted"] + c["rejected"] + c["malformed"] for c in cs)
        reasons = sorted({r for c in cs for r in [*c["rejected_by_reason"],
                                                   *c["malformed_by_reason"]]})
        res[name] = {"frames": args.n, "crashes": len(crashes), "counted": total,
                     "seconds": round(time.time() - t0, 1), "reasons": len(reasons),
                     "crash_examples": crashes[:3]}
        ok = not crashes and total >= args.n
        failed |= not ok
        print(f"{name:10s} {args.n:7d} frames  {len(crashes)} crashes  {total} counted  "
              f"{len(reasons)} distinct reasons  {res[name]['seconds']} s  "
              f"{'ok' if ok else 'FAILED'}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
