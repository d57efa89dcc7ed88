"""Layers: each is parameters + configuration + a call to glassbox.nn.functional."""
