"""A tiny local package, so the example proves that dependencies are installed."""


def greeting(name):
    return f"greetings, {name}"
