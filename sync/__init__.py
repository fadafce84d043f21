"""The sync engine: SIA import and push, links, merges, exclusions, leavers; SIMS students."""
