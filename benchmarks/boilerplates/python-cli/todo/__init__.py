"""A todo-list command-line tool."""
