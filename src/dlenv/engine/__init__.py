"""Container engines: docker and podman behind one interface."""
