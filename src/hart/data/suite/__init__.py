"""The embedded task suite: ``suite-sni`` task families and ``suite-p3`` multiple-choice datasets,
generated deterministically from a seed so that the pipeline runs with no network and no data.

Modules: vocab (words and input pools), family (a rule stated in a definition -> an S-NI task),
families_* (the family lists), registry (numbered names, train / held-out), sni (raw S-NI files),
p3_* (P3-style datasets, templates and episodes), build (everything, atomically). docs/suite.md
lists every family and dataset.
"""
