"""Triage: finds the keywords of the request and sets its priority."""

from __future__ import annotations

import asyncio

from agent_platform.agents.base import BaseAgent
from agent_platform.prompts import system_prompt
from isolint.context import UserExecutionContext

URGENT_KEYWORDS = frozenset({"outage", "refund", "breach"})


class TriageState:
    """Legacy state plus the triage verdict; still produced by the v1 API."""

    def __init__(self, user_id: str, chat_thread_id: str, run_id: str, priority: str) -> None:
        self.context = UserExecutionContext(
            user_id=user_id,
            thread_id=chat_thread_id,
            run_id=run_id,
            agent_context={"messages": [], "results": {}},
        )
        self.priority = priority


def extract_keywords(text: str, found: set[str] = set()) -> set[str]:
    """The urgent keywords in `text`."""
    for word in text.lower().split():
        if word in URGENT_KEYWORDS:
            found.add(word)
    return found


class TriageAgent(BaseAgent):
    name = "triage"

    async def execute(self, context: UserExecutionContext, run_id: str) -> None:
        keywords = extract_keywords(" ".join(context.agent_context["messages"]))
        self.record_tool_call("keyword_scan", {"run_id": run_id})
        await asyncio.sleep(0)  # the model call
        context.agent_context["results"]["triage"] = {
            "keywords": sorted(keywords),
            "priority": "high" if keywords else "normal",
            "prompt": system_prompt(),
        }
