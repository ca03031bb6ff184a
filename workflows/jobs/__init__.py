"""Background jobs a person asked for: progress, and the file when it is ready."""
