"""Airspace and violation analytics (core package: no imports of outer layers).

- :class:`ZoneSet` / :class:`Zone`: zones from GeoJSON, KML or inline specs, validated, indexed.
- :class:`AirspaceMonitor` / :class:`AirspaceConfig`: push-style per-scan analytics producing
  ``warning`` / ``entry`` / ``exit`` / ``violation`` events (schema in ``docs/airspace.md``).
"""

from dronewall.airspace.config import AirspaceConfig, confidence_label
from dronewall.airspace.event_builder import sort_events
from dronewall.airspace.monitor import AirspaceMonitor
from dronewall.airspace.zones import ZONE_KINDS, Zone, ZoneSet, load_geojson, load_kml

__all__ = [
    "ZONE_KINDS",
    "AirspaceConfig",
    "AirspaceMonitor",
    "Zone",
    "ZoneSet",
    "confidence_label",
    "load_geojson",
    "load_kml",
    "sort_events",
]
