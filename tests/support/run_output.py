"""What a child pytest run printed, cut to what says why it went red."""

FAILURES = "= FAILURES ="
KEPT_CHARS = 6000


def why_red(output: str) -> str:
    """Its failures' reports (where the tail alone would end in warnings and the
    quill summary), then the tail with the verdict line."""
    failures = output.split(FAILURES, 1)[1][:KEPT_CHARS] if FAILURES in output else ""
    return f"{failures}\n...\n{output[-2500:]}" if failures else output[-KEPT_CHARS:]
