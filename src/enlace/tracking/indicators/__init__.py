"""Indicators: defined in a TOML file, computed from records and from public statistics.

    definitions = load_definitions(default_definitions_path())  # indicators.definitions
    series = compute_indicators(store, definitions, today=date.today())  # indicators.series

`definitions` reads and checks the TOML file (the shipped one is default_indicators.toml,
next to it); `periods` names the periods an indicator is counted by; `records` aggregates
records indicators in the database; `series` computes each indicator's series over a store.
See docs/indicators.md.
"""
