"""Readers that turn FAQ documents into entries."""
