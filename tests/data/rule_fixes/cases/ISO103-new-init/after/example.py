class ChatSession:
    """One user's chat."""

    model = "small"

    def __init__(self) -> None:
        self.history: list[dict] = []

    # sends one message
    async def send(self, text: str) -> list[dict]:
        self.history.append({"content": text})
        return self.history


async def chat(request) -> list[dict]:
    return await ChatSession().send(request.text)
