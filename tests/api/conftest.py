from tests.web.people import team  # noqa: F401
