"""Tether's connections to the outside world: Sign In App (`connectors.sia`) and SIMS exports (`connectors.sims`)."""
