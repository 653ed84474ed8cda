from portico_kernel.alembic_env import run_migrations
from services.notifications.adapters.orm import metadata

run_migrations(metadata)
