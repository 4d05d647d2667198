"""Built-in observers on the lifecycle hooks: each is off until the workspace's ``stillroom.toml`` configures it."""
