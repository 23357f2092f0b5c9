"""${Name}: what this system is, what Ketenbrug reads from or writes to it, and over what."""
