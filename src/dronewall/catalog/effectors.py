"""Effector catalogue with sourced defaults (issue 6).

Every figure carries a flag in the entry's ``flags`` mapping (field name -> flag), following
``../shared/research/costs-and-wta.md`` section 2 and ``docs/effectors.md``:

- ``[P]``   published (stated in the cited public source; often a press or vendor claim),
- ``[P-d]`` derived by arithmetic from published figures,
- ``[E]``   our engineering estimate -- a scenario parameter with a range, not a fact.

**What a "shot" is.** The unit the weapon-target assignment counts and the magazine holds:
one missile (SAM, MANPADS, AAM), one interceptor drone, one *burst* of gun or machine-gun fire
(the research note gives gun Pk and cost per engagement burst), one laser dwell, one jamming
engagement. ``cost_per_shot_eur`` and the single-shot kill probabilities ``pk`` refer to that
unit. Currency: EUR, converted at 1 EUR = 1.1 USD [E] where the source gives dollars.

**Kill probability** ``pk`` is indexed by :class:`~dronewall.catalog.platforms.PlatformClass`
(MANNED_AIRCRAFT, ATTACK_DRONE, DECOY, RECON_UAV, MULTIROTOR, BIRD, UNKNOWN). It is the
*capability* of the effector against the class; whether a class may be engaged at all is the
rules of engagement's business (``dronewall.engagement.roe``). Birds are never a target
(pk 0). UNKNOWN is a cautious blend of the drone classes. Almost no Pk is published: all are
[E] unless flagged otherwise (the note's section 0.2).

**Jammers** (``ew_jammer``) only act on what listens to radio: the C2/video link of multirotors
and reconnaissance UAVs, and GNSS navigation. Shahed/Geran-2 and Gerbera fly autonomously on
INS + GNSS with multi-element CRPA antennas on newer batches; jamming GNSS degrades their
navigation (they drift, cf. the ``jamming`` section of scenarios) but rarely brings them down:
pk 0.1-0.15 [E] (the note gives 0-0.3). Manned aircraft and birds: 0. A jammer also disrupts
GNSS and civil radio for everyone within ``civil_jamming_radius_m``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog.platforms import PlatformClass
from dronewall.errors import InputError

EffectorCategory = Literal["interceptor", "gun", "ew", "directed_energy", "missile", "aircraft"]

#: Figures that must carry a source flag in every entry (tests check this).
FLAGGED_FIELDS: tuple[str, ...] = (
    "cost_per_shot_eur", "magazine", "reload_s", "fire_units", "pk", "min_range_m",
    "max_range_m", "min_alt_m", "max_alt_m", "reaction_time_s", "time_per_engagement_s",
    "speed_mps", "acquisition_basket_m", "weather", "side_effects", "guidance",
    "effect_radius_m",
)
FLAGS = ("[P]", "[P-d]", "[E]")

#: Number of target classes (length of ``pk``).
N_CLASSES = len(PlatformClass)

USD_PER_EUR = 1.1  # [E] modelling rate of costs-and-wta.md


@dataclass(frozen=True)
class WeatherLimits:
    """Weather in which the effector is usable.

    ``max_wind_mps`` mean surface wind; ``min_visibility_m`` meteorological visibility the
    effector's sight/seeker needs (0: radar-directed, all weather); ``rain_ok`` / ``fog_ok``
    usable in (moderate) rain / fog and low cloud.
    """

    max_wind_mps: float
    min_visibility_m: float
    rain_ok: bool
    fog_ok: bool


@dataclass(frozen=True)
class SideEffects:
    """What an engagement does besides killing the target.

    ``debris``: the target (and, for kinetic effectors, fragments and unspent rounds) falls
    where it is hit: never over a populated area or an airport. ``civil_jamming_radius_m``:
    radius within which GNSS and civil radio users are disrupted (0: none).
    """

    debris: bool
    civil_jamming_radius_m: float = 0.0
    notes: str = ""


@dataclass(frozen=True)
class EffectorType:
    """Default performance, cost and constraints of one effector type. SI units, EUR.

    Ranges are slant ranges from the fire unit to the intercept point; altitudes are heights
    of the intercept point above the ellipsoid (no terrain model). ``speed_mps`` is the mean
    speed of the interceptor / projectile / aircraft from the fire unit to the intercept point
    (flight time = range / speed; ``inf`` for jammers and lasers, which act at light speed).
    ``acquisition_basket_m``: radius around the cued point within which the effector's own
    sensor (seeker, fire-control radar, sight) picks the target up; a larger predicted
    position error lowers the chance of acquisition (``dronewall.engagement.windows``).
    ``restricted_zone_kinds``: zone kinds where a *non-kinetic* effector must not act (kinetic
    effectors follow the ROE's ``no_kinetic_kinds``). ``flags`` maps each figure to its
    source flag; ``sources`` names the sources (full citations in ``docs/effectors.md``).
    """

    key: str
    name: str
    category: EffectorCategory
    kinetic: bool
    cost_per_shot_eur: float
    magazine: int  # shots per fire unit before a reload
    reload_s: float
    fire_units: int  # default number of fire units at a site
    pk: tuple[float, ...]  # single-shot Pk by PlatformClass (7 values)
    min_range_m: float
    max_range_m: float
    min_alt_m: float
    max_alt_m: float
    reaction_time_s: float  # cue to launch / fire
    time_per_engagement_s: float  # a fire unit is busy this long per engagement
    speed_mps: float
    acquisition_basket_m: float
    weather: WeatherLimits
    side_effects: SideEffects
    sources: str
    flags: dict[str, str] = field(default_factory=dict)
    restricted_zone_kinds: tuple[str, ...] = ()
    #: When the shot last receives the cue: ``launch`` -- the effector's own sensor (fire-control
    #: radar, sight, IR seeker, beam director) locks on before firing and the shot flies on that
    #: aim (guns, MANPADS, lasers, jammers); ``terminal`` -- the shot is steered on the track's
    #: updates in flight (datalink, operator, ground control) until its seeker locks on near the
    #: target (interceptor drones, SAMs with mid-course updates, fighters).
    guidance: Literal["launch", "terminal"] = "launch"
    #: Area effect: every platform within this distance of the aim point is affected (each with
    #: its own kill draw); 0: only the platform the shot was aimed at (m).
    effect_radius_m: float = 0.0
    #: A shot in flight can be steered to another track (interceptor drones).
    retaskable: bool = False

    @property
    def pk_by_class(self) -> NDArray[np.float64]:
        """(7,) single-shot kill probability indexed by ``PlatformClass``."""
        return np.asarray(self.pk, dtype=np.float64)

    @property
    def expected_cost_per_kill_eur(self) -> NDArray[np.float64]:
        """(7,) ``cost / pk`` per class (inf where pk = 0): the note's cost-per-kill arithmetic."""
        pk = self.pk_by_class
        with np.errstate(divide="ignore"):
            return np.where(pk > 0, self.cost_per_shot_eur / np.where(pk > 0, pk, 1.0), np.inf)


def _pk(manned: float, attack: float, decoy: float, recon: float, multirotor: float,
        bird: float = 0.0, unknown: float | None = None) -> tuple[float, ...]:
    """pk tuple in PlatformClass order; UNKNOWN defaults to 0.8 x the mean drone-class pk [E]."""
    if unknown is None:
        unknown = round(0.8 * (attack + decoy + recon + multirotor) / 4.0, 3)
    return (manned, attack, decoy, recon, multirotor, bird, unknown)


_ALL_WEATHER = WeatherLimits(max_wind_mps=30.0, min_visibility_m=0.0, rain_ok=True, fog_ok=True)
_INF = float("inf")

EFFECTORS: dict[str, EffectorType] = {
    e.key: e
    for e in [
        EffectorType(
            key="interceptor_drone", name="Interceptor drone (Sting / Wild Hornets class)",
            category="interceptor", kinetic=True,
            cost_per_shot_eur=2_300.0,  # Sting ~$2,500 [P] / 1.1; Ukr. types $3.5-5k [P]
            magazine=4,  # interceptors ready per launch crew [E]
            reload_s=120.0,  # prepare the next interceptors [E]
            fire_units=2,  # launch crews per site [E]; limited by trained crews [E]
            # "68% success", "2-3 interceptors per Shahed" [P, claims] -> 0.3-0.7 per
            # interceptor [E]; multirotors are agile (lower); manned aircraft: not a role (0)
            pk=_pk(0.0, 0.5, 0.55, 0.45, 0.35),
            min_range_m=300.0, max_range_m=25_000.0,  # "several tens of km" [E]
            min_alt_m=0.0, max_alt_m=3_000.0,  # [E]
            reaction_time_s=120.0,  # launch 1-3 min [E]
            time_per_engagement_s=300.0,  # one crew flies one interceptor at a time [E]
            speed_mps=70.0,  # ~250 km/h mean; some >300 km/h [P]
            acquisition_basket_m=300.0,  # onboard camera / AI terminal guidance [E]
            guidance="terminal",  # steered on the track's updates to the camera lock-on [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            retaskable=True,  # the operator can steer it to another track [E]
            weather=WeatherLimits(max_wind_mps=12.0, min_visibility_m=500.0, rain_ok=True,
                                  fog_ok=False),  # small airframe, thermal camera [E]
            side_effects=SideEffects(debris=True, notes="small warhead; the target's debris "
                                     "and warhead still fall [P]"),
            sources="costs-and-wta.md s.2: digi24.ro; agooka.com (Zelensky); newsukraine.rbc.ua "
                    "(Reuters); briefly.co (Fedorov)",
            flags={"cost_per_shot_eur": "[P-d]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[P]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="gun_35mm", name="35 mm anti-aircraft gun (Gepard / Skynex class)",
            category="gun", kinetic=True,
            # one shot = one 40-round burst at EUR 560/round [P-d: EUR 168M / 300,000 rounds]
            cost_per_shot_eur=22_400.0,
            magazine=16,  # 640 AA rounds [P] / 40 per burst [P-d]
            reload_s=3_600.0,  # reload ~1 h [P]
            fire_units=1,
            pk=_pk(0.0, 0.7, 0.75, 0.6, 0.5),  # per burst 0.5-0.8 [E]; "all Shaheds" [P, claim]
            min_range_m=200.0,  # [E]
            max_range_m=4_000.0,  # <5 km Gepard, 4 km Skynex 35 mm [P]
            min_alt_m=0.0, max_alt_m=2_500.0,  # <2.5 km altitude [P]
            reaction_time_s=6.0,  # target to fire ~6 s [P]
            time_per_engagement_s=10.0,  # burst + assessment [E]
            speed_mps=1_000.0,  # mean 35 mm projectile speed over 0-4 km [E]
            acquisition_basket_m=500.0,  # fire-control radar acquisition [E]
            guidance="launch",  # fire-control radar locks before the burst; unguided shells [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=_ALL_WEATHER,  # radar-directed [E]
            side_effects=SideEffects(debris=True, notes="falling shells and fragments: not over "
                                     "dense urban areas [E]"),
            sources="costs-and-wta.md s.2: ukranews.com; regionalheute.de; derstandard.at; "
                    "rheinpfalz.de; ukrinform.de; mediafax.ro; leblog.net",
            flags={"cost_per_shot_eur": "[P-d]", "magazine": "[P-d]", "reload_s": "[P]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[P]",
                   "min_alt_m": "[E]", "max_alt_m": "[P]", "reaction_time_s": "[P]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="hmg_fire_group", name="Heavy machine gun mobile fire group (12.7-14.5 mm)",
            category="gun", kinetic=True,
            cost_per_shot_eur=1_000.0,  # $0.5-2k per engagement [E]
            magazine=10,  # engagements of crew-carried belts [E]
            reload_s=300.0,  # minutes [E]
            fire_units=1,  # one pickup-truck group [E]
            pk=_pk(0.0, 0.25, 0.3, 0.15, 0.2),  # per engagement 0.1-0.4 [E]
            min_range_m=50.0, max_range_m=1_500.0,  # 1-2 km effective vs air [E]
            min_alt_m=0.0, max_alt_m=1_500.0,  # defeated above ~2 km [E]
            reaction_time_s=60.0,  # ready to fire <= 1 min after arrival [P]
            time_per_engagement_s=20.0,  # [E]
            speed_mps=800.0,  # mean bullet speed over 0-1.5 km [E]
            acquisition_basket_m=200.0,  # searchlight / thermal sight [P] field of view [E]
            guidance="launch",  # the crew aims on the sight; bullets fly unguided [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=WeatherLimits(max_wind_mps=15.0, min_visibility_m=1_000.0, rain_ok=True,
                                  fog_ok=False),  # clouds take away visual contact [P]
            side_effects=SideEffects(debris=True, notes="rounds travel ~6-7 km: unacceptable "
                                     "over dense urban areas or near airports [E]"),
            sources="costs-and-wta.md s.2: txtreport.com (Kyiv defence cmdr); "
                    "silahromad.com.ua; topwar; cuas-anchors.md [U2], [U9]",
            flags={"cost_per_shot_eur": "[E]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[P]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[P]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="ew_jammer", name="EW jammer (RF link + GNSS)",
            category="ew", kinetic=False,
            cost_per_shot_eur=10.0,  # ~$0 marginal (power, wear) [E]
            magazine=1_000,  # unlimited (power) [E]: a large number
            reload_s=0.0,
            fire_units=1,
            # only RF-controlled / GNSS-navigated classes (module docstring): DJI 0.5-0.9,
            # Shahed with CRPA 0-0.3 [E]; manned aircraft, birds: 0
            pk=_pk(0.0, 0.1, 0.15, 0.4, 0.7, unknown=0.15),
            min_range_m=0.0, max_range_m=5_000.0,  # 1-5 km typical [E]
            min_alt_m=0.0, max_alt_m=3_000.0,  # [E]
            reaction_time_s=5.0,  # seconds [E]
            time_per_engagement_s=60.0,  # jam until the drone lands, returns or drifts [E]
            speed_mps=_INF,
            acquisition_basket_m=2_000.0,  # sector antenna beam width at range [E]
            guidance="launch",  # the beam is pointed at the cue [E]
            effect_radius_m=2_000.0,  # every receiver in the beam footprint is jammed [E]
            weather=_ALL_WEATHER,
            side_effects=SideEffects(
                debris=False, civil_jamming_radius_m=10_000.0,
                notes="non-kinetic, allowed over cities, but disrupts GNSS and radio for "
                      "everyone nearby (civil users cannot rely on jamming) [E]; soft kill with "
                      "imperfect damage assessment; a jammed drone may still crash or land"),
            sources="costs-and-wta.md s.2 (CRPA: mdpi ENC2023-15452; Atkinson & Kress 2025); "
                    "cuas-anchors.md [G2]",
            flags={"cost_per_shot_eur": "[E]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="laser", name="High-energy laser (DragonFire / Iron Beam class)",
            category="directed_energy", kinetic=False,
            cost_per_shot_eur=12.0,  # ~$13 per shot DragonFire [P]; Iron Beam ~$4 [P]
            magazine=1_000,  # unlimited (power, cooling) [E]
            reload_s=0.0,
            fire_units=1,
            pk=_pk(0.0, 0.85, 0.9, 0.8, 0.9),  # 0.8-0.95 in clear air [E]
            min_range_m=100.0, max_range_m=3_000.0,  # effective a few km [E]
            min_alt_m=0.0, max_alt_m=3_000.0,  # [E]
            reaction_time_s=5.0,  # [E]
            time_per_engagement_s=10.0,  # seconds of dwell [E]
            speed_mps=_INF,
            acquisition_basket_m=200.0,  # beam director's EO tracker field [E]
            guidance="launch",  # the beam director tracks the target while dwelling [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=WeatherLimits(max_wind_mps=20.0, min_visibility_m=5_000.0, rain_ok=False,
                                  fog_ok=False),  # "lasers fail in heavy cloud and rain" [P]
            side_effects=SideEffects(debris=True, notes="the burnt-out target falls; beam "
                                     "hazard to aircraft: restricted near airports [E]"),
            sources="costs-and-wta.md s.2: meneame.net (DragonFire); blick.de; "
                    "responsiblestatecraft.org; snipd (Rafael USA CEO); futuroprossimo.it",
            flags={"cost_per_shot_eur": "[P-d]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[P]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
            restricted_zone_kinds=("airport",),
        ),
        EffectorType(
            key="manpads", name="MANPADS team (Piorun / Stinger class)",
            category="missile", kinetic=True,
            # PLN 932M for 1,300 missiles + 420 launchers [P] -> EUR 120-150k [P-d]
            cost_per_shot_eur=135_000.0,
            magazine=1,  # one per tube [E]
            reload_s=30.0,  # next tube on the grip stock [E]
            fire_units=1,
            pk=_pk(0.7, 0.6, 0.55, 0.6, 0.3),  # 0.5-0.8 vs Shahed (weak IR) [E]
            min_range_m=400.0, max_range_m=6_500.0,  # Piorun 0.4-6.5 km [P]
            min_alt_m=10.0, max_alt_m=4_000.0,  # 10 m-4 km [P]
            reaction_time_s=10.0,  # seconds once in position [E]
            time_per_engagement_s=20.0,  # [E]
            speed_mps=600.0,  # mean over the flight [E]
            acquisition_basket_m=500.0,  # IR seeker lock-on before launch [E]
            guidance="launch",  # IR lock-on before launch, fire and forget [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=WeatherLimits(max_wind_mps=20.0, min_visibility_m=2_000.0, rain_ok=True,
                                  fog_ok=False),  # [E]
            side_effects=SideEffects(debris=True),
            sources="costs-and-wta.md s.2: pap.pl; wawa.pl; militaeraktuell.at; milivox.media; "
                    "newrepublic.com; thedefensepost.com",
            flags={"cost_per_shot_eur": "[P-d]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[P]", "max_range_m": "[P]",
                   "min_alt_m": "[P]", "max_alt_m": "[P]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="sam_short", name="Short-range SAM (IRIS-T SLS class)",
            category="missile", kinetic=True,
            cost_per_shot_eur=400_000.0,  # same missile as SLM, EUR 400k [P] -> [E]
            magazine=4,  # 4-8 per launcher [E]
            reload_s=900.0,  # [E]
            fire_units=1,
            pk=_pk(0.9, 0.9, 0.9, 0.9, 0.6),  # 0.85-0.95 [E]
            min_range_m=500.0, max_range_m=12_000.0,  # ~12 km [E]
            min_alt_m=20.0, max_alt_m=8_000.0,  # [E]
            reaction_time_s=10.0,  # seconds [E]
            time_per_engagement_s=30.0,  # [E]
            speed_mps=700.0,  # mean over the flight [E]
            acquisition_basket_m=2_000.0,  # lock-on after launch with datalink updates [E]
            guidance="terminal",  # datalink mid-course updates, IR seeker lock [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=_ALL_WEATHER,
            side_effects=SideEffects(debris=True),
            sources="costs-and-wta.md s.2 (IRIS-T SLS row, missile price from the SLM row: "
                    "agenzianova.com; zonebourse.com)",
            flags={"cost_per_shot_eur": "[E]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="sam_medium", name="Medium-range SAM (NASAMS / IRIS-T SLM class)",
            category="missile", kinetic=True,
            # IRIS-T SLM EUR 400k per missile [P]; AMRAAM (NASAMS) $1-2M [P-d]
            cost_per_shot_eur=400_000.0,
            magazine=8,  # 8 missiles per launcher [P]
            reload_s=1_800.0,  # [E]
            fire_units=3,  # 3 launchers per fire unit [P]
            pk=_pk(0.9, 0.9, 0.9, 0.9, 0.5),  # "near 100%" of >110 targets [P, claim] -> 0.9 [E]
            min_range_m=1_000.0, max_range_m=40_000.0,  # 40 km [P]
            min_alt_m=30.0, max_alt_m=20_000.0,  # 20 km altitude [P]; floor [E]
            reaction_time_s=15.0,  # "very short firing sequence" [P]; figure [E]
            time_per_engagement_s=60.0,  # [E]
            speed_mps=900.0,  # mean over the flight [E]
            acquisition_basket_m=3_000.0,  # [E]
            guidance="terminal",  # datalink mid-course updates, seeker terminal lock [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=_ALL_WEATHER,
            side_effects=SideEffects(debris=True),
            sources="costs-and-wta.md s.2: agenzianova.com; devdiscourse (Reuters); "
                    "zonebourse.com; suv.report; br.de; jwing.net; flight.com.gr",
            flags={"cost_per_shot_eur": "[P]", "magazine": "[P]", "reload_s": "[E]",
                   "fire_units": "[P]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[P]",
                   "min_alt_m": "[E]", "max_alt_m": "[P]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
        EffectorType(
            key="fighter_aam", name="Fighter with short-range AAM (F-16 / F-35 with AIM-9X)",
            category="aircraft", kinetic=True,
            # ">EUR 400k" per AIM-9 [P, Bild]; sortie ~$30-40k per flight hour [E] not included
            cost_per_shot_eur=410_000.0,
            magazine=2,  # AIM-9X per aircraft on QRA (2-6 AAM per fighter) [E]
            reload_s=3_600.0,  # return, rearm, relaunch [E]
            fire_units=2,  # a QRA pair [E]
            pk=_pk(0.85, 0.85, 0.85, 0.85, 0.3),  # 0.8-0.9 vs drone [E]
            min_range_m=0.0,  # the aircraft flies to the target [E]
            max_range_m=400_000.0,  # radius of action incl. ~10-35 km missile reach [E]
            min_alt_m=30.0, max_alt_m=15_000.0,  # [E]
            reaction_time_s=900.0,  # QRA scramble ~15 min [E]
            time_per_engagement_s=120.0,  # [E]
            speed_mps=250.0,  # subsonic transit of the aircraft dominates flight time [E]
            acquisition_basket_m=10_000.0,  # fighter radar / IRST acquisition [E]
            guidance="terminal",  # ground control vectors the aircraft on the track [E]
            effect_radius_m=0.0,  # point effect: only the aimed platform [E]
            weather=_ALL_WEATHER,
            side_effects=SideEffects(debris=True, notes="sortie cost ~$30-40k per flight hour "
                                     "not included [E]"),
            sources="costs-and-wta.md s.2: dorzeczy.pl; world-today-news.com; flight.com.gr; "
                    "uanews.net",
            flags={"cost_per_shot_eur": "[P]", "magazine": "[E]", "reload_s": "[E]",
                   "fire_units": "[E]", "pk": "[E]", "min_range_m": "[E]", "max_range_m": "[E]",
                   "min_alt_m": "[E]", "max_alt_m": "[E]", "reaction_time_s": "[E]",
                   "time_per_engagement_s": "[E]", "speed_mps": "[E]",
                   "acquisition_basket_m": "[E]", "weather": "[E]", "side_effects": "[E]",
                   "guidance": "[E]", "effect_radius_m": "[E]"},
        ),
    ]
}


def get_effector(key: str) -> EffectorType:
    """Look up an effector type; unknown keys raise InputError listing the valid ones."""
    try:
        return EFFECTORS[key]
    except (KeyError, TypeError):
        raise InputError(
            f"unknown effector type {key!r}; expected one of: {', '.join(sorted(EFFECTORS))}"
        ) from None
