from dspex_compat._types_image import Image, encode_image, is_image, is_url


def __getattr__(name):
    if name == "requests":  # the client downloads go through (tests replace its get)
        import requests

        return requests
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
