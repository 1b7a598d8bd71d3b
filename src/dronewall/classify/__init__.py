"""Classification of air tracks: recursive Bayesian class probabilities (``bayes``) and
cooperative-ID (ADS-B) trust (``coop_trust``). Core package: arrays in, arrays out.

The Bayesian update is exported as ``bayes`` (``bayes.update``, ``bayes.initial``, ...) since its
function names are generic.
"""

from dronewall.classify import bayes
from dronewall.classify.bayes import CLASS_NAMES, EVIDENCE_KINDS, ClassifierConfig, Evidence
from dronewall.classify.coop_trust import AircraftTrust, assess_reports

__all__ = ["CLASS_NAMES", "EVIDENCE_KINDS", "AircraftTrust", "ClassifierConfig", "Evidence",
           "assess_reports", "bayes"]
