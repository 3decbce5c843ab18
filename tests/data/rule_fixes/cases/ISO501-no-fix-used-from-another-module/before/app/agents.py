from app.context import _state


async def run_agent(prompt: str) -> str:
    return f"{_state.user}: {prompt}"
