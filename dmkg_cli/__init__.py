"""The dmkg command line, above the graph (kg) and the service (service) it drives."""
