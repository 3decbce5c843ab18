from dataclasses import dataclass


@dataclass
class RunState:
    run_id: str
    seen = set()
    log = ["started"]

    def add(self, message: str) -> None:
        self.seen.add(message)
        self.log.append(message)


async def handle(request) -> None:
    RunState(request.run_id).add(request.text)
