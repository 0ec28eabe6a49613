"""The environment layer, under the thin commands: options -> effective spec -> one resolve
(`resolution`) -> project (engine, render, state) -> lifecycle (build, start, wait). `labels` and
`names` are the one home of what an environment is called and what its container says."""
