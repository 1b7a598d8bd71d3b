"""Test helper: each track row of a ``simulate`` run with the platform it follows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv


def rows_following(out: Path, lat0_deg: float, radius_m: float = 1000.0,
                   t_min: float = float("-inf")) -> list[tuple[str, str]]:
    """(platform id, class) of each ``tracks.csv`` row from ``t_min`` s on whose nearest
    ``truth.csv`` platform at its time lies within ``radius_m`` (a flat-earth distance about
    ``lat0_deg``, m)."""
    tk = pacsv.read_csv(out / "tracks.csv").to_pydict()
    tr = pacsv.read_csv(out / "truth.csv").to_pydict()
    tt = np.asarray(tr["t_s"], float)
    k_lon = 111_000.0 * np.cos(np.radians(lat0_deg))
    tpos = np.c_[np.asarray(tr["lat_deg"]) * 111_000.0, np.asarray(tr["lon_deg"]) * k_lon]
    tid = np.asarray(tr["platform_id"], dtype=object)
    out_rows: list[tuple[str, str]] = []
    for t, la, lo, c in zip(tk["t_s"], tk["lat_deg"], tk["lon_deg"], tk["class"],
                            strict=True):
        rows = np.flatnonzero(tt == t)
        if rows.size == 0 or t < t_min:
            continue
        d = np.hypot(tpos[rows, 0] - la * 111_000.0, tpos[rows, 1] - lo * k_lon)
        k = int(np.argmin(d))
        if d[k] <= radius_m:
            out_rows.append((str(tid[rows[k]]), str(c)))
    return out_rows


def flock_rows_with_and_without(tmp_path: Path, monkeypatch: object, scenario: str,
                                network: str, min_rows: tuple[int, int],
                                seeds: tuple[int, ...] = (1, 2)
                                ) -> dict[str, tuple[list[str], list[str]]]:
    """Run ``scenario`` (YAML text with ``SEED``) per seed with the classifier's sensor model
    ``network`` (a ``pipeline.wiring`` factory: ``acoustic_network``, ``rf_network``) and
    without it; per case, the classes of the track rows following a flock and of those
    following anything else, pooled over the seeds (each seed and case must give at least
    ``min_rows`` of each)."""
    from dronewall.pipeline import wiring
    from dronewall.pipeline.simulate import run_simulation
    from dronewall.scenario import parse_scenario

    rows: dict[str, tuple[list[str], list[str]]] = {"with": ([], []), "without": ([], [])}
    for seed in seeds:
        sc = parse_scenario(scenario.replace("SEED", str(seed)))
        for case in ("with", "without"):
            with monkeypatch.context() as m:  # type: ignore[attr-defined]
                if case == "without":
                    m.setattr(wiring, network, lambda model: None)
                out = tmp_path / f"{case}-{seed}"
                run_simulation(sc, out)
            got: tuple[list[str], list[str]] = ([], [])
            for pid, c in rows_following(out, sc.origin.lat_deg):
                got[0 if pid.startswith("flocks") else 1].append(c)
            assert len(got[0]) > min_rows[0] and len(got[1]) > min_rows[1], (seed, case)
            rows[case][0].extend(got[0])
            rows[case][1].extend(got[1])
    return rows
