"""Truth simulation: platforms flying through the scenario (vectorised over all platforms)."""
