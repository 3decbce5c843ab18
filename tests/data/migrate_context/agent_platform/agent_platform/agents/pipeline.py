"""The agent pipeline: triage, then report, over one run state object."""

from __future__ import annotations

from typing import Any

import agent_platform.history as history
from agent_platform.agents.report import ReportAgent
from agent_platform.agents.triage import TriageAgent
from agent_platform.context_vars import emit
from isolint.context import UserExecutionContext


class AgentPipeline:
    """Runs the agents in order; each reads the state and adds its result."""

    def __init__(self) -> None:
        self.agents = (TriageAgent(), ReportAgent())
        self.state: UserExecutionContext | None = None

    async def run(self, context: UserExecutionContext) -> dict[str, Any]:
        if not isinstance(context, UserExecutionContext):
            raise TypeError(f"expected the run state, got {type(context).__name__}")
        self.state = context  # the run in progress, for the agents to read
        history.last_run = context.run_id
        for agent in self.agents:
            emit("agent_started", agent=agent.name, user_id=context.user_id)
            await agent.execute(self.state, context.run_id)
        result = {**self.state.agent_context["results"], "user_id": self.state.user_id, "run_id": self.state.run_id}
        recent = [call for agent in self.agents for call in agent.tool_calls[-5:]]
        return {**result, "tool_calls": recent}
