"""Deterministic analyzers behind the personas.

Every module here is importable without the agent package: no LLM, no LangGraph and no network
unless a function's name says so (``tools.db``).
"""
