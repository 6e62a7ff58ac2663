from .config import config  # noqa: F401
