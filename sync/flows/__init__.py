"""Flow definitions: how records of one kind become writes to the targets."""
