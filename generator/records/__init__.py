"""Completion records: a small service that keeps who was trained on which policy version."""
