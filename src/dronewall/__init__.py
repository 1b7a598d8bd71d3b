"""dronewall: a drone wall engine.

Sources -> fusion & tracking -> classification -> airspace analytics -> threat evaluation ->
engagement planning -> recording and reports.

Package map (dependencies point one way, from top to bottom):

- ``cli``            command line (lazy imports)
- ``sim``            truth simulation of platforms (depends on ``catalog``, ``geo``, ``scenario``)
- ``sensors``        simulated sensor models producing ``detections`` (depends on core)
- ``io``             writers / readers for truth, detections, tracks
- ``metrics``        GOSPA and tracking metrics against truth
- core: ``tracking``, ``detections``, ``geo``, ``catalog``, ``errors`` -- never import the
  simulator, CLI, reports or server.
"""

__version__ = "0.1.0"
