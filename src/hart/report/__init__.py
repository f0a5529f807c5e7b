"""Report stage: the paper's numbers (``paper``), comparison tables (``tables``), figures (``figures``)."""
