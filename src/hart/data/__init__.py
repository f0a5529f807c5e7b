"""Data stage: downloads, episode construction, the embedded task suite (`hart data`)."""
