"""HTTP and websocket entry points of the agent platform."""

from __future__ import annotations

import uuid
from typing import Any

from agent_platform.agents.pipeline import AgentPipeline
from agent_platform.cache import cache_response, cached_response, get_profile
from agent_platform.connections import get_value
from agent_platform.history import RECENT_MESSAGES, add_tag, note_user, remember
from agent_platform.parsing import parser
from agent_platform.prompts import thread_messages
from agent_platform.registry import execution_registry
from agent_platform.repository import AuditTrail, run_repository, save_message
from isolint.context import UserExecutionContext
from agent_platform.tracing import begin_span
from agent_platform.web import FakeWebSocket, Router
from agent_platform.websocket_manager import manager

router = Router()
pipeline = AgentPipeline()


@router.post("/runs")
async def create_run(user_id: str, thread_id: str, body: str) -> dict[str, Any]:
    """Runs the agents on the user's message and pushes the result to their socket."""
    payload = await parser.parse(body)
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    await begin_span(user_id, "create_run")
    note_user(user_id)
    RECENT_MESSAGES.append({"user_id": user_id, "text": payload["message"]})
    state = UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id,
        run_id=run_id,
        agent_context={"messages": [], "results": {}},
    )
    state.agent_context["messages"].append(payload["message"])
    execution_registry.register_run(run_id, pipeline)
    await execution_registry.reserve_run(user_id)
    result = await pipeline.run(state)
    result["tags"] = add_tag(f"user:{user_id}")
    await run_repository.save(user_id, run_id, result)
    AuditTrail.record(user_id, f"run {run_id} finished")
    cache_response(f"/threads/{thread_id}/latest", result)
    await manager.send({"event": "run_completed", **result})
    return result


@router.get("/threads/{thread_id}/latest")
async def read_latest(user_id: str, thread_id: str) -> dict[str, Any] | None:
    return cached_response(f"/threads/{thread_id}/latest")


@router.get("/profile")
async def read_profile(user_id: str) -> dict[str, Any]:
    await begin_span(user_id, "read_profile")
    return await get_profile("/me/profile")


@router.post("/threads/{thread_id}/messages")
async def post_message(user_id: str, thread_id: str, text: str) -> dict[str, Any]:
    """Adds a chat message; returns the thread as the user now sees it."""
    remember(user_id, text)
    messages = thread_messages(thread_id)
    messages.append({"user_id": user_id, "text": text})
    engine = await execution_registry.engine_for_thread(thread_id, user_id)
    saved = await save_message(user_id, thread_id, text)
    return {"thread": list(messages), "engine_user": engine.user_id, "saved": saved}


@router.get("/kv/{key}")
async def read_value(user_id: str, key: str) -> str:
    return await get_value(user_id, key)


@router.websocket("/ws")
async def websocket_endpoint(websocket: FakeWebSocket, user_id: str) -> None:
    await manager.connect(websocket, user_id)
