"""Retrieval: BM25, dense vectors, fusion and abstention."""
