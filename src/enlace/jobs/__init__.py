"""The job engine of a PostgreSQL node (issue 19): heavy work as jobs on a queue kept in the
node's own database (Procrastinate), taken by any number of `enlace worker` processes.

`queue` builds the Procrastinate application of a node and defines its tasks; `schedule` is
what `enlace serve --sync-every --workers` runs instead of syncing in its own process;
`worker` runs a worker, with the sweep that puts back on the queue the jobs of a worker that
died. SQLite nodes never come here: everything runs in process, as on one machine.
"""
