"""The operator's alert line for an entry says how the crossing is known: an observed
crossing's 95 % window in UTC and its point along the border; a first detection inside, that
nobody saw the entry and where its course leads back to the border
(``server.picture.event_alert``)."""

from __future__ import annotations

from dataclasses import replace

from dronewall.airspace.events import Entry, Warning
from dronewall.server.alerts import event_alert

BASE = dict(track_id=7, zone_id="POL", zone_kind="sovereign", zone_name="Poland",
            country="POL", time="2026-03-01T00:10:05.400Z", t_s=605.4, lat=52.0, lon=23.6,
            alt_m=120.0, p_inside=0.97, declared_t_s=607.0, from_country="BLR")


def test_an_observed_entry_alert_states_its_window_and_point() -> None:
    e = Entry(**BASE, interpolated=True, evidence="observed_crossing",
              window_t_s=[604.5, 606.3],
              window_utc=["2026-03-01T00:10:04.500Z", "2026-03-01T00:10:06.300Z"],
              point_95_m=26.0)
    a = event_alert(e, "a1", aff="hostile", cls="shahed", p=0.93)
    assert a is not None and a["severity"] == "critical"
    assert a["text"] == ("track 7 (shahed 0.93) entered Poland from BLR (p inside 0.97); "
                         "crossed 00:10:04.5–00:10:06.3 UTC (95 %), point ± 26 m along the "
                         "border")
    assert a["event"]["window_t_s"] == [604.5, 606.3]


def test_a_first_detection_inside_says_nobody_saw_the_entry() -> None:
    """A track first detected inside did not "enter" when it was seen: the line says when it
    was first detected and that nobody saw the entry, where its course leads back to the
    border and whether the sensors covered that path (a pop-up)."""
    e = Entry(**BASE, interpolated=False, evidence="first_detected_inside",
              window_t_s=[480.0, 605.4],
              window_utc=["2026-03-01T00:08:00.000Z", "2026-03-01T00:10:05.400Z"],
              covered_before_s=60.0)
    a = event_alert(e, "a2", aff="unknown")
    assert a["text"] == ("track 7 first detected inside Poland at 00:10:05.4 UTC (p inside "
                         "0.97); entry not seen (its course leads back to the border at "
                         "00:08:00.0 UTC), though that path lay in sensor coverage for 60 s")
    # a pop-up where the sensors were looking, of a track not known as a threat: most often
    # a bird or a local launch -- one step lower than an entry; a threat stays critical
    assert a["severity"] == "medium"
    assert event_alert(e, "a2h", aff="hostile")["severity"] == "critical"
    # a path back that the sensors barely covered is no pop-up: an entry they missed
    brief = event_alert(replace(e, covered_before_s=10.0), "a2b", aff="unknown")
    assert brief["text"].endswith("at 00:08:00.0 UTC)") and brief["severity"] == "high"
    unbounded = Entry(**{**BASE, "t_s": 605.4}, interpolated=False,
                      evidence="first_detected_inside", window_t_s=[None, 605.4],
                      window_utc=[None, "2026-03-01T00:10:05.400Z"])
    u = event_alert(unbounded, "a3")
    assert u["text"].endswith("first detected inside Poland at 00:10:05.4 UTC (p inside 0.97); "
                              "entry not seen (its course does not lead back to the border "
                              "within 30 min)")
    assert u["severity"] == "medium"
    # the monitor's raw entry (no evidence yet) is stated without a window
    raw = Entry(**BASE, interpolated=True)
    assert event_alert(raw, "a4")["text"].endswith("(p inside 0.97)")


def test_a_closed_episode_alert_states_its_duration_bounds() -> None:
    from dronewall.airspace.events import Violation

    v = Violation(track_id=7, zone_id="POL", zone_kind="sovereign", zone_name="Poland",
                  country="POL", time="2026-03-01T00:13:45.000Z", t_s=825.0,
                  from_country="BLR", entry_time="", exit_time="", entry_t_s=605.4,
                  exit_t_s=825.0, entry_point=[52.0, 23.6], exit_point=[52.0, 23.9],
                  entry_interpolated=True, exit_interpolated=True, duration_s=219.6,
                  max_depth_m=4100.0, max_depth_point=[52.0, 23.7],
                  sigma_at_max_depth_m=60.0, path_length_m=9000.0, min_alt_m=100.0,
                  max_alt_m=150.0, max_speed_mps=45.0, p_inside=1.0, p_episode=1.0,
                  confidence="confirmed", ongoing=False, end_reason="exit", n_scans=220,
                  duration_bounds_s=[216.2, 222.8])
    text = event_alert(v, "a5", aff="hostile")["text"]
    assert text == ("violation episode of track 7 in Poland: 220 s (216–223 s), 4.1 km deep, "
                    "confidence confirmed")
    once = event_alert(replace(v, duration_bounds_s=[180.9, None]), "a6")["text"]
    assert "220 s (at least 180 s)" in once     # rounded outwards, never narrower
    assert "(" not in event_alert(replace(v, duration_bounds_s=None), "a7")["text"]


def test_window_ends_round_outwards() -> None:
    """A window's UTC ends are shown to 0.1 s, the start rounded down, the end up: the line
    never states a narrower window than the event."""
    e = Entry(**BASE, interpolated=True, evidence="observed_crossing",
              window_t_s=[604.5, 606.4],
              window_utc=["2026-03-01T00:10:04.580Z", "2026-03-01T00:10:06.320Z"])
    assert "crossed 00:10:04.5–00:10:06.4 UTC (95 %)" in event_alert(e, "a8")["text"]
    e = replace(e, window_utc=["2026-03-01T00:10:59.950Z", "2026-03-01T00:10:59.960Z"])
    assert "crossed 00:10:59.9–00:11:00.0 UTC" in event_alert(e, "a9")["text"]


def test_an_entry_declared_on_prediction_says_so() -> None:
    e = Entry(**BASE, interpolated=True, evidence="observed_crossing",
              window_t_s=[604.5, 606.3],
              window_utc=["2026-03-01T00:10:04.500Z", "2026-03-01T00:10:06.300Z"],
              point_95_m=26.0, predicted_for_s=2.9)
    assert event_alert(e, "a10")["text"].endswith(
        "point ± 26 m along the border; declared on the track's prediction: its last sensor "
        "update was 2.9 s before the crossing")


def test_a_track_found_inside_as_the_picture_began_is_no_entry() -> None:
    """A server (re)started mid-raid finds drones already inside: their alert says so, not
    that they entered then; a minute later a first detection inside is a pop-up again."""
    e = Entry(**BASE, interpolated=False, evidence="first_detected_inside",
              window_t_s=[None, 17.0], window_utc=[None, "2026-03-01T00:00:17.000Z"],
              after_start_s=17.0)
    a = event_alert(e, "a11", aff="hostile", cls="attack_drone", p=0.97)
    assert a["severity"] == "critical"
    assert a["text"] == ("track 7 (attack drone 0.97) inside Poland as the picture began: "
                         "first detected at 00:00:17.0 UTC, 17 s after it began; its entry "
                         "was not seen")
    later = event_alert(replace(e, after_start_s=95.0), "a12")["text"]
    assert "first detected inside Poland at" in later and "as the picture began" not in later
    # a track not (yet) known as a threat found inside at the start is no incursion alarm:
    # a restart mid-raid finds every bird and unclassified track inside at once
    found = event_alert(e, "a13", aff="pending")
    assert found["severity"] == "medium"
    # a minute later, a first detection whose course leads back to the border unseen by any
    # sensor is an entry they missed: high
    missed = replace(e, after_start_s=95.0, window_t_s=[40.0, 95.0],
                     window_utc=["2026-03-01T00:00:40.000Z", "2026-03-01T00:01:35.000Z"])
    assert event_alert(missed, "a14", aff="pending")["severity"] == "high"
    assert event_alert(replace(e, zone_kind="airport"), "a15", aff="unknown")["severity"] == "info"


def test_a_remote_id_drone_entering_an_airport_zone_is_alerted_with_its_serial() -> None:
    """A trusted identity makes a track neutral, and a neutral track's alerts are info --
    but a drone known by its Remote ID alone entering an airport zone is alerted as an
    unknown track would be, naming its serial; in sovereign airspace it stays info."""
    e = Entry(**{**BASE, "zone_id": "EPWA", "zone_kind": "airport", "zone_name": "Warsaw"},
              interpolated=True, evidence="observed_crossing")
    a = event_alert(e, "r1", aff="neutral", cls="multirotor", p=0.9, remote_id="1596F5AB12")
    assert a["severity"] == "medium" and a["affiliation"] == "unknown"
    assert "identified by Remote ID 1596F5AB12, which is no permit to fly here" in a["text"]
    # where the broadcast puts the pilot, when it did
    withop = replace(e, operator_point=[57.098, 9.828], operator_t_s=600.0)
    assert ("identified by Remote ID 1596F5AB12 (pilot at 57.09800 N 9.82800 E, as "
            "broadcast), which is no permit to fly here") in event_alert(
                withop, "r1b", aff="neutral", remote_id="1596F5AB12")["text"]
    # an airliner (ADS-B: no Remote ID serial given) is not raised
    assert event_alert(e, "r2", aff="neutral", cls="manned_aircraft", p=0.9)["severity"] == "info"
    sov = event_alert(Entry(**BASE, interpolated=True), "r3", aff="neutral", remote_id="1596F5AB12")
    assert sov["severity"] == "info" and "Remote ID" not in sov["text"]


def test_an_unverified_broadcast_is_cooperative_traffic_until_shown_otherwise() -> None:
    """An airliner heard on ADS-B beyond the radars enters with its identity not yet
    corroborated: not a HIGH alarm like a silent unknown track, but one step lower, naming
    the identity; a threat (or a suspected spoof) stays as severe as it is."""
    e = Entry(**BASE, interpolated=True, evidence="observed_crossing",
              window_t_s=[604.5, 606.3],
              window_utc=["2026-03-01T00:10:04.500Z", "2026-03-01T00:10:06.300Z"])
    silent = event_alert(e, "u1", aff="unknown")
    coop = event_alert(e, "u2", aff="unknown", cls="manned_aircraft", p=0.8,
                       unverified="4ca123")
    assert silent["severity"] == "high" and coop["severity"] == "medium"
    assert coop["text"].endswith("; broadcasting 4ca123, not yet corroborated by an "
                                 "independent sensor")
    spoof = event_alert(e, "u3", aff="suspect", unverified="4ca123")
    assert spoof["severity"] == "critical" and "broadcasting" not in spoof["text"]
    w = Warning(**{k: v for k, v in BASE.items()
                   if k in ("track_id", "zone_id", "zone_kind", "zone_name", "country", "time",
                            "t_s")},
                predicted_crossing_time="2026-03-01T00:12:05.400Z",
                predicted_crossing_t_s=725.4, time_to_crossing_s=120.0, predicted_lat=52.0,
                predicted_lon=23.6)
    warn = event_alert(w, "u4", aff="unknown", unverified="4ca123")
    assert warn["severity"] == "info" and "broadcasting 4ca123" in warn["text"]


def test_a_neutral_tracks_warning_is_no_alert() -> None:
    """A bird or a trusted airliner predicted to enter a zone: no line for the operator (the
    event is still recorded); an unknown track's warning is one."""
    w = Warning(track_id=7, zone_id="CITY", zone_kind="no_fire", zone_name="Aalborg",
                country=None, time="2026-03-01T00:10:05.400Z", t_s=605.4,
                predicted_crossing_time="2026-03-01T00:12:05.400Z",
                predicted_crossing_t_s=725.4, time_to_crossing_s=120.0, predicted_lat=52.0,
                predicted_lon=23.6)
    assert event_alert(w, "n1", aff="neutral", cls="bird", p=0.99) is None
    assert event_alert(w, "n2", aff="unknown")["severity"] == "info"


def test_the_alert_book_drops_information_before_critical_alerts() -> None:
    from dronewall.server.alerts import AlertBook

    book = AlertBook(50)

    def a(i: int, sev: str, acked: str | None = None) -> dict:
        return {"id": f"a{i}", "severity": sev, "acked_by": acked}

    book.add([a(0, "critical"), a(1, "high", acked="olga"), a(2, "medium")])
    book.add([a(10 + i, "info") for i in range(200)])
    kept = [x["id"] for x in book]
    assert len(book) == 50 and kept[:3] == ["a0", "a1", "a2"]
    assert kept[3:] == [f"a{10 + i}" for i in range(153, 200)]   # the newest information
    # full of real alerts: the acknowledged one goes before the unacknowledged, then the oldest
    # of the lowest severity
    book.add([a(300 + i, "high") for i in range(50)])
    kept = [x["id"] for x in book]
    assert "a0" in kept and "a1" not in kept and "a2" not in kept


def test_a_remote_id_drone_found_in_an_airport_zone_at_the_start_is_named() -> None:
    e = Entry(**{**BASE, "zone_id": "EKYT", "zone_kind": "airport", "zone_name": "Aalborg"},
              interpolated=False, evidence="first_detected_inside",
              window_t_s=[None, 2.0], window_utc=[None, "2026-03-01T00:00:02.000Z"],
              after_start_s=2.0, operator_point=[57.1007, 9.825], operator_t_s=2.0)
    a = event_alert(e, "s1", aff="neutral", cls="multirotor", p=0.9, remote_id="1581F5AB")
    assert a["text"].endswith("its entry was not seen; identified by Remote ID 1581F5AB (pilot "
                              "at 57.10070 N 9.82500 E, as broadcast), which is no permit to "
                              "fly here")


def test_an_entry_where_a_track_took_up_another_target_says_so() -> None:
    """A flock's track that took a decoy's plots inside: its record is split there and the
    new body's entry is declared when the change is found -- the line says the track took up
    another target then, not that something was "first detected" or "entered"."""
    change = {"track_id": 7, "old_until_t_s": 598.0, "new_from_t_s": 612.0,
              "old_until_utc": "2026-03-01T00:09:58.000Z",
              "new_from_utc": "2026-03-01T00:10:12.000Z", "old_class": "bird",
              "new_class": "attack_drone", "old_speed_mps": 12.3, "new_speed_mps": 44.6,
              "speed_changed_t_s": 605.4, "speed_changed_utc": "2026-03-01T00:10:05.400Z",
              "where": "before_entry"}
    e = Entry(**{**BASE, "declared_t_s": 740.0}, interpolated=False,
              evidence="first_detected_inside", window_t_s=[480.0, 605.4],
              window_utc=["2026-03-01T00:08:00.000Z", "2026-03-01T00:10:05.400Z"],
              target_changes=[change])
    a = event_alert(e, "a9", aff="hostile", cls="attack_drone", p=0.91)
    assert a["text"] == ("track 7 (attack drone 0.91) took up another target inside Poland at "
                         "00:10:05.4 UTC: an attack drone at 45 m/s since; before, it followed "
                         "a bird at 12 m/s")
    assert a["severity"] == "critical" and a["event"]["target_changes"] == [change]
    assert "target_changes" not in replace(e, target_changes=None).to_dict()
