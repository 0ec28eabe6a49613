"""Doctor rules: pure functions from the inventory (and the resolved spec) to findings."""
