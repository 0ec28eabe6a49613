"""Facts about the host: parsers of captured text (pure) and the readers that take a root path."""
