"""Orchestration of whole jobs (simulate, demo): wires sources -> engine -> sinks.

This is an outer layer: it may import everything; nothing in the core imports it.
"""
