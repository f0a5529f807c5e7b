"""HART reproduction pipeline: data -> train -> evaluate -> report.

Paper: Liang et al., "HART: Efficient Adaptation via Regularized Autoregressive Parameter
Generation". Each stage is a module (or package) of the same name and a `hart <stage>` CLI command.
"""

__version__ = "0.1.0"
