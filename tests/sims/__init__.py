"""SIMS student import: readers, the help page rules, safety, the lease, CLI, console and drop folder."""
