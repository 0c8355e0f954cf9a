"""The policy language: load, validate, lint and compile `policies.yaml`."""
