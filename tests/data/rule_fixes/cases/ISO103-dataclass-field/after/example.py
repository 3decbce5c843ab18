from dataclasses import dataclass, field


@dataclass
class RunState:
    run_id: str
    seen: set = field(default_factory=set, init=False, repr=False, compare=False)
    log: list = field(default_factory=lambda: ["started"], init=False, repr=False, compare=False)

    def add(self, message: str) -> list:
        self.seen.add(message)
        self.log.append(message)
        return [*self.seen, *self.log]


async def handle(request) -> list:
    return RunState(request.run_id).add(request.text)
