from typing import Optional


class Conversation:
    def __init__(self, user_id: str, messages: Optional[list] = None) -> None:
        if messages is None:
            messages = []
        self.user_id = user_id
        self.messages = messages

    def say(self, text: str) -> None:
        self.messages.append(text)
