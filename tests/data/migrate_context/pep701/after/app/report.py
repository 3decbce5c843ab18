"""Reports on a run: f-strings that read legacy fields."""

from isolint.context import UserExecutionContext


def headline(context: UserExecutionContext) -> str:
    return f"{context.user_id} in {context.thread_id}: {context.agent_context['results']}"


def detail(context: UserExecutionContext) -> str:
    return f'results: {context.agent_context["results"]!r}' + f"""
    summary: {context.agent_context["results"]}"""
