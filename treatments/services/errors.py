class PlanError(Exception):
    """A plan action that cannot be done as asked. ``messages`` are for the person who asked
    (several at once, so a form shows every problem in one go)."""

    def __init__(self, *messages: str):
        self.messages = [str(m) for m in messages]
        super().__init__("; ".join(self.messages))

    @property
    def message(self) -> str:
        return " ".join(self.messages)
