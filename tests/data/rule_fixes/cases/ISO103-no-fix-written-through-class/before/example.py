class AgentRunner:
    tool_results: dict[str, str] = {}

    @classmethod
    def reset(cls) -> None:
        cls.tool_results.clear()

    def record(self, page: str) -> None:
        self.tool_results["last_page"] = page


async def browse(request) -> None:
    AgentRunner.reset()
    AgentRunner().record(await request.body())
