class Conversation:
    def __init__(self, user_id: str, messages: list = []) -> None:
        self.user_id = user_id
        self.messages = messages

    def say(self, text: str) -> None:
        self.messages.append(text)
