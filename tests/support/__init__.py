"""Helpers the test suites share: builders of records and nodes, servers on loopback.

The tests import them as ``support.<module>``: pytest puts ``tests/`` on ``sys.path``
(``pythonpath`` in pyproject.toml's ``[tool.pytest.ini_options]``). Fixtures stay in the
``conftest.py`` files; what is here is plain functions, classes and constants.

- ``exchange``: records under mixed markings, the parties' keys and tokens, an MX or US node
  in a store, a synchronous transport to an ASGI app.
- ``parties``: in-process nodes of several parties, registered pairwise, synced over ASGI.
- ``nodes``: real nodes: node folders driven by the command line (in process or as
  subprocesses), `enlace serve` processes and uvicorn servers in threads on loopback.
- ``proxy``: a tampering reverse proxy on loopback between two nodes (rewritten, replayed,
  trickled, flooded or looping answers; what passed recorded), and a listener that records.
- ``matching``: node servers with the matching routes, synthetic records and their truth.
- ``web``: the node's web application served on loopback, with a user per role.
- ``browser``: two such nodes, partners of each other, for the browser tests.
- ``pages``: an MX node's store as the web page tests read it.
- ``messages``: every message the web pages show.
- ``reports``: an MX node holding a meeting, commitments, actions; indicator series.
- ``timing``: the timeout scale of the machine, and `wait_until`, which polls.
- ``clock``: the frozen clock the ``frozen_now`` fixture puts in place of ``utc_now``.
- ``users``: a store in memory (`FakeStore`, its unit of work and repositories) for the users
  use cases' service tests, and quick password hashes.
- ``e2e``: the guard that fails a test starting a server or a process unless marked e2e.
"""
