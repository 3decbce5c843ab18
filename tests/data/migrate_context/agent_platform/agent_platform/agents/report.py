"""Report: turns the run's results into the text shown to the user."""

from __future__ import annotations

import asyncio

from isolint.context import UserExecutionContext
from agent_platform.agents.base import BaseAgent


class ReportBuilder:
    """Collects the sections of one report."""

    def __init__(self, run_id: str, sections: list[str] = []) -> None:
        self.run_id = run_id
        self.sections = sections

    def add_section(self, title: str, body: str) -> None:
        self.sections.append(f"## {title}\n{body}")

    def render(self) -> str:
        return "\n\n".join(self.sections)


class ReportAgent(BaseAgent):
    name = "report"

    async def execute(self, context: UserExecutionContext, run_id: str) -> None:
        builder = ReportBuilder(run_id)
        builder.add_section("Request", " ".join(context.agent_context["messages"]))
        builder.add_section("Triage", str(context.agent_context["results"].get("triage", {})))
        # The writer sub-agent drafts on its own state object.
        draft = UserExecutionContext(
            user_id=context.user_id,
            thread_id=context.thread_id,
            run_id=run_id,
            agent_context={"messages": [], "results": {}},
        )
        draft.agent_context["messages"].append(builder.render())
        self.record_tool_call("render_report", {"run_id": run_id})
        await asyncio.sleep(0)  # the model call
        context.agent_context["results"]["report"] = draft.agent_context["messages"][-1]
