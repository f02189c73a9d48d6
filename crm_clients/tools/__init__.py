from . import polish_ids
