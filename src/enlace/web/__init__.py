"""The bilingual web interface (interfaz web): thin pages over the use cases, nothing imports it."""
