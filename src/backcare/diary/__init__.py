"""Episode diary storage."""
