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

    def fail(self, error: str) -> None:
        self.steps.append("failed")
        self.errors["last"] = error


async def run_pipeline(request) -> None:
    Pipeline(request.path).fail(f"timeout on {request.path}")
