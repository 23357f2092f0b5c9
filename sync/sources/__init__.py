"""Sources that need the state store (the identity map) and so live in ``sync``, not adapters."""
