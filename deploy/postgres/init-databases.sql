-- One database per component; each component owns its database alone.
-- Runs once, when the PostgreSQL data volume is created (docker-entrypoint-initdb.d).
-- `python -m portico_kernel.migrate <component>` also creates a missing database if it may.
CREATE DATABASE portico_gateway;
CREATE DATABASE portico_identity;
CREATE DATABASE portico_orgs;
CREATE DATABASE portico_billing;
CREATE DATABASE portico_domains;
CREATE DATABASE portico_tickets;
CREATE DATABASE portico_notifications;
-- The sandbox registry (optional, docker compose --profile sandbox) keeps its state here.
CREATE DATABASE portico_sandbox_registry;
