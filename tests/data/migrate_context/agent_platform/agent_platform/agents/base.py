"""Common behaviour of the platform's agents."""

from __future__ import annotations

from typing import Any

from isolint.context import UserExecutionContext


class BaseAgent:
    """An agent takes the run state, does its step and writes its result into it."""

    name = "base"
    allowed_tools: tuple[str, ...] = ("search",)
    state_type = UserExecutionContext
    tool_calls: list[dict[str, Any]] = []

    def accepts(self, state: object) -> bool:
        return isinstance(state, self.state_type)

    def record_tool_call(self, tool: str, arguments: dict[str, Any]) -> None:
        """Keeps the call for the run's audit view."""
        self.tool_calls.append({"agent": self.name, "tool": tool, **arguments})

    async def execute(self, context: UserExecutionContext, run_id: str) -> None:
        raise NotImplementedError
