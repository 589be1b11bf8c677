"""DMKG web service: the Flask application that publishes the knowledge graph."""
