"""Small helpers shared by the report modules.

Deliberately does not import its submodules: ``from ..util import fmt`` has to
find ``fmt`` as a submodule.
"""
