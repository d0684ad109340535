"""Repositories, one module per aggregate: they read and stage rows, translate them to domain
records, and never commit (the unit of work does)."""
