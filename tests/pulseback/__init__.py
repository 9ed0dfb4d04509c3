"""Tests of the PulseBack client and sandbox (no database, no Django needed)."""
