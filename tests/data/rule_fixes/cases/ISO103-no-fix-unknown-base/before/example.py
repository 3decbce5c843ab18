from app.base import Agent


class SearchAgent(Agent):
    calls = []

    def search(self, query: str) -> None:
        self.calls.append(query)


async def search(request) -> None:
    SearchAgent().search(request.query)
