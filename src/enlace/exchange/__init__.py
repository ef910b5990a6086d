"""Exchange between nodes: STIX mapping, record signatures, the TAXII 2.1 service and sync."""
