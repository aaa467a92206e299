"""Knowledge packs: load and validate the vetted YAML content."""
