"""The model layer: who answers a persona's turn, and what it costs.

- :mod:`agent.model.protocol`: the :class:`ChatModel` protocol, :class:`ModelRequest` and
  :class:`ModelResponse`.
- :mod:`agent.model.openai_chat`: any OpenAI-compatible server, through the openai client.
- :mod:`agent.model.offline`: the deterministic composer (no network), same protocol.
- :mod:`agent.model.factory`: :func:`make_model` picks one from the environment.
- :mod:`agent.model.prices`: USD per million tokens, for the cost ledger.

Importing this package loads neither openai nor the offline composer: each is imported when built.
The token estimate used for budgets is :func:`tools.text.estimate_tokens`, below this layer, so the
prompt builder can use it without importing the model layer.
"""

from agent.model.factory import llm_configured, make_model
from agent.model.prices import Price, load_prices
from agent.model.protocol import ChatModel, LLMError, ModelRequest, ModelResponse, ToolCall, Usage

__all__ = ["ChatModel", "LLMError", "ModelRequest", "ModelResponse", "Price", "ToolCall", "Usage", "llm_configured",
           "load_prices", "make_model"]
