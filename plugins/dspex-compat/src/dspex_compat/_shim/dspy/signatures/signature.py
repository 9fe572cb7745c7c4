from dspex_compat._signature import Signature, SignatureMeta, ensure_signature, infer_prefix, make_signature
