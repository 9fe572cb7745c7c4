from dspex_compat._types_audio import Audio, _normalize_audio_format, encode_audio


def __getattr__(name):
    if name == "requests":  # the client downloads go through (tests replace its get)
        import requests

        return requests
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
