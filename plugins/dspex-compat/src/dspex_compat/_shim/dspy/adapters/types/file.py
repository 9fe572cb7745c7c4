from dspex_compat._types_file import File, encode_file_to_dict
