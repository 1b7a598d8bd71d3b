"""Recording store: detections, decimated tracks, events, threats, recommendations, decisions
and a hash-chained audit log in SQLite (WAL, default) or PostgreSQL + PostGIS, one SQLAlchemy
schema with Alembic migrations (docs/serve.md)."""

from dronewall.store.store import ROLES, SessionInfo, StepRows, Store, utc_now

__all__ = ["ROLES", "SessionInfo", "StepRows", "Store", "utc_now"]
