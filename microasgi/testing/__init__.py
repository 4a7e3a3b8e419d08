"""The testing layer: the test client, its transport, the conversation recorder,
the protocol checker and replay. ``microasgi trace`` uses it too."""
