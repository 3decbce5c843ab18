class ChatSession:
    """One user's chat."""

    model = "small"

    def __init__(self) -> None:
        self.history: list[dict] = []

    # sends one message
    async def send(self, text: str) -> None:
        self.history.append({"content": text})


async def chat(request) -> None:
    await ChatSession().send(request.text)
