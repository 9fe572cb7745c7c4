from dspex_compat._refine import OfferFeedback, Refine, inspect_modules, recursive_mask
