"""Hostile input: every attack class of docs/security.md, tried as an attacker would."""
