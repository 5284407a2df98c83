"""Demonstrations run by the ``lamina demo <name>`` command."""
