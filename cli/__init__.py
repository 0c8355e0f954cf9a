"""The `complaints` command line: policy checks, decisions, keys, audit and publishing, over the lower layers."""
