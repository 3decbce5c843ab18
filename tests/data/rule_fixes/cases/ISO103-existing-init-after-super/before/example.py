class Base:
    def __init__(self, name: str) -> None:
        self.name = name


class Pipeline(Base):
    steps = []
    errors = {}

    def __init__(self, name: str) -> None:
        """A named pipeline."""
        super().__init__(name)
        self.steps = []

    def fail(self, error: str) -> dict:
        self.steps.append("failed")
        self.errors["last"] = error
        return {"steps": self.steps, **self.errors}


async def run_pipeline(request) -> dict:
    return Pipeline(request.path).fail(f"timeout on {request.path}")
