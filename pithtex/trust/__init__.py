"""pithtex.trust.keyring."""
