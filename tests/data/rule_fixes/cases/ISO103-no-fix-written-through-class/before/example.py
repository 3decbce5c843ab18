class AgentRunner:
    tool_results: dict[str, str] = {}

    @classmethod
    def reset(cls) -> None:
        cls.tool_results.clear()

    def record(self, page: str) -> dict[str, str]:
        self.tool_results["last_page"] = page
        return dict(self.tool_results)


async def browse(request) -> dict[str, str]:
    AgentRunner.reset()
    return AgentRunner().record(await request.body())
