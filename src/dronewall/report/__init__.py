"""Reports (outer layer): offline HTML + JSON incident reports built from events and tracks."""
