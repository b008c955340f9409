"""An in-memory key-value store with expiring keys."""
