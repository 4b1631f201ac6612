"""Alembic environment. Domain migrations branch from the foundation; ``upgrade heads`` applies them all."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import mediation_svc


def import_all_models() -> None:
    for module in pkgutil.iter_modules(mediation_svc.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"mediation_svc.{module.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"mediation_svc.{module.name}.models":
                    raise
    importlib.import_module("mediation_svc.security.throttle")


import_all_models()
target_metadata = SQLModel.metadata
config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
    with connectable.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
