"""SAPIENT (BSI Flex 335 v2.0): a fusion node (DMM) for edge nodes, and an ASM simulator that
streams a scenario's simulated sensors as SAPIENT nodes (docs/interop.md). Needs protobuf
(``pip install 'dronewall[live]'``)."""
