"""Test helpers that run for real (servers on loopback), shared by the test modules."""
