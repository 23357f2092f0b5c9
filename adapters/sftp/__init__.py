"""SFTP plumbing shared by the file-based adapters (Allegro, Xtendis, MyLex): pinned host key
(``settings``), the session with its error mapping and lazy reconnect, streamed uploads under a
temp name with the hash computed on the way (``pinned``), the connection form (``form``)."""
