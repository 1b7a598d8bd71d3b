"""Command line interface (thin; heavy modules are imported inside each command)."""
