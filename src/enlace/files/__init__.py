"""Record files: importing CSV, JSON Lines and STIX bundles into a node, exporting bundles."""
