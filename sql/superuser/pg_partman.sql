-- pg_partman for Sarang's partitioned history (sql/0022_partitioned_history.sql). pg_partman is
-- not a trusted extension: a superuser installs it, once per database, before `sarangctl
-- migrate` (tools/up does it; on a PostgreSQL of your own see docs/operations.md). Safe to run
-- again. Needs the Debian package postgresql-15-partman on the database server.
--
--   psql -U postgres -d sarang -v ON_ERROR_STOP=1 -v role=sarang -f sql/superuser/pg_partman.sql
--
-- :role is the application role (the user of db.dsn). It gets what pg_partman 4.7's README lists
-- for a non-superuser that runs pg_partman's functions and owns the partition sets.
CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;

GRANT ALL ON SCHEMA partman TO :"role";
GRANT ALL ON ALL TABLES IN SCHEMA partman TO :"role";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO :"role";
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO :"role";
-- The partition sets live in public, which the role's tables are in already; partman moves
-- rows out of a default partition through temporary tables.
GRANT ALL ON SCHEMA public TO :"role";
SELECT format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), :'role')
\gexec
