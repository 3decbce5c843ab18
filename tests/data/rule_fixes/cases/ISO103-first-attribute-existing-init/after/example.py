class ChatSession:
    def __init__(self, user_id: str) -> None:
        self.history: list[dict] = []
        self.user_id = user_id

    async def send(self, text: str) -> None:
        self.history.append({"user": self.user_id, "content": text})


async def chat(request) -> None:
    await ChatSession(request.user.id).send(request.text)
