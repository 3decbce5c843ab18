class ChatSession:
    """One user's chat."""

    history: list[dict] = []
    model = "small"

    # sends one message
    async def send(self, text: str) -> None:
        self.history.append({"content": text})


async def chat(request) -> None:
    await ChatSession().send(request.text)
