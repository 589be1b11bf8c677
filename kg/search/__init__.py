"""Full-text search over the graph's individuals, on a Tantivy index kept beside the store."""
