"""SFTP plumbing shared by the file-based adapters (Xtendis, MyLex): pinned host key, error
mapping, lazy reconnect, streamed uploads under a temp name with the hash computed on the way."""
