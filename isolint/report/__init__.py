"""Reporters: turning findings into text for people or JSON for machines."""
