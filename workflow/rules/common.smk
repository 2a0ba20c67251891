# Small path helpers shared by the rule files.


def format_names():
    """Every number format the config asks for, in config order."""
    return list(config["formats"])
