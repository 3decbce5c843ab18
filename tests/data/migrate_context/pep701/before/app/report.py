"""Reports on a run: f-strings that read legacy fields."""

from app.state import DeepAgentState


def headline(state: DeepAgentState) -> str:
    return f"{state.user_id} in {state.chat_thread_id}: {state.results}"


def detail(state: DeepAgentState) -> str:
    return f'results: {state.results!r}' + f"""
    summary: {state.results}"""
