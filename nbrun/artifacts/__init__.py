"""Artifacts: versioned sets of files with manifests and digests, stored by content."""
