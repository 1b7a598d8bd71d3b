"""Live interop adapters: wire protocols in, the engine's detection batches out (and the
picture out as wire data).

Sources and sinks depend on the core, never the reverse (``docs/architecture.md``). Each
adapter counts every message it sees -- accepted, rejected (a well-formed message the engine
cannot use, with the reason) or malformed (not a message of its protocol, with the reason) --
in a :class:`~dronewall.adapters.counters.MessageCounters` and never raises on bad wire data.
"""
