"""Prefect flows: they orchestrate `deportdata.stages` and hold no domain logic."""
from deportdata.settings import configure_prefect

configure_prefect()
