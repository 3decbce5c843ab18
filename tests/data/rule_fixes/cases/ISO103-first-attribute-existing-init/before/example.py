class ChatSession:
    history: list[dict] = []

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    async def send(self, text: str) -> list[dict]:
        self.history.append({"user": self.user_id, "content": text})
        return self.history


async def chat(request) -> list[dict]:
    return await ChatSession(request.user.id).send(request.text)
