-- pgbench script: the floor of a one-statement round trip (the same
-- connection, protocol and pgbench work, no server work to speak of).
-- Variables: -D nprojects=N (unused, for the same command line).
\set p 100000000000 + random(1, :nprojects)
SELECT ('00000000-0000-4000-8000-' || :p)::uuid;
