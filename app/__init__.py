"""Billcraft: a self-hostable billing workspace for agencies."""
