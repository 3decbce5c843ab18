"""The legacy shared state."""


class DeepAgentState:
    def __init__(self, user_id: str, chat_thread_id: str = "") -> None:
        self.user_id = user_id
        self.chat_thread_id = chat_thread_id
        self.results: dict[str, object] = {}
