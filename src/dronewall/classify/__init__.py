"""Classification of air tracks: cooperative-ID (ADS-B) trust."""

from dronewall.classify.coop_trust import AircraftTrust, assess_reports

__all__ = ["AircraftTrust", "assess_reports"]
