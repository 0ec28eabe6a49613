"""Facts about the host: parsers of captured text (pure) and the readers that take a root path.

The parsed records (os-release, nvidia-smi, engine and toolkit facts, the inventory, findings)
are frozen msgspec structs, as the knowledge tables' records are, and for the same reason: see
`dlenv.knowledge`. The snapshot that records what a probe read stays a mutable dataclass.
"""
