"""Report: turns the run's results into the text shown to the user."""

from __future__ import annotations

import asyncio

import agent_platform.state as legacy_state
from agent_platform.agents.base import BaseAgent


class ReportBuilder:
    """Collects the sections of one report."""

    def __init__(self, run_id: str, sections: list[str] | None = None) -> None:
        if sections is None:
            sections = []
        self.run_id = run_id
        self.sections = sections

    def add_section(self, title: str, body: str) -> None:
        self.sections.append(f"## {title}\n{body}")

    def render(self) -> str:
        return "\n\n".join(self.sections)


class ReportAgent(BaseAgent):
    name = "report"

    async def execute(self, state: legacy_state.DeepAgentState, run_id: str) -> None:
        builder = ReportBuilder(run_id)
        builder.add_section("Request", " ".join(state.messages))
        builder.add_section("Triage", str(state.results.get("triage", {})))
        # The writer sub-agent drafts on its own state object.
        draft = legacy_state.DeepAgentState(
            user_id=state.user_id, chat_thread_id=state.chat_thread_id, run_id=run_id
        )
        draft.messages.append(builder.render())
        self.record_tool_call("render_report", {"run_id": run_id})
        await asyncio.sleep(0)  # the model call
        state.results["report"] = draft.messages[-1]
