"""Platform catalogue with sourced defaults.

Every figure carries a flag, following ``../shared/research/costs-and-wta.md`` (section 1):

- ``[P]``  published (stated in the cited public source; often a press claim),
- ``[P-d]`` derived by arithmetic from published figures,
- ``[E]``  our engineering estimate -- treat as a scenario parameter with a range, not a fact.

Sources are named in each entry's ``sources``; the full citations (outlets, dates) are in
``docs/catalogue.md``. Scenario files may override speed, altitude and RCS per raid or route.

Acoustic source levels are A-weighted-ish broadband sound pressure levels referenced to 1 m
(dB re 20 uPa @ 1 m). No public per-type measurement was found for the military types; the values
are engineering estimates [E] chosen so that a Shahed-class two-stroke engine is heard at a few
km by a rural node (the research note estimates ~1-2 km radius for Sky Fortress nodes, and
reports 200-500 m for small quadcopters with ML detectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from dronewall.errors import InputError


class PlatformClass(IntEnum):
    """Ground-truth / classification classes (issue 5 classifies into these)."""

    MANNED_AIRCRAFT = 0
    ATTACK_DRONE = 1  # Shahed-class one-way attack
    DECOY = 2  # Gerbera-class
    RECON_UAV = 3  # Orlan-10 class
    MULTIROTOR = 4  # DJI class and FPV
    BIRD = 5
    UNKNOWN = 6


class MotionModel(IntEnum):
    FIXED_WING = 0
    MULTIROTOR = 1
    BIRD = 2


class AcousticClass(IntEnum):
    """Acoustic signature class an acoustic node's classifier reports (-1: none)."""

    NONE = -1
    PISTON_PROP = 0  # two-stroke / small piston engine with propeller ("moped" sound)
    ELECTRIC_ROTOR = 1  # multirotor propellers
    JET = 2  # turbojet / turbofan
    BIRD = 3


class MicroDoppler(IntEnum):
    """Micro-Doppler signature class a radar with micro-Doppler classification reports (-1: none).

    The modulation of the echo by moving parts reveals the propulsion: rotating rotor blades
    (multirotors), a single propeller (piston fixed-wing), turbine blades (jets), flapping wings
    (birds). The codes equal the :class:`AcousticClass` codes of the same propulsion, so a
    platform's micro-Doppler class is its acoustic class.
    """

    NONE = -1
    PROPELLER = 0
    ROTOR = 1
    JET = 2
    WINGBEAT = 3


class RFProtocol(IntEnum):
    """RF emission tag an RF detector reports (-1: not emitting)."""

    NONE = -1
    DJI_OCUSYNC = 0  # 2.4/5.8 GHz control + video link
    ANALOG_VIDEO_5G8 = 1  # FPV analogue video
    MILITARY_DATALINK = 2  # C2/video datalink of reconnaissance UAVs
    CELLULAR_MODEM = 3  # LTE modem fitted to some attack drones [E]


@dataclass(frozen=True)
class PlatformSpec:
    """Default performance and signatures of a platform type. SI units.

    ``rcs_m2`` is the mean radar cross section (Swerling fluctuation is applied by the radar
    model around this mean). ``gnss_navigated`` platforms follow GNSS-derived navigation and are
    deflected by GNSS-jamming areas. ``unit_cost_usd`` is the purchase price of one unit.
    """

    key: str
    name: str
    platform_class: PlatformClass
    motion: MotionModel
    cruise_speed_mps: float
    max_speed_mps: float
    cruise_alt_m: float  # height above ground / ellipsoid (no terrain model)
    max_turn_rate_dps: float  # deg/s
    max_climb_mps: float
    rcs_m2: float
    acoustic_sl_db: float  # dB re 20 uPa @ 1 m
    acoustic_class: AcousticClass
    rf_protocol: RFProtocol
    unit_cost_usd: float
    gnss_navigated: bool
    sources: str

    @property
    def emits_rf(self) -> bool:
        return self.rf_protocol != RFProtocol.NONE


_KMH = 1.0 / 3.6

PLATFORMS: dict[str, PlatformSpec] = {
    p.key: p
    for p in [
        PlatformSpec(
            key="shahed136", name="Shahed-136 / Geran-2 one-way attack drone",
            platform_class=PlatformClass.ATTACK_DRONE, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=160 * _KMH,  # cruise 150-170 km/h [P]
            max_speed_mps=185 * _KMH,  # max ~185 km/h [P]
            cruise_alt_m=150.0,  # "low altitude" [P]; 50-2,000 m [E]
            max_turn_rate_dps=6.0,  # [E] ~2 g limited, small delta wing
            max_climb_mps=5.0,  # [E]
            rcs_m2=0.3,  # "small RCS" [P]; 0.1-1 m2 [E]
            acoustic_sl_db=105.0,  # two-stroke ~50 hp piston engine, "moped" sound [P]; level [E]
            acoustic_class=AcousticClass.PISTON_PROP,
            rf_protocol=RFProtocol.NONE,  # autonomous GNSS/INS flight [E]
            unit_cost_usd=35_000.0,  # ~$35k in NATO-context reporting [P]; range $20-100k [E]
            gnss_navigated=True,
            sources="costs-and-wta.md s.1: euronews.ro; g4media.ro; tvn24.pl; ubn.news; UK MoD",
        ),
        PlatformSpec(
            key="gerbera", name="Gerbera decoy",
            platform_class=PlatformClass.DECOY, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=140 * _KMH,  # [E] below max 160 km/h [P]
            max_speed_mps=160 * _KMH,  # max 160 km/h [P]
            cruise_alt_m=300.0,  # 100-2,000 m [E]
            max_turn_rate_dps=8.0,  # [E] light foam airframe
            max_climb_mps=4.0,  # [E]
            rcs_m2=0.3,  # built to mimic Shahed radar signature [P] -> same mean RCS [E]
            acoustic_sl_db=92.0,  # small rear pusher engine, wooden prop [P]; level [E]
            acoustic_class=AcousticClass.PISTON_PROP,
            rf_protocol=RFProtocol.NONE,
            unit_cost_usd=6_000.0,  # "a few thousand dollars" [P]; $2-10k [E]
            gnss_navigated=True,
            sources="costs-and-wta.md s.1: dcnews.ro (Reuters, IISS); kyivindependent.com (CNN); "
                    "newsukraine.rbc.ua (Bild)",
        ),
        PlatformSpec(
            key="orlan10", name="Orlan-10-class reconnaissance UAV",
            platform_class=PlatformClass.RECON_UAV, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=110 * _KMH,  # 90-150 km/h [E]
            max_speed_mps=150 * _KMH,  # [E]
            cruise_alt_m=1_000.0,  # up to ~5 km [E]
            max_turn_rate_dps=10.0,  # [E]
            max_climb_mps=5.0,  # [E]
            rcs_m2=0.1,  # [E] 3.1 m span composite airframe
            acoustic_sl_db=95.0,  # piston engine [E]
            acoustic_class=AcousticClass.PISTON_PROP,
            rf_protocol=RFProtocol.MILITARY_DATALINK,  # emits C2/video [E]
            unit_cost_usd=100_000.0,  # ~$80-120k per airframe [E] from 5-7 M RUB (2015) [P]
            gnss_navigated=True,
            sources="costs-and-wta.md s.1: dnevnik.hr; elaph.com; topwar",
        ),
        PlatformSpec(
            key="dji_multirotor", name="Small multirotor (DJI Mavic class)",
            platform_class=PlatformClass.MULTIROTOR, motion=MotionModel.MULTIROTOR,
            cruise_speed_mps=12.0,  # [E]
            max_speed_mps=21.0,  # ~21 m/s (75 km/h) [E]
            cruise_alt_m=100.0,  # 0-500 m [E]
            max_turn_rate_dps=90.0,  # [E] can turn on the spot
            max_climb_mps=6.0,  # [E]
            rcs_m2=0.01,  # ~0.01 m2 order, aspect dependent [E]
            acoustic_sl_db=78.0,  # [E]; detection 200-500 m with ML detectors [P]
            acoustic_class=AcousticClass.ELECTRIC_ROTOR,
            rf_protocol=RFProtocol.DJI_OCUSYNC,  # C2/video link + Remote ID [P]
            unit_cost_usd=2_000.0,  # ~$2k [E]
            gnss_navigated=True,
            sources="costs-and-wta.md s.1: robinradar.com; techradar; mdpi Electronics 13(3):643",
        ),
        PlatformSpec(
            key="fpv", name="FPV attack quadcopter",
            platform_class=PlatformClass.MULTIROTOR, motion=MotionModel.MULTIROTOR,
            cruise_speed_mps=25.0,  # [E]
            max_speed_mps=200 * _KMH,  # up to 200 km/h [P]
            cruise_alt_m=30.0,  # very low [E]
            max_turn_rate_dps=180.0,  # [E]
            max_climb_mps=15.0,  # [E]
            rcs_m2=0.005,  # [E]
            acoustic_sl_db=82.0,  # [E]
            acoustic_class=AcousticClass.ELECTRIC_ROTOR,
            rf_protocol=RFProtocol.ANALOG_VIDEO_5G8,  # 5.8 GHz video emitter [E]
            unit_cost_usd=400.0,  # $350-420 [P, 2023]
            gnss_navigated=False,
            sources="costs-and-wta.md s.1: rp.pl (Forbes); eurozpravy.cz",
        ),
        PlatformSpec(
            key="mig31", name="MiG-31 interceptor (manned)",
            platform_class=PlatformClass.MANNED_AIRCRAFT, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=250.0,  # [E] subsonic transit
            max_speed_mps=830.0,  # up to ~Mach 2.8 at altitude [E]
            cruise_alt_m=8_000.0,  # up to ~20 km [E]
            max_turn_rate_dps=3.0,  # [E] standard transit turns
            max_climb_mps=50.0,  # [E]
            rcs_m2=10.0,  # [E] large fighter
            acoustic_sl_db=150.0,  # [E] afterburning turbofan class
            acoustic_class=AcousticClass.JET,
            rf_protocol=RFProtocol.NONE,  # transponder off in the 19 Sep 2025 incident [P]
            unit_cost_usd=float("nan"),  # n/a: manned, not a WTA target in peacetime [P]
            gnss_navigated=False,
            sources="costs-and-wta.md s.1: news.err.ee; joint-forces.com",
        ),
        PlatformSpec(
            key="airliner", name="Airliner (A320/B737 class)",
            platform_class=PlatformClass.MANNED_AIRCRAFT, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=230.0,  # ~450 kt cruise [E]
            max_speed_mps=260.0,  # [E]
            cruise_alt_m=10_500.0,  # FL340-ish [E]
            max_turn_rate_dps=3.0,  # standard rate turn (3 deg/s) [E]
            max_climb_mps=12.0,  # [E]
            rcs_m2=30.0,  # [E]
            acoustic_sl_db=140.0,  # [E]
            acoustic_class=AcousticClass.JET,
            rf_protocol=RFProtocol.NONE,
            unit_cost_usd=float("nan"),  # not a target
            gnss_navigated=False,
            sources="[E] engineering estimates",
        ),
        PlatformSpec(
            key="light_aircraft", name="Light aircraft (Cessna 172 class)",
            platform_class=PlatformClass.MANNED_AIRCRAFT, motion=MotionModel.FIXED_WING,
            cruise_speed_mps=55.0,  # ~110 kt [E]
            max_speed_mps=70.0,  # [E]
            cruise_alt_m=1_000.0,  # [E]
            max_turn_rate_dps=3.0,  # standard rate [E]
            max_climb_mps=3.5,  # [E]
            rcs_m2=2.0,  # [E]
            acoustic_sl_db=120.0,  # [E]
            acoustic_class=AcousticClass.PISTON_PROP,
            rf_protocol=RFProtocol.NONE,
            unit_cost_usd=float("nan"),
            gnss_navigated=False,
            sources="[E] engineering estimates",
        ),
        PlatformSpec(
            key="bird", name="Bird or small flock (nuisance)",
            platform_class=PlatformClass.BIRD, motion=MotionModel.BIRD,
            cruise_speed_mps=12.0,  # [E]
            max_speed_mps=20.0,  # [E]
            cruise_alt_m=80.0,  # [E]
            max_turn_rate_dps=30.0,  # [E] erratic
            max_climb_mps=3.0,  # [E]
            rcs_m2=0.01,  # [E] large single bird ~0.01 m2; flocks more
            acoustic_sl_db=50.0,  # [E] effectively inaudible to engine-tuned nodes
            acoustic_class=AcousticClass.BIRD,
            rf_protocol=RFProtocol.NONE,
            unit_cost_usd=0.0,
            gnss_navigated=False,
            sources="[E] engineering estimates",
        ),
    ]
}


def get_platform(key: str) -> PlatformSpec:
    """Look up a platform; unknown keys raise InputError listing the allowed ones."""
    try:
        return PLATFORMS[key]
    except KeyError:
        raise InputError(
            f"unknown platform {key!r}; allowed: {', '.join(sorted(PLATFORMS))}"
        ) from None
