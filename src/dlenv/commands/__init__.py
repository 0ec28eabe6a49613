"""One module per verb. Each gathers facts, decides (pure code elsewhere), then acts."""
