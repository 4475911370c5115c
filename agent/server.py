"""LangGraph Server entry point (langgraph.json): the graph, built once when the server imports this.

The server calls a graph factory on its event loop for every run, and building the graph reads the
persona files: blocking I/O there fails each run under `langgraph dev` (and stalls a deployment).
A module-level graph is built at start-up instead. The model comes from the environment (offline
without OPENAI_API_KEY/OPENAI_BASE_URL); the server brings its own checkpointer.
"""

from agent.graph import make_graph

graph = make_graph()
