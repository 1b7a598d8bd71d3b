"""Airspace analytics speed: 10,000 tracks x 500 zone polygons per scan, one core.

Zones: 500 irregular star-shaped polygons (50-200 vertices, radius log-uniform 2-20 km) spread
over a ~1,200 km x 1,000 km region (lat 49-61 N, lon 14-30 E), every tenth with an altitude
band; tracks:
10,000 drones at 20-60 m/s on random headings, sigma 50 m, scan period 2 s, velocities
estimated by the monitor (vel_enu=None). Most tracks are outside most zones. Usage:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_airspace.py

``--r-min-m 3000 --r-max-m 25000`` gives a denser, harder case (about a quarter of the tracks
inside some zone). Prints one JSON line: ms/scan (median and p90 over steady-state scans, i.e.
after the first), pairs inside, events per scan.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

#: Region (deg): the eastern-flank belt from northern Poland to Finland (~1,200 x 1,000 km).
REGION = (49.0, 61.0, 14.0, 30.0)


def make_zones(rng: np.random.Generator, n_zones: int, r_min_m: float, r_max_m: float,
               region: tuple[float, float, float, float] = REGION) -> list[dict]:
    """Star-shaped polygons, 50-200 vertices, radius log-uniform in [r_min_m, r_max_m]."""
    specs = []
    for k in range(n_zones):
        lat0 = rng.uniform(region[0] + 0.5, region[1] - 0.5)
        lon0 = rng.uniform(region[2] + 0.5, region[3] - 0.5)
        nv = int(rng.integers(50, 201))
        r_m = float(np.exp(rng.uniform(np.log(r_min_m), np.log(r_max_m))))
        ang = np.sort(rng.uniform(0, 2 * np.pi, nv))
        rad = r_m * (1.0 + 0.25 * rng.uniform(-1, 1, nv))
        dlat = rad * np.sin(ang) / 111_320.0
        dlon = rad * np.cos(ang) / (111_320.0 * np.cos(np.radians(lat0)))
        poly = [[float(lat0 + a), float(lon0 + b)] for a, b in zip(dlat, dlon, strict=True)]
        spec = {"id": f"z{k:03d}", "kind": ["airport", "infrastructure", "no_fire",
                                            "engagement", "custom"][k % 5],
                "area": {"polygon": poly}}
        if k % 10 == 0:
            spec["floor_m"], spec["ceiling_m"] = 0.0, 1500.0
        specs.append(spec)
    return specs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracks", type=int, default=10_000)
    ap.add_argument("--zones", type=int, default=500)
    ap.add_argument("--scans", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--r-min-m", type=float, default=2_000.0,
                    help="smallest zone radius (infrastructure sites)")
    ap.add_argument("--r-max-m", type=float, default=20_000.0,
                    help="largest zone radius (airport control zones, cities)")
    args = ap.parse_args()

    from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet

    rng = np.random.default_rng(args.seed)
    a = time.perf_counter()
    zs = ZoneSet.from_specs(make_zones(rng, args.zones, args.r_min_m, args.r_max_m))
    build_s = time.perf_counter() - a
    n = args.tracks
    lat = rng.uniform(REGION[0], REGION[1], n)
    lon = rng.uniform(REGION[2], REGION[3], n)
    alt = rng.uniform(50.0, 3000.0, n)
    spd = rng.uniform(20.0, 60.0, n)
    hdg = rng.uniform(0, 2 * np.pi, n)
    ve, vn = spd * np.sin(hdg), spd * np.cos(hdg)
    ids = np.arange(n)
    sigma = np.full(n, 50.0)
    mon = AirspaceMonitor(zs, AirspaceConfig())
    dt = 2.0
    times, n_events = [], 0
    for k in range(args.scans):
        a = time.perf_counter()
        ev = mon.step(k * dt, ids, lat, lon, alt, sigma, None)
        times.append(time.perf_counter() - a)
        n_events += len(ev)
        lat = lat + np.degrees(vn * dt / 6_371_000.0)
        lon = lon + np.degrees(ve * dt / (6_371_000.0 * np.cos(np.radians(lat))))
    steady = np.array(times[1:]) * 1e3
    print(json.dumps({
        "tracks": n, "zones": len(zs), "parts": len(zs.parts),
        "vertices": int(sum(len(p.exterior.coords) for p in zs.parts)),
        "zone_build_s": round(build_s, 3),
        "first_scan_ms": round(times[0] * 1e3, 2),
        "ms_per_scan_median": round(float(np.median(steady)), 2),
        "ms_per_scan_p90": round(float(np.percentile(steady, 90)), 2),
        "pairs_in_table": mon.n_pairs,
        "zone_area_fraction_deg2": round(float(sum(p.area for p in zs.parts)) / (
            (REGION[1] - REGION[0]) * (REGION[3] - REGION[2])), 3),
        "events_per_scan": round(n_events / args.scans, 1),
        "scans": args.scans, "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
    }))


if __name__ == "__main__":
    main()
