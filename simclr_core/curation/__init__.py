"""Curating a collection: which images to label next (selection, k-means), near duplicates,
suspected label errors, and the 2-D projection of the map."""
