"""Both quotes are taken around the field: no key quote is valid before 3.12."""

from app.state import DeepAgentState


def nested(state: DeepAgentState) -> str:
    return f"{state.user_id + f'{state.results}'}"
