"""Persistence: SQLAlchemy 2 models, repositories, the unit of work, migrations."""
