"""Pure parsers: captured text in, typed facts out. No I/O here."""
