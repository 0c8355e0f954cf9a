"""Policy versions across time: which version is in force, reloading, publishing, policy tests, decide-and-record."""
