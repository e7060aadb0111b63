"""Compatibility shims for third-party packages, each documented where it lives and
each with the condition under which it can be deleted."""
