from dataclasses import dataclass


@dataclass
class RunState:
    run_id: str
    seen = set()
    log = ["started"]

    def add(self, message: str) -> list:
        self.seen.add(message)
        self.log.append(message)
        return [*self.seen, *self.log]


async def handle(request) -> list:
    return RunState(request.run_id).add(request.text)
